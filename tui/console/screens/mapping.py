"""Mapping: each Actionstep income account and tax code, the Xero account or TaxType it goes to,
and whether Xero's chart accepts it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from tui.console.dialogs.automap import AutoMapDialog
from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.dialogs.picker import Choice, PickerDialog
from tui.console.screens.base import DataTableView
from tui.console.widgets.filter_input import FilterInput, matches
from tui.console.widgets.rows import RowTable
from tui.console.widgets.text import clip
from tui.console.widgets.top_bar import TopBar
from tui.core.mapping import MappingChange, Origin, RowChange
from tui.core.mapping_check import MappingRow
from tui.core.money import format_rate
from tui.core.problems import MappingKey, MappingKind
from tui.core.status import BillState
from tui.core.words import count
from tui.service import mapping_edits, recode
from tui.service.done import Done
from tui.service.workspace import Workspace

COLUMNS = (
    ("kind", "Kind"),
    ("source", "Actionstep"),
    ("target", "Xero"),
    ("state", "State"),
    ("blocks", "Bills"),
)


def _row_key(key: MappingKey) -> str:
    return f"{key.kind.value}:{key.source_id}"


_KIND_LABELS = {MappingKind.ACCOUNT: "acct", MappingKind.TAX: "tax", MappingKind.BANK: "bank"}
RECODES_SHOWN = 8
"""Invoices listed in the re-code confirmation; more are counted."""
HELP = (
    "enter: choose the Xero account or TaxType · del: unmap · u: undo · a: auto-map · r: "
    "refresh the chart · R: re-code invoices already in Xero after a correction · a change "
    "that alters a tax rate or an account's class asks first"
)
_ORIGINS = {
    Origin.AUTO: "set by auto-map",
    Origin.IMPORT: "set by an imported file",
    Origin.ADMIN: "",
}


def _state(row: MappingRow) -> Text:
    if row.problem is not None:
        return Text(row.problem.short or "problem", style="yellow")
    if row.drift:
        return Text("changed", style="cyan")
    return Text("ok", style="green")


def _explain(row: MappingRow | None, last: MappingChange | None) -> Text:
    """The highlighted row in words: its problem, what changed in Xero, who set it."""
    if row is None:
        return Text(HELP, style="dim")
    text = Text()
    if row.problem is not None:
        text.append(f"✗ {row.problem.message}\n", style="yellow")
    if row.drift:
        text.append(f"Xero account {row.target_label}: {row.drift}. ", style="cyan")
        text.append("k: keep it as mapped (confirm) · enter: map elsewhere\n", style="dim")
    origin = _ORIGINS[row.origin] if row.target else ""
    if origin:
        text.append(f"{origin}. ", style="dim")
    if last is not None:
        when = last.at.astimezone().strftime("%Y-%m-%d %H:%M")
        text.append(
            f"Last change: {last.how} by {last.who}, {when}, from "
            f"{last.old_label or '(unmapped)'}.",
            style="dim",
        )
    text.rstrip()
    return text if text else Text(HELP, style="dim")


class MappingTable(RowTable):
    """The table's enter (choose a target for the row), named so the footer shows it."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Choose",
            id="mapping.pick",
            tooltip="Choose the Xero account or TaxType for the row",
        )
    ]


