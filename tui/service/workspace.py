"""The console's model: everything the screens show and every action they take, without Textual.

Screens ask the workspace and listen to the engine's events; they never touch HTTP or files.
File I/O runs in worker threads (`asyncio.to_thread`), network I/O is async, so nothing here
blocks the UI's event loop for long.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx

from tui.core import automap
from tui.core.clock import REAL_CLOCK, Clock
from tui.core.engine import Emit, Engine, PushSummary, Task
from tui.core.events import EngineEvent, EventKind
from tui.core.jobs import Attempt, Job, JobState, Operation
from tui.core.mapping import Mapping, MappingChange, Origin, RowChange
from tui.core.mapping_check import (
    MappingRow,
    bank_problem,
    drift,
    mapping_rows,
    row_problem,
    source_label,
    target_label,
)
from tui.core.models import Bill, BillStatus, Catalog, Chart, Organisation
from tui.core.plan import due, resolve
from tui.core.preflight import preflight
from tui.core.problems import RECEIPTS, MappingKey, Problem
from tui.core.settings import BoundOrganisation
from tui.core.status import BillRow, BillState, bill_state
from tui.core.triage import Cause
from tui.remote.actionstep.client import EVERY_STATUS, ActionstepClient
from tui.remote.transport import DEFAULT_RETRY, RetryPolicy
from tui.remote.xero.client import XeroClient
from tui.remote.xero.links import invoice_link
from tui.remote.xero.ratelimit import Budget
from tui.service.connections import Links, open_links
from tui.store.outbox import ProfileOutbox
from tui.store.profile import Profile, current_user
from tui.store.pusher import PusherLock

Progress = Callable[[str], None]


SYNC_OVERLAP = timedelta(minutes=10)
TRANSIENT = frozenset({Cause.XERO_UNAVAILABLE, Cause.RATE_LIMITED})


class NotConnected(RuntimeError):
    """The profile has no Xero or Actionstep connection to work with."""


@dataclass(frozen=True)
class SyncSummary:
    fetched: int
    changed: int
    full: bool


@dataclass
class Workspace:
    profile: Profile
    actionstep: ActionstepClient
    xero: XeroClient
    links: Links | None = None
    who: str = field(default_factory=current_user)
    organisation: Organisation | None = None
    catalog: Catalog = field(default_factory=Catalog)
    chart: Chart = field(default_factory=Chart)
    mapping: Mapping = field(default_factory=Mapping)
    last_changes: dict[str, MappingChange] = field(default_factory=dict)
    """Each mapping row's latest recorded change, by `MappingKey.text`."""
    bills: dict[str, Bill] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    rows: dict[str, BillRow] = field(default_factory=dict)
    pushing: set[str] = field(default_factory=set)
    _listener: Emit | None = None

    @classmethod
    async def connect(
        cls,
        profile: Profile,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = REAL_CLOCK,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> Workspace:
        """Clients for the profile's connections, keeping its tokens fresh."""
        links = await open_links(profile, transport, clock)
        settings = links.connections
        missing = [
            name
            for name, ok in (
                ("Xero", settings.xero.tenant_id),
                ("Actionstep", settings.actionstep.rest_url),
            )
            if not ok
        ]
        if missing:
            await links.aclose()
            commands = " and ".join(f"`axpush connect {m.lower()}`" for m in missing)
            raise NotConnected(
                f"profile {profile.root.name!r} is not connected to "
                f"{' or '.join(missing)} yet: run {commands}"
            )
        actionstep = ActionstepClient(
            settings.actionstep.rest_url,
            links.actionstep_tokens,
            transport,
            clock=clock,
            retry=retry,
        )
        xero = XeroClient(
            settings.xero.api_url,
            settings.xero.tenant_id,
            links.xero_tokens,
            transport,
            clock=clock,
            retry=retry,
        )
        return cls(profile, actionstep, xero, links=links)

    async def aclose(self) -> None:
        await self.actionstep.aclose()
        await self.xero.aclose()
        if self.links is not None:
            await self.links.aclose()

    # -- loading --------------------------------------------------------------------------------

    async def load(self, progress: Progress = lambda _message: None, *, sync: bool = True) -> None:
        """Read the profile (mapping, outbox, the bills as last synced), Xero's organisation
        and chart, Actionstep's accounts; then sync the bills changed since last time."""
        progress("Reading the profile…")
        self.mapping, self.jobs, self.bills, changes = await asyncio.gather(
            asyncio.to_thread(self.profile.mapping),
            asyncio.to_thread(self.profile.jobs),
            asyncio.to_thread(self.profile.cached_bills),
            asyncio.to_thread(self.profile.mapping_changes),
        )
        self.last_changes = {change.row: change for change in changes}
        progress("Reading Xero's organisation and chart, and Actionstep's accounts…")
        self.organisation, self.chart, self.catalog = await asyncio.gather(
            self.xero.organisation(), self.xero.chart(), self.actionstep.catalog()
        )
        if self._needs_adopting(self.mapping):
            self.mapping = await asyncio.to_thread(
                self.profile.update_mapping, lambda m: (self._adopted(m), [])
            )
        if sync:
            await self.sync(progress=progress)
        else:
            self.evaluate()

    def _needs_adopting(self, mapping: Mapping) -> bool:
        return bool(mapping.unseen(self.chart)) or (
            mapping.organisation_id is None
            and self.organisation is not None
            and any(
                t in self.chart.accounts
                for t in (*mapping.accounts.values(), *mapping.bank_accounts.values())
            )
        )

    def _adopted(self, mapping: Mapping) -> Mapping:
        """A mapping from before axpush kept these: its accounts pictured as they are now, and,
        when it fits this organisation's chart, the organisation it belongs to."""
        mapping = mapping.confirmed(self.chart, mapping.unseen(self.chart))
        if self._needs_adopting(mapping) and self.organisation is not None:
            mapping = mapping.for_organisation(
                self.organisation.organisation_id, self.organisation.name
            )
        return mapping

    @property
    def mapping_elsewhere(self) -> str | None:
        """Why the mapping does not fit Xero here: it was made in another organisation."""
        mapping, here = self.mapping, self.organisation
        if here is None or mapping.organisation_id in (None, here.organisation_id):
            return None
        if all(
            t in self.chart.accounts
            for t in (*mapping.accounts.values(), *mapping.bank_accounts.values())
        ):
            return None  # its rows all fit this chart after all
        made_for = mapping.organisation_name or "another Xero organisation"
        return (
            f"This mapping was made for {made_for}, but Xero here is {here.name}: its "
            "accounts are not in this chart. Carry it over by Code (`axpush mapping export "
            "FILE`, then `axpush mapping import FILE --by-code`), or map again (a)."
        )

    async def sync(
        self, *, full: bool = False, progress: Progress = lambda _message: None
    ) -> SyncSummary:
        """Bills from Actionstep: those changed since the last sync (less an overlap, so a bill
        saved while the last sync ran is not missed), or all of them with `full`."""
        cursor = None if full else await asyncio.to_thread(self.profile.sync_cursor)
        since = cursor - SYNC_OVERLAP if cursor else None
        progress(
            "Reading every bill from Actionstep…"
            if since is None
            else f"Reading the bills changed in Actionstep since {since:%Y-%m-%d %H:%M}…"
        )
        fetched = await self.actionstep.bills(self.catalog, EVERY_STATUS, modified_since=since)
        stamps = [b.modified for b in fetched if b.modified is not None]
        latest = max([*stamps, *([cursor] if cursor else [])], default=None)
        server_now = self.actionstep.server_time
        if latest is not None and server_now is not None and latest > server_now:
            latest = server_now  # a record stamped in the future must not hide later edits
        changed = [b for b in fetched if self.bills.get(b.bill_id) != b]
        if since is None:
            self.bills = {bill.bill_id: bill for bill in fetched}
        else:
            self.bills.update({bill.bill_id: bill for bill in fetched})
        await asyncio.to_thread(self.profile.save_bills, fetched, latest, replace_all=since is None)
        self.evaluate()
        return SyncSummary(len(fetched), len(changed), full=since is None)

    @property
    def rate_budget(self) -> Budget:
        """What Xero last said is left of this organisation's minute and day call budgets."""
        return self.xero.gate.budget(self.xero.tenant_id)

    @property
    def binding(self) -> BoundOrganisation:
        return self.links.connections.binding if self.links else BoundOrganisation()

    @property
    def organisation_block(self) -> str | None:
        """Why pushing is blocked for every bill: connected to an organisation other than the
        one the profile is bound to."""
        bound, connected = self.binding, self.organisation
        if (
            connected is None
            or not bound.organisation_id
            or bound.organisation_id == connected.organisation_id
        ):
            return None
        return (
            f"Xero is connected to {connected.name}, but this profile pushes to "
            f"{bound.name}: its mapping points at that organisation's accounts. Re-bind on "
            "purpose with `axpush connect xero --rebind`"
        )

    @property
    def trial_unconfirmed(self) -> bool:
        """A DEMO or TRIAL organisation nobody has yet agreed to push to."""
        return bool(
            self.organisation
            and self.organisation.is_trial_or_demo
            and not self.binding.trial_confirmed
        )

    async def confirm_trial(self) -> None:
        if self.links is None:
            return
        connections = replace(
            self.links.connections, binding=replace(self.binding, trial_confirmed=True)
        )
        stored = await asyncio.to_thread(self.profile.connections)
        await asyncio.to_thread(
            self.profile.save_connections, replace(stored, binding=connections.binding)
        )
        self.links.connections = connections

    def evaluate(self, bill_ids: Iterable[str] | None = None, *, jobs_only: bool = False) -> None:
        """Re-run preflight and recompute the state of some bills (all by default).
        `jobs_only`: only their jobs changed, so a bill unchanged keeps its verdict."""
        block = self.organisation_block
        payment_problem = bank_problem(self.mapping, self.chart)
        for bill_id in self.bills if bill_ids is None else bill_ids:
            bill = self.bills.get(bill_id)
            job = self.jobs.get(bill_id)
            next_step = due(bill, job) if bill is not None else None
            if bill is None or (
                bill.status is BillStatus.DELETED
                and next_step is None
                and (job is None or not job.in_xero)
            ):
                self.rows.pop(bill_id, None)  # deleted, and nothing of it is in Xero: gone
                continue
            row = self.rows.get(bill_id)
            if jobs_only and row is not None and row.bill is bill:
                verdict = row.verdict
            else:
                verdict = preflight(
                    bill, self.catalog, self.mapping, self.chart, self.organisation, block
                )
            state = bill_state(
                bill, verdict, job, bill_id in self.pushing, next_step, payment_problem
            )
            self.rows[bill_id] = BillRow(bill, state, verdict, job, next_step, payment_problem)

    def counts(self) -> Counter[BillState]:
        return Counter(row.state for row in self.rows.values())

    def triage(self) -> list[tuple[Cause, list[BillRow]]]:
        """The bills that need a person (failed or blocked), grouped by cause, in the order of
        the causes table, each group by bill number."""
        groups: dict[Cause, list[BillRow]] = {}
        for row in self.rows.values():
            cause = row.cause
            if row.state in (BillState.FAILED, BillState.BLOCKED) and cause is not None:
                groups.setdefault(cause, []).append(row)
        return [
            (cause, sorted(groups[cause], key=lambda r: (r.bill.number, r.bill.bill_id)))
            for cause in Cause
            if cause in groups
        ]

    def blocked_by_row(self) -> Counter[MappingKey]:
        """How many bills each mapping row blocks."""
        counts: Counter[MappingKey] = Counter()
        for row in self.rows.values():
            if row.state is BillState.BLOCKED:
                for key in {p.row for p in row.problems if p.row is not None}:
                    counts[key] += 1
        return counts

    def candidate_problem(self, key: MappingKey, target: str) -> Problem | None:
        """What would be wrong with mapping this row to `target`: the picker flags it."""
        return row_problem(key, self.mapping.with_target(key, target), self.catalog, self.chart)

    def bills_blocked_by_mapping(self) -> int:
        """Bills that a mapping row keeps from going (each counted once)."""
        return sum(
            1
            for row in self.rows.values()
            if row.state is BillState.BLOCKED and any(p.row is not None for p in row.problems)
        )

    def mapping_rows(self) -> list[MappingRow]:
        return mapping_rows(self.catalog, self.mapping, self.chart, self.blocked_by_row())

    # -- actions --------------------------------------------------------------------------------

    async def set_mapping(self, key: MappingKey, target: str | None) -> list[str]:
        """Save one row as an admin chose it and re-run preflight; returns the bills whose
        state changed."""

        def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
            old = mapping.target(key)
            if old == target and (target is None or mapping.origin(key) is Origin.ADMIN):
                return mapping, []
            return (
                mapping.with_target(key, target, self.chart),
                [self._record(key, old, target, "set" if target else "unset")],
            )

        return (await self._change_mapping(change))[0]

    def auto_map(self) -> list[RowChange]:
        """What auto-map proposes now (nothing is saved until `accept`)."""
        return automap.propose(self.catalog, self.mapping, self.chart)

    async def accept(
        self, changes: Sequence[RowChange], origin: Origin, note: str = ""
    ) -> tuple[list[str], list[MappingChange]]:
        """Save proposed or imported rows. A row someone changed since it was proposed is
        left alone. Returns the bills whose state changed and what was recorded."""

        def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
            mapping, applied = mapping.accepting(changes, self.chart, origin)
            return mapping, [
                self._record(row.key, row.old, row.new, origin.value, row.reason or note)
                for row in applied
            ]

        return await self._change_mapping(change)

    async def confirm_rows(self, keys: Sequence[MappingKey]) -> None:
        """The admin has seen what changed in Xero about these rows' accounts: stop flagging."""
        drifts = {key: drift(key, self.mapping, self.chart) for key in keys}

        def change(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
            target = {key: mapping.target(key) for key in keys}
            return (
                mapping.confirmed(self.chart, keys),
                [
                    self._record(key, target[key], target[key], "confirmed", drifts[key] or "")
                    for key in keys
                    if drifts[key]
                ],
            )

        await self._change_mapping(change)

    async def refresh_chart(self) -> list[MappingRow]:
        """Read Xero's chart and Actionstep's accounts again and re-run preflight; returns the
        rows whose Xero account changed since it was mapped."""
        self.organisation, self.chart, self.catalog = await asyncio.gather(
            self.xero.organisation(), self.xero.chart(), self.actionstep.catalog()
        )
        self.evaluate()
        return [row for row in self.mapping_rows() if row.drift]

    async def mapping_changes(self) -> list[MappingChange]:
        return await asyncio.to_thread(self.profile.mapping_changes)

    async def _change_mapping(
        self, change: Callable[[Mapping], tuple[Mapping, list[MappingChange]]]
    ) -> tuple[list[str], list[MappingChange]]:
        recorded: list[MappingChange] = []

        def recording(mapping: Mapping) -> tuple[Mapping, list[MappingChange]]:
            new, records = change(mapping)
            recorded.extend(records)
            here = self.organisation
            if records and here is not None:  # rows now point into this organisation's chart
                new = new.for_organisation(here.organisation_id, here.name)
            return new, records

        before = {bill_id: row.state for bill_id, row in self.rows.items()}
        self.mapping = await asyncio.to_thread(self.profile.update_mapping, recording)
        self.last_changes.update({change.row: change for change in recorded})
        self.evaluate()
        return (
            [bill_id for bill_id, row in self.rows.items() if before.get(bill_id) != row.state],
            recorded,
        )

    def _record(
        self, key: MappingKey, old: str | None, new: str | None, how: str, note: str = ""
    ) -> MappingChange:
        return MappingChange(
            datetime.now(UTC),
            self.who,
            key.text,
            source_label(key, self.catalog),
            old,
            target_label(key, old, self.chart, self.mapping),
            new,
            target_label(key, new, self.chart),
            how,
            note,
        )

    def pushable(self, bill_ids: Iterable[str]) -> list[str]:
        return [b for b in bill_ids if b in self.rows and self.rows[b].pushable]

    def due(self) -> list[str]:
        """What `push --all` sends: ready bills, changes to bills already in Xero, and failed
        ones whose failure was passing (Xero offline, a rate limit, an interrupted push)."""
        return [
            bill_id
            for bill_id, row in self.rows.items()
            if row.pushable
            and (row.state in (BillState.READY, BillState.CHANGED) or row.cause in TRANSIENT)
        ]

    def _task(self, row: BillRow) -> Task:
        assert row.due is not None
        operation = row.due.operation
        with_invoice = operation in (Operation.CREATE, Operation.UPDATE)
        bank = self.mapping.bank_accounts.get(RECEIPTS) if row.payment_problem is None else None
        return Task(
            row.bill,
            operation,
            row.verdict.invoice if with_invoice else None,
            row.job,
            row.due.amount,
            bank,
        )

    async def push(self, bill_ids: Sequence[str] | None, emit: Emit) -> PushSummary:
        """Push these bills (those still pushable), or, given None, all that are due. One
        pusher per profile: raises PusherBusy naming the holder. Jobs an interrupted push left
        `sending` are looked up in Xero first. `emit` hears every step."""
        lock = PusherLock(self.profile.root)
        await asyncio.to_thread(lock.acquire)
        engine = Engine(
            self.xero, ProfileOutbox(self.profile, self._jobs_stored), self._forward, who=self.who
        )
        self.xero.on_wait = self._retrying
        self._listener = emit
        chosen: list[str] = []
        try:
            self.jobs = await asyncio.to_thread(self.profile.jobs)  # another process's pushes
            self.evaluate()
            stuck = [
                (
                    job,
                    self.bills.get(job.bill_id),
                    self.rows[job.bill_id].verdict.invoice if job.bill_id in self.rows else None,
                )
                for job in self.jobs.values()
                if job.state is JobState.SENDING
            ]
            await engine.reconcile(stuck)
            chosen = self.due() if bill_ids is None else self.pushable(bill_ids)
            tasks = [self._task(self.rows[bill_id]) for bill_id in chosen]
            self.pushing.update(chosen)
            self.evaluate(chosen, jobs_only=True)
            return await engine.push(tasks)
        finally:
            self._listener = None
            self.pushing.difference_update(chosen)
            self.evaluate(chosen, jobs_only=True)
            await asyncio.to_thread(lock.release)

    async def mark_resolved(self, bill_id: str, why: str) -> None:
        """An admin settled this bill by hand in Xero: record who, when and why, and stop
        pushing it until Actionstep changes it again. Refused while a push runs."""
        bill = self.bills[bill_id]
        lock = PusherLock(self.profile.root)
        await asyncio.to_thread(lock.acquire)
        try:
            self.jobs = await asyncio.to_thread(self.profile.jobs)
            job, attempt = resolve(bill, self.jobs.get(bill_id), datetime.now(UTC), self.who, why)
            stored = await asyncio.to_thread(self.profile.record_jobs, [job], [attempt])
            self._jobs_stored(stored)
        finally:
            await asyncio.to_thread(lock.release)

    async def attempts_of(self, bill_id: str) -> list[Attempt]:
        return await asyncio.to_thread(self.profile.attempts_of, bill_id)

    def xero_link(self, bill_id: str) -> str | None:
        """A link that opens the bill's invoice in Xero (ours, or the one its failure is
        about); None when Xero's id for it is not known."""
        job = self.jobs.get(bill_id)
        invoice_id = job.xero_id if job else None
        if invoice_id is None:
            return None
        return invoice_link(self.organisation.short_code if self.organisation else None, invoice_id)

    def _retrying(self, message: str) -> None:
        self._forward(EngineEvent(datetime.now(UTC), EventKind.RETRIED, message))

    def _forward(self, event: EngineEvent) -> None:
        if self._listener is not None:
            self._listener(event)

    def _jobs_stored(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            self.jobs[job.bill_id] = job
        ids = [job.bill_id for job in jobs]
        settled = [i for i in ids if self.jobs[i].state is not JobState.SENDING]
        self.pushing.difference_update(settled)
        self.evaluate(ids, jobs_only=True)
