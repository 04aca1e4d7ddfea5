"""The account mapping as an admin sees and changes it: each row checked against Xero's live
chart, and every change saved with who, when, old and new. The Mapping view and
`axpush mapping` call these.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui.core import automap
from tui.core.mapping import Mapping, MappingChange, Origin, RowChange
from tui.core.mapping_check import (
    MappingRow,
    drift,
    gained_code,
    mapping_rows,
    row_problem,
    source_label,
    target_label,
    uses_row,
)
from tui.core.money import format_rate
from tui.core.problems import MappingKey, MappingKind, Problem
from tui.core.status import BillState
from tui.core.words import count, is_are
from tui.service.done import Done, LogLine
from tui.service.session import Session
from tui.service.workspace import Workspace

Change = Callable[[Mapping], tuple[Mapping, list[MappingChange]]]


def rows(workspace: Workspace) -> list[MappingRow]:
    return mapping_rows(
        workspace.catalog, workspace.mapping, workspace.chart, blocked_by_row(workspace)
    )


def blocked_by_row(workspace: Workspace) -> Counter[MappingKey]:
    """How many bills each mapping row blocks."""
    counts: Counter[MappingKey] = Counter()
    for row in workspace.rows.values():
        if row.state is BillState.BLOCKED:
            for key in {p.row for p in row.problems if p.row is not None}:
                counts[key] += 1
    return counts


def bills_blocked(workspace: Workspace) -> int:
    """Bills that a mapping row keeps from going (each counted once)."""
    return sum(
        1
        for row in workspace.rows.values()
        if row.state is BillState.BLOCKED and any(p.row is not None for p in row.problems)
    )


def made_elsewhere(workspace: Workspace) -> str | None:
    """Why the mapping does not fit Xero here: it was made in another organisation."""
    mapping, here, chart = workspace.mapping, workspace.organisation, workspace.chart
    if here is None or mapping.organisation_id in (None, here.organisation_id):
        return None
    targets = (*mapping.accounts.values(), *mapping.bank_accounts.values())
    if all(t in chart.accounts for t in targets):
        return None  # its rows all fit this chart after all
    made_for = mapping.organisation_name or "another Xero organisation"
    return (
        f"This mapping was made for {made_for}, but Xero here is {here.name}: its "
        "accounts are not in this chart. Carry it over by Code (`axpush mapping export "
        "FILE`, then `axpush mapping import FILE --by-code`), or map again."
    )


def candidate_problem(workspace: Workspace, key: MappingKey, target: str) -> Problem | None:
    """What would be wrong with mapping this row to `target`: the picker flags it."""
    mapping = workspace.mapping.with_target(key, target)
    return row_problem(key, mapping, workspace.catalog, workspace.chart)


@dataclass(frozen=True)
class Impact:
    """What mapping a row elsewhere changes, said before it is saved."""

    change: str
    """ "GST on Purchases: INPUT GST on Expenses → EXEMPTOUTPUT GST Free Income"."""
    alters: str | None
    """How the books change beyond the label: the tax rate (10% → 0%) or the account's class
    (REVENUE → EXPENSE); None when neither changes (then no confirmation is needed)."""
    pending: int
    """Bills not yet in Xero that use the row: pushed with the new target."""
    in_xero: int
    """Bills already in Xero that use it: their invoices keep the old coding."""

    def question(self) -> str:
        lines = [self.change]
        if self.alters:
            lines.append(f"This changes {self.alters}.")
        uses = "uses" if self.pending == 1 else "use"
        kept = (
            f"; {count(self.in_xero, 'bill')} already in Xero keep the old one"
            if self.in_xero
            else ""
        )
        lines.append(
            f"{count(self.pending, 'bill')} not yet in Xero {uses} this row and will go with "
            f"the new coding{kept}."
        )
        return "\n".join(lines)


def impact(workspace: Workspace, key: MappingKey, target: str | None) -> Impact:
    chart, old = workspace.chart, workspace.mapping.target(key)
    source = source_label(key, workspace.catalog)
    change = (
        f"{source}: {target_label(key, old, chart, workspace.mapping) or 'unmapped'} → "
        f"{target_label(key, target, chart) or 'unmapped'}"
    )
    alters = None
    if old is not None and target is not None and old != target:
        if key.kind is MappingKind.TAX:
            before, after = chart.tax_rates.get(old), chart.tax_rates.get(target)
            if before and after and before.rate != after.rate:
                alters = (
                    f"the tax rate from {format_rate(before.rate)} to {format_rate(after.rate)}"
                )
        else:
            was, now = chart.accounts.get(old), chart.accounts.get(target)
            if was and now and was.account_class != now.account_class:
                alters = f"the account's class from {was.account_class} to {now.account_class}"
    pending = in_xero = 0
    for row in workspace.rows.values():
        if not uses_row(row.bill, key):
            continue
        if row.job is not None and row.job.in_xero:
            in_xero += 1
        else:
            pending += 1
    return Impact(change, alters, pending, in_xero)


def propose(workspace: Workspace) -> list[RowChange]:
    """What auto-map proposes now (nothing is saved until `accept`)."""
    return automap.propose(workspace.catalog, workspace.mapping, workspace.chart)


def unmapped(workspace: Workspace, proposals: Sequence[RowChange] = ()) -> list[MappingRow]:
    """Rows still without a target once `proposals` are saved: those left for a person."""
    proposed = {change.key for change in proposals}
    return [r for r in rows(workspace) if r.target is None and r.key not in proposed]


async def set_row(workspace: Workspace, key: MappingKey, target: str | None) -> Done:
    """Save one row as an admin chose it, and re-run preflight."""

    def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
        old = mapping.target(key)
        if old == target and (target is None or mapping.origin(key) is Origin.ADMIN):
            return mapping, []
        return (
            mapping.with_target(key, target, workspace.chart),
            [_record(workspace, key, old, target, "set" if target else "unset")],
        )

    changed, _ = await _change(workspace, change)
    source = source_label(key, workspace.catalog)
    label = (
        f"{source} → {target_label(key, target, workspace.chart)}"
        if target
        else f"{source} unmapped"
    )
    ready = _now_ready(workspace, changed)
    return Done(
        "Mapping saved",
        label + _ready_text(ready),
        (LogLine(f"mapped {label}" + (f"; {count(ready, 'bill')} now ready" if ready else "")),),
        frozenset(changed),
    )


async def accept(
    workspace: Workspace, changes: Sequence[RowChange], origin: Origin, note: str = ""
) -> tuple[Done, list[MappingChange]]:
    """Save proposed or imported rows. A row someone changed since it was proposed is left
    alone. Returns what was done, and what was recorded in the mapping's history."""

    def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
        mapping, applied = mapping.accepting(changes, workspace.chart, origin)
        return mapping, [
            _record(workspace, row.key, row.old, row.new, origin.value, row.reason or note)
            for row in applied
        ]

    changed, recorded = await _change(workspace, change)
    ready = _now_ready(workspace, changed)
    skipped = len(changes) - len(recorded)
    message = (
        f"{count(len(recorded), 'row')} mapped"
        + (f"; {skipped} left alone (changed meanwhile)" if skipped else "")
        + _ready_text(ready)
    )
    log = tuple(
        LogLine(f"{origin.value}-mapped {record.subject} → {record.new_label} ({record.note})")
        for record in recorded
    )
    title = "Auto-map saved" if origin is Origin.AUTO else "Mapping saved"
    return Done(title, message, log, frozenset(changed)), recorded


