"""The workspace: one profile's firm as loaded, the state of every bill, and the queries the
front ends draw from. The use cases that change things live beside it (`mapping_edits`,
`pushing`); the front ends show what this holds and never touch HTTP or files themselves.

File I/O runs in worker threads (`asyncio.to_thread`), network I/O is async, so nothing here
blocks the console's event loop for long.
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from tui.core.budget import Budget
from tui.core.connection import BoundOrganisation
from tui.core.errors import NotConnected, RemoteRateLimited
from tui.core.jobs import Attempt, Job, JobState, as_read
from tui.core.mapping import Mapping, MappingChange
from tui.core.mapping_check import bank_problem
from tui.core.models import Bill, BillStatus, Catalog, Chart, Organisation
from tui.core.plan import due
from tui.core.preflight import LineChecks, preflight
from tui.core.status import BillRow, BillState, bill_state
from tui.core.triage import Cause
from tui.remote.actionstep.client import ActionstepClient
from tui.remote.xero.client import XeroClient
from tui.remote.xero.links import invoice_link
from tui.service.connections import Links, confirm_trial, open_links
from tui.service.session import Session
from tui.service.syncing import SyncSummary, sync_bills
from tui.store.profile import Profile

Progress = Callable[[str], None]


@dataclass
class Workspace:
    session: Session
    links: Links
    actionstep: ActionstepClient
    xero: XeroClient
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
    """Bills a push of this process has in hand."""
    paused: str | None = None
    """Why Xero cannot be asked now (its daily limit), and until when; None when it can."""
    rows_version: int = 0
    """Counts the evaluations: what a view derived from `rows` holds while it is unchanged."""
    loading: str | None = None
    """What a load is still doing (reading the firm's bills, the sync); None once the firm is
    all in. Nothing is pushed meanwhile: "all ready" would mean the ones read so far."""
    _counts: tuple[int, Counter[BillState]] = field(default=(-1, Counter()), repr=False)

    @classmethod
    async def connect(cls, session: Session) -> Workspace:
        """Clients for the profile's connections, keeping its tokens fresh."""
        links = await open_links(session)
        missing = [
            name
            for name, ok in (
                ("Xero", links.state.xero.tenant_id),
                ("Actionstep", links.state.actionstep.rest_url),
            )
            if not ok
        ]
        if missing:
            await links.aclose()
            commands = " and ".join(f"`axpush connect {m.lower()}`" for m in missing)
            raise NotConnected(
                f"profile {session.name!r} is not connected to "
                f"{' or '.join(missing)} yet: run {commands}"
            )
        return cls(session, links, links.actionstep_client(), links.xero_client())

    @classmethod
    async def opened(cls, session: Session, *, sync: bool, full: bool = False) -> Workspace:
        """Connected and loaded (and synced from Actionstep when asked); the caller closes it."""
        workspace = await cls.connect(session)
        try:
            await workspace.load(sync=False)
            if sync:
                await workspace.sync(full=full)
        except BaseException:
            await workspace.aclose()
            raise
        return workspace

    @property
    def profile(self) -> Profile:
        return self.session.profile

    @property
    def who(self) -> str:
        return self.session.who

    async def aclose(self) -> None:
        await self.actionstep.aclose()
        await self.xero.aclose()
        await self.links.aclose()

    # -- loading --------------------------------------------------------------------------------

    async def load(
        self,
        progress: Progress = lambda _message: None,
        *,
        sync: bool = True,
        arrived: Callable[[set[str]], None] = lambda _ids: None,
    ) -> None:
        """Read the profile (mapping, Xero's organisation and chart, Actionstep's accounts),
        then the firm's bills and jobs a part at a time, each part evaluated as it comes in
        (`arrived` hears its bills: a console shows the first while the rest are read); then
        sync the bills changed since last time."""
        try:
            self.loading = "Reading the profile…"
            progress(self.loading)
            self.mapping, changes = await asyncio.gather(
                asyncio.to_thread(self.profile.mapping),
                asyncio.to_thread(self.profile.mapping_changes),
            )
            self.last_changes = {change.row: change for change in changes}
            progress("Reading Xero's organisation and chart, and Actionstep's accounts…")
            await self.read_chart()
            if self._needs_adopting(self.mapping):
                self.mapping = await asyncio.to_thread(
                    self.profile.update_mapping, lambda m: (self._adopted(m), [])
                )
            await self._read_firm(arrived)
            if sync:
                self.loading = "Syncing the bills changed in Actionstep…"
                await self.sync(progress=progress)
        finally:
            self.loading = None

    async def _read_firm(self, arrived: Callable[[set[str]], None]) -> None:
        """The bills as last synced and their jobs, a part (a thousand bills by id) at a time:
        files are read off the loop, and each part is evaluated as it arrives. A reload
        replaces what it held part by part, then drops what is no longer there.

        Each part read is frozen out of the cyclic garbage collector (`gc.freeze`): a full
        collection over 100,000 bills' objects takes half a second, stalls the console, and
        finds nothing, as bills and rows form no cycles (they are freed by reference count
        all the same)."""
        parts = await asyncio.to_thread(self.profile.parts)
        read_bills: set[str] = set()
        read_jobs: set[str] = set()
        for index, name in enumerate(parts, 1):
            self.loading = f"Reading the bills: part {index} of {len(parts)}…"
            bills, jobs = await asyncio.to_thread(self.profile.part, name)
            self.bills.update(bills)
            self.jobs.update(jobs)
            read_bills.update(bills)
            read_jobs.update(jobs)
            ids = [*bills, *(bill_id for bill_id in jobs if bill_id not in bills)]
            self.evaluate(ids)  # in the files' order: a push goes in the order rows were made
            gc.freeze()  # what was read stays: the collector need not walk it again
            arrived(set(ids))
        gone = (self.bills.keys() - read_bills) | (self.jobs.keys() - read_jobs)
        for bill_id in gone:
            if bill_id not in read_bills:
                self.bills.pop(bill_id, None)
            if bill_id not in read_jobs:
                self.jobs.pop(bill_id, None)
        if gone:
            self.evaluate(sorted(gone))

    async def read_chart(self) -> None:
        """Xero's organisation and chart, and Actionstep's accounts and tax codes, as they are
        now (preflight is not re-run: `evaluate` does that). While Xero's daily limit is used
        up, the chart as last read stands in, and `paused` says until when."""
        (self.organisation, self.chart), self.catalog = await asyncio.gather(
            self._xero_chart(), self.actionstep.catalog()
        )

    async def _xero_chart(self) -> tuple[Organisation, Chart]:
        try:
            organisation, chart = await asyncio.gather(self.xero.organisation(), self.xero.chart())
        except RemoteRateLimited as error:
            cached = await asyncio.to_thread(self.profile.cached_chart)
            if error.problem != "day" or cached is None:
                raise
            self.paused = f"{error}. Showing Xero's chart as last read; nothing can be pushed"
            return cached
        self.paused = None
        await asyncio.to_thread(self.profile.save_chart, organisation, chart)
        return organisation, chart

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

    async def sync(
        self, *, full: bool = False, progress: Progress = lambda _message: None
    ) -> SyncSummary:
        """Bills from Actionstep: those changed since the last sync (less an overlap, so a bill
        saved while the last sync ran is not missed), or all of them with `full`."""
        summary = await sync_bills(
            self.profile,
            self.actionstep,
            self.catalog,
            full=full,
            progress=progress,
        )
        fetched = {bill.bill_id: bill for bill in summary.bills}
        gone = self.bills.keys() - fetched.keys() if summary.full else set()
        for bill_id in gone:
            del self.bills[bill_id]
        self.bills.update(fetched)
        self.evaluate([*fetched, *sorted(gone)])
        return summary

    # -- the organisation -----------------------------------------------------------------------

    @property
    def rate_budget(self) -> Budget:
        """What Xero last said is left of this organisation's minute and day call budgets."""
        return self.xero.gate.budget(self.xero.tenant_id)

    @property
    def binding(self) -> BoundOrganisation:
        return self.links.state.binding

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
        binding = await confirm_trial(self.session)
        self.links.state = replace(self.links.state, binding=binding)

    # -- the bills ------------------------------------------------------------------------------

    def evaluate(self, bill_ids: Iterable[str] | None = None, *, jobs_only: bool = False) -> None:
        """Re-run preflight and recompute the state of some bills (all by default).
        `jobs_only`: only their jobs changed, so a bill unchanged keeps its verdict."""
        block = self.organisation_block
        payment_problem = bank_problem(self.mapping, self.chart)
        checks = LineChecks(self.catalog, self.mapping, self.chart)
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
                    bill, self.catalog, self.mapping, self.chart, self.organisation, block, checks
                )
            state = bill_state(
                bill, verdict, job, bill_id in self.pushing, next_step, payment_problem
            )
            self.rows[bill_id] = BillRow(bill, state, verdict, job, next_step, payment_problem)
        self.rows_version += 1

    def jobs_reread(self, jobs: dict[str, Job]) -> None:
        """The outbox as read again (another process may have pushed meanwhile): only the
        bills whose job differs are evaluated again, not the firm."""
        changed = sorted(
            bill_id
            for bill_id in self.jobs.keys() | jobs.keys()
            if self.jobs.get(bill_id) != jobs.get(bill_id)
        )
        self.jobs = jobs
        self.evaluate(changed, jobs_only=True)

    def jobs_stored(self, jobs: Sequence[Job]) -> None:
        """The outbox stored these jobs (a push's intent or outcome): their bills' state now."""
        for job in jobs:
            self.jobs[job.bill_id] = job
        ids = [job.bill_id for job in jobs]
        settled = [i for i in ids if self.jobs[i].state is not JobState.SENDING]
        self.pushing.difference_update(settled)
        self.evaluate(ids, jobs_only=True)

    def counts(self) -> Counter[BillState]:
        """Bills by state (counted once per evaluation: the Bills view asks on every key)."""
        if self._counts[0] != self.rows_version:
            self._counts = (self.rows_version, Counter(row.state for row in self.rows.values()))
        return Counter(self._counts[1])

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

    async def attempts_of(self, bill_id: str) -> list[Attempt]:
        """The bill's attempts as a person reads them (see `as_read`)."""
        return as_read(await asyncio.to_thread(self.profile.attempts_of, bill_id))

    def xero_link(self, bill_id: str) -> str | None:
        """A link that opens the bill's invoice in Xero (ours, or the one its failure is
        about); None when Xero's id for it is not known."""
        job = self.jobs.get(bill_id)
        invoice_id = job.xero_id if job else None
        if invoice_id is None:
            return None
        return invoice_link(self.organisation.short_code if self.organisation else None, invoice_id)