class MappingScreen(DataTableView):
    AUTO_FOCUS = "#mapping"
    TABLE_ID = "mapping"
    BINDINGS = [
        Binding(
            "delete", "clear_row", "Unmap", id="mapping.clear", tooltip="Unmap the row (asks first)"
        ),
        Binding(
            "a",
            "auto_map",
            "Auto",
            id="mapping.auto",
            tooltip="Auto-map: propose the unmapped rows",
        ),
        Binding(
            "r",
            "refresh_chart",
            "Chart",
            id="mapping.refresh",
            tooltip="Refresh Xero's chart and say what changed",
        ),
        Binding(
            "k",
            "confirm_row",
            "Keep",
            id="mapping.confirm",
            tooltip="Keep a row whose Xero account changed",
        ),
        Binding("u", "undo", "Undo", id="mapping.undo", tooltip="Undo the last change made here"),
        Binding(
            "R",
            "recode",
            "Re-code",
            id="mapping.recode",
            tooltip="Re-code invoices already in Xero that book otherwise than the mapping says",
        ),
        Binding(
            "X",
            "simulate",
            "Fix in Xero",
            id="mapping.simulate",
            tooltip="Demo only: give the Xero account a Code, as in Xero's web app",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, MappingRow] = {}
        self._undo: tuple[MappingKey, str | None] | None = None
        """The row last changed here and its target before: what `u` puts back."""

    def compose(self) -> ComposeResult:
        yield TopBar("mapping")
        yield Static(id="mapping-summary")
        yield FilterInput("filter rows: account, code, TaxType or state words — esc clears")
        table = MappingTable(id="mapping", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(HELP, id="mapping-help")
        yield Footer(compact=True)

    def rebuild(self) -> None:
        workspace = self.workspace
        table = self.table
        current = self.clear_table()
        self._rows = {}
        summary = self.query_one("#mapping-summary", Static)
        if workspace is None or not workspace.catalog.accounts:
            table.loading = workspace is None and self.axpush.load_error is None
            summary.update(
                Text(self.axpush.load_error or "Loading the chart and the mapping…", style="dim")
            )
            return
        table.loading = False
        words = self.filter_words()
        rows = mapping_edits.rows(workspace)
        problems = sum(1 for r in rows if r.problem is not None)
        drifted = sum(1 for r in rows if r.drift)
        blocked = workspace.counts().get(BillState.BLOCKED, 0)
        text = Text(
            f"{count(len(workspace.catalog.accounts), 'account')}, "
            f"{count(len(workspace.catalog.tax_codes), 'tax code')} · "
        )
        text.append(f"{problems:,} need attention", style="yellow" if problems else "green")
        if drifted:
            text.append(f" · {drifted:,} changed in Xero", style="cyan")
        text.append(f" · {count(blocked, 'bill')} blocked", style="yellow" if blocked else "dim")
        elsewhere = mapping_edits.made_elsewhere(workspace)
        if elsewhere:
            text = Text(f"✗ {elsewhere} (a: auto-map)\n", style="bold red").append_text(text)
        summary.update(text)
        for row in rows:
            kind = _KIND_LABELS[row.key.kind]
            state = _state(row)
            if words and not matches(words, kind, row.source_label, row.target_label, state.plain):
                continue
            key = _row_key(row.key)
            self._rows[key] = row
            self.keys.append(key)
            table.add_row(
                kind,
                clip(row.source_label, 26),
                clip(row.target_label, 24) or Text("—", style="dim"),
                state,
                str(row.bills_blocked) if row.bills_blocked else "",
                key=key,
            )
        focus = self.axpush.mapping_focus
        if focus is not None:
            self.axpush.mapping_focus = None
            current = _row_key(focus)
            table.focus()
        self.place_cursor(current)
        self.cursor_settled()

    def cursor_settled(self) -> None:
        """The help line under the table explains the highlighted row's problem."""
        row, workspace = self._current(), self.workspace
        last = workspace.last_changes.get(row.key.text) if row and workspace else None
        self.query_one("#mapping-help", Static).update(_explain(row, last))
        self.refresh_bindings()  # k shows only on a changed row

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that mean nothing here now are left out of the footer: k off a changed row, u
        before any change."""
        if action == "confirm_row":
            row = self._current()
            return bool(row and row.drift)
        if action == "undo":
            return self._undo is not None
        if action == "simulate":
            row = self._current()
            no_code = bool(row and row.problem and row.problem.short == "no Code")
            return self.axpush.simulated_xero is not None and no_code
        return True

    def action_recode(self) -> None:
        """Read back the invoices already in Xero, show old → new for those the mapping now
        codes otherwise, and update them once confirmed."""

        async def planning(workspace: Workspace) -> Done | None:
            planned = await recode.plan(workspace)
            if not planned.recodes:
                return Done("Nothing to re-code", planned.summary + ".")
            shown = [f"  {r.describe()}" for r in planned.recodes[:RECODES_SHOWN]]
            more = len(planned.recodes) - RECODES_SHOWN
            question = "\n".join(
                [
                    planned.summary + ".",
                    *shown,
                    *([f"  and {count(more, 'more invoice')}"] if more > 0 else []),
                    "Update them in Xero to the mapping as it is now?",
                ]
            )
            ids = [r.bill_id for r in planned.recodes]

            def decided(yes: bool | None) -> None:
                if yes:
                    self.axpush.start_push(ids, lambda emit: recode.apply(workspace, planned, emit))

            self.app.push_screen(ConfirmDialog(question, confirm="Re-code"), decided)
            return None

        if self.axpush.pushing:
            self.notify("Wait for the push to finish first.", severity="warning")
            return
        self.axpush.perform_on_workspace(
            "Reading the invoices back from Xero", planning, group="recode"
        )

    def action_simulate(self) -> None:
        """The demo's Xero-side fix for an account without Code."""
        row, simulated, workspace = self._current(), self.axpush.simulated_xero, self.workspace
        if row is None or row.target is None or simulated is None or workspace is None:
            return
        source = workspace.catalog.accounts.get(row.key.source_id)
        wanted = source.number if source else "299"
        target = row.target
        self.axpush.perform(
            "Simulated Xero",
            lambda: asyncio.to_thread(simulated.give_code, target, wanted),
            group="simulate",
        )

    def _current(self) -> MappingRow | None:
        key = self.current_key()
        return self._rows.get(key) if key else None

    @on(DataTable.RowSelected, "#mapping")
    def _row_chosen(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        row, workspace = self._current(), self.workspace
        if row is None or workspace is None:
            return

        def note(kind: str, status: str, target: str) -> tuple[str, bool]:
            """Type and status, and what Xero would refuse about this target, in a word."""
            problem = mapping_edits.candidate_problem(workspace, row.key, target)
            flag = problem.short if problem else ("" if status == "ACTIVE" else status.lower())
            words = [kind, flag]
            return " · ".join(w for w in words if w), problem is None

        if row.key.kind is not MappingKind.TAX:
            bank = row.key.kind is MappingKind.BANK
            accounts = sorted(
                (
                    a
                    for a in workspace.chart.accounts.values()
                    if not bank or a.type == "BANK" or a.enable_payments
                ),
                key=lambda a: (a.code is None, a.code or "", a.name),
            )
            choices = [
                Choice(a.account_id, a.code or "", a.name, *note(a.type, a.status, a.account_id))
                for a in accounts
            ]
            title = (
                "Xero bank account for payments received"
                if bank
                else f"Xero account for Actionstep {row.source_label}"
            )
        else:
            rates = sorted(workspace.chart.tax_rates.values(), key=lambda r: r.tax_type)
            choices = [
                Choice(
                    r.tax_type, r.tax_type, r.name, *note(format_rate(r.rate), r.status, r.tax_type)
                )
                for r in rates
            ]
            title = f"Xero TaxType for Actionstep tax code {row.source_label}"

        def picked(target: str | None) -> None:
            if target is None or target == row.target:
                return
            impact = mapping_edits.impact(workspace, row.key, target)
            if impact.alters is None:  # the same rate and class: saved at once, `u` undoes
                self._set_row(row.key, target)
                return
            recode = " (R re-codes them afterwards)" if impact.in_xero else ""
            self._ask(impact.question() + f"{recode}\nSave it?", "Save", row.key, target)

        self.app.push_screen(PickerDialog(title, choices, current=row.target), picked)

    def action_auto_map(self) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        proposals = mapping_edits.propose(workspace)
        left = [r.source_label for r in mapping_edits.unmapped(workspace, proposals)]
        if not proposals:
            self.notify(
                "Every row is mapped or set by a person, or has no single match by "
                "Code or name." + (f" Still unmapped: {', '.join(left)}." if left else ""),
                title="Auto-map: nothing to propose",
            )
            return

        def accepted(changes: list[RowChange] | None) -> None:
            if changes:
                self.axpush.perform_on_workspace(
                    "Saving the mapping",
                    lambda ws: _done(mapping_edits.accept(ws, changes, Origin.AUTO)),
                    group="mapping",
                )

        self.app.push_screen(AutoMapDialog(proposals, left), accepted)

    def action_refresh_chart(self) -> None:
        if self.workspace is None:
            return
        self.query_one("#mapping-summary", Static).update(
            Text("Reading Xero's chart and Actionstep's accounts again…", style="bold cyan")
        )
        self.axpush.perform_on_workspace(
            "Refreshing the chart", mapping_edits.refresh_chart, group="mapping"
        )

    def action_confirm_row(self) -> None:
        row = self._current()
        if row is not None and row.drift:
            self.axpush.perform_on_workspace(
                "Keeping the row", lambda ws: mapping_edits.keep(ws, [row.key]), group="mapping"
            )

    def action_clear_row(self) -> None:
        """Unmap, after saying what it blocks."""
        row, workspace = self._current(), self.workspace
        if row is None or row.target is None or workspace is None:
            return
        impact = mapping_edits.impact(workspace, row.key, None)
        question = (
            f"Unmap {row.source_label} (now {row.target_label})? "
            f"{count(impact.pending, 'bill')} not yet in Xero would be blocked until it is "
            "mapped again."
        )
        self._ask(question, "Unmap", row.key, None)

    def action_undo(self) -> None:
        """Put back the row changed last here, as it was."""
        if self._undo is None:
            self.notify("Nothing to undo here yet.", severity="information")
            return
        key, target = self._undo
        self._undo = None
        self._set_row(key, target, undoable=False)

    def _ask(self, question: str, confirm: str, key: MappingKey, target: str | None) -> None:
        def decided(yes: bool | None) -> None:
            if yes:
                self._set_row(key, target)

        self.app.push_screen(ConfirmDialog(question, confirm=confirm, cancel="Keep it"), decided)

    def _set_row(self, key: MappingKey, target: str | None, *, undoable: bool = True) -> None:
        workspace = self.workspace
        if undoable and workspace is not None:
            self._undo = (key, workspace.mapping.target(key))
        self.refresh_bindings()
        self.axpush.perform_on_workspace(
            "Saving the mapping",
            lambda ws: mapping_edits.set_row(ws, key, target),
            group="mapping",
        )


async def _done(accepting: Awaitable[tuple[Done, list[MappingChange]]]) -> Done:
    done, _ = await accepting
    return done