async def keep(workspace: Workspace, keys: Sequence[MappingKey]) -> Done:
    """The admin has seen what changed in Xero about these rows' accounts: stop flagging."""
    drifts = {key: drift(key, workspace.mapping, workspace.chart) for key in keys}

    def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
        target = {key: mapping.target(key) for key in keys}
        return (
            mapping.confirmed(workspace.chart, keys),
            [
                _record(workspace, key, target[key], target[key], "confirmed", drifts[key] or "")
                for key in keys
                if drifts[key]
            ],
        )

    changed, recorded = await _change(workspace, change)
    return Done(
        "Kept as mapped",
        f"{count(len(recorded), 'row')} kept as mapped.",
        tuple(LogLine(f"kept {r.subject} → {r.new_label} ({r.note})") for r in recorded),
        frozenset(changed),
    )


async def refresh_chart(workspace: Workspace) -> Done:
    """Read Xero's chart and Actionstep's accounts again, re-run preflight, and say which mapped
    accounts changed in Xero since they were mapped."""
    before = {b: row.state for b, row in workspace.rows.items()}
    await workspace.read_chart()
    coded = [
        key
        for key in workspace.mapping.keys()  # noqa: SIM118 (its rows; a Mapping is no dict)
        if gained_code(key, workspace.mapping, workspace.chart)
    ]
    if coded:  # the "no Code" fix done in Xero: remembered, as the history says
        await _change(
            workspace,
            lambda m: (
                m.confirmed(workspace.chart, coded),
                [
                    _record(
                        workspace,
                        key,
                        m.target(key),
                        m.target(key),
                        "confirmed",
                        "got a Code in Xero",
                    )
                    for key in coded
                ],
            ),
        )
    workspace.evaluate()
    drifted = [row for row in rows(workspace) if row.drift]
    changed = {b for b, row in workspace.rows.items() if before.get(b) != row.state}
    accounts = len(workspace.chart.accounts)
    message = f"{accounts} accounts, {len(workspace.chart.tax_rates)} tax rates read. " + (
        f"{count(len(drifted), 'mapped account')} changed in Xero since mapped: see the rows "
        "marked 'changed'."
        if drifted
        else "No mapped account changed."
    )
    log = tuple(
        LogLine(
            f"chart: {row.target_label} (mapped from {row.source_label}) {row.drift}",
            "error" if row.problem else "info",
        )
        for row in drifted
    )
    return Done("Chart refreshed", message, log, frozenset(changed), warning=bool(drifted))


async def history(session: Session) -> list[MappingChange]:
    """Every change to the mapping, oldest first."""
    return await asyncio.to_thread(session.profile.mapping_changes)


def _ready_text(ready: int) -> str:
    if not ready:
        return ""
    return f"\n{count(ready, 'bill')} {is_are(ready)} now ready to push."


def _now_ready(workspace: Workspace, changed: Sequence[str]) -> int:
    """Of the bills a mapping change touched, how many it made ready to push."""
    rows_ = workspace.rows
    return sum(1 for b in changed if b in rows_ and rows_[b].state is BillState.READY)


async def _change(workspace: Workspace, change: Change) -> tuple[list[str], list[MappingChange]]:
    """Apply `change` to the mapping as stored now, record it, and re-run preflight; returns
    the bills whose state changed and what was recorded."""
    recorded: list[MappingChange] = []

    def recording(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
        new, records = change(mapping)
        recorded.extend(records)
        here = workspace.organisation
        if records and here is not None:  # rows now point into this organisation's chart
            new = new.for_organisation(here.organisation_id, here.name)
        return new, records

    before = {bill_id: row.state for bill_id, row in workspace.rows.items()}
    workspace.mapping = await asyncio.to_thread(workspace.profile.update_mapping, recording)
    workspace.last_changes.update({change.row: change for change in recorded})
    workspace.evaluate()
    changed = [b for b, row in workspace.rows.items() if before.get(b) != row.state]
    return changed, recorded


def _record(
    workspace: Workspace,
    key: MappingKey,
    old: str | None,
    new: str | None,
    how: str,
    note: str = "",
) -> MappingChange:
    catalog, chart = workspace.catalog, workspace.chart
    return MappingChange(
        workspace.session.clock.now(),
        workspace.who,
        key.text,
        source_label(key, catalog),
        old,
        target_label(key, old, chart, workspace.mapping),
        new,
        target_label(key, new, chart),
        how,
        note,
    )
