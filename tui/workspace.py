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
from datetime import UTC, datetime

import httpx

from tui.actionstep.client import ActionstepClient
from tui.clock import REAL_CLOCK, Clock
from tui.connect import Links, open_links
from tui.core.engine import Emit, Engine, PushSummary
from tui.core.events import EngineEvent, EventKind
from tui.core.jobs import Job, JobState
from tui.core.mapping import Mapping, MappingRow, mapping_rows
from tui.core.models import Bill, Catalog, Chart, Organisation
from tui.core.preflight import preflight
from tui.core.problems import MappingKey
from tui.core.status import BillRow, BillState, bill_state
from tui.settings import BoundOrganisation
from tui.store.outbox import ProfileOutbox
from tui.store.profile import Profile, current_user
from tui.xero.client import XeroClient

Progress = Callable[[str], None]


class NotConnected(RuntimeError):
    """The profile has no Xero or Actionstep connection to work with."""


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
    bills: dict[str, Bill] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    rows: dict[str, BillRow] = field(default_factory=dict)
    pushing: set[str] = field(default_factory=set)
    _listener: Emit | None = None
    _engine: Engine | None = None

    @classmethod
    async def connect(cls, profile: Profile, transport: httpx.AsyncBaseTransport | None = None,
                      clock: Clock = REAL_CLOCK) -> Workspace:
        """Clients for the profile's connections, keeping its tokens fresh."""
        links = await open_links(profile, transport, clock)
        settings = links.connections
        missing = [name for name, ok in (("Xero", settings.xero.tenant_id),
                                         ("Actionstep", settings.actionstep.rest_url)) if not ok]
        if missing:
            await links.aclose()
            commands = " and ".join(f"`axpush connect {m.lower()}`" for m in missing)
            raise NotConnected(f"profile {profile.root.name!r} is not connected to "
                               f"{' or '.join(missing)} yet: run {commands}")
        actionstep = ActionstepClient(settings.actionstep.rest_url, links.actionstep_tokens,
                                      transport, clock=clock)
        xero = XeroClient(settings.xero.api_url, settings.xero.tenant_id, links.xero_tokens,
                          transport, clock=clock)
        return cls(profile, actionstep, xero, links=links)

    async def aclose(self) -> None:
        await self.actionstep.aclose()
        await self.xero.aclose()
        if self.links is not None:
            await self.links.aclose()

    # -- loading --------------------------------------------------------------------------------

    async def load(self, progress: Progress = lambda _message: None) -> None:
        """Read the profile, Xero's organisation and chart, and Actionstep's bills."""
        progress("Reading the profile…")
        self.mapping, self.jobs = await asyncio.gather(
            asyncio.to_thread(self.profile.mapping), asyncio.to_thread(self.profile.jobs))
        progress("Reading Xero's organisation and chart, and Actionstep's accounts…")
        self.organisation, self.chart, self.catalog = await asyncio.gather(
            self.xero.organisation(), self.xero.chart(), self.actionstep.catalog())
        progress("Reading Actionstep's bills…")
        bills = await self.actionstep.bills(self.catalog)
        self.bills = {bill.bill_id: bill for bill in bills}
        self.evaluate()

    @property
    def binding(self) -> BoundOrganisation:
        return self.links.connections.binding if self.links else BoundOrganisation()

    @property
    def organisation_block(self) -> str | None:
        """Why pushing is blocked for every bill: connected to an organisation other than the
        one the profile is bound to."""
        bound, connected = self.binding, self.organisation
        if connected is None or not bound.organisation_id or \
                bound.organisation_id == connected.organisation_id:
            return None
        return (f"Xero is connected to {connected.name}, but this profile pushes to "
                f"{bound.name}: its mapping points at that organisation's accounts. Re-bind on "
                "purpose with `axpush connect xero --rebind`")

    @property
    def trial_unconfirmed(self) -> bool:
        """A DEMO or TRIAL organisation nobody has yet agreed to push to."""
        return bool(self.organisation and self.organisation.is_trial_or_demo
                    and not self.binding.trial_confirmed)

    async def confirm_trial(self) -> None:
        if self.links is None:
            return
        connections = replace(self.links.connections,
                              binding=replace(self.binding, trial_confirmed=True))
        stored = await asyncio.to_thread(self.profile.connections)
        await asyncio.to_thread(self.profile.save_connections,
                                replace(stored, binding=connections.binding))
        self.links.connections = connections

    def evaluate(self, bill_ids: Iterable[str] | None = None) -> None:
        """Re-run preflight and recompute the state of some bills (all by default)."""
        block = self.organisation_block
        for bill_id in (self.bills if bill_ids is None else bill_ids):
            bill = self.bills.get(bill_id)
            if bill is None:
                continue
            verdict = preflight(bill, self.catalog, self.mapping, self.chart, self.organisation,
                                block)
            job = self.jobs.get(bill_id)
            state = bill_state(bill, verdict, job, bill_id in self.pushing)
            self.rows[bill_id] = BillRow(bill, state, verdict, job)

    def counts(self) -> Counter[BillState]:
        return Counter(row.state for row in self.rows.values())

    def blocked_by_row(self) -> Counter[MappingKey]:
        """How many bills each mapping row blocks."""
        counts: Counter[MappingKey] = Counter()
        for row in self.rows.values():
            if row.state is BillState.BLOCKED:
                for key in {p.row for p in row.verdict.problems if p.row is not None}:
                    counts[key] += 1
        return counts

    def mapping_rows(self) -> list[MappingRow]:
        return mapping_rows(self.catalog, self.mapping, self.chart, self.blocked_by_row())

    # -- actions --------------------------------------------------------------------------------

    async def set_mapping(self, key: MappingKey, target: str | None) -> list[str]:
        """Save one mapping row and re-run preflight; returns the bills whose state changed."""
        mapping = self.mapping.with_target(key, target)
        await asyncio.to_thread(self.profile.save_mapping, mapping)
        self.mapping = mapping
        before = {bill_id: row.state for bill_id, row in self.rows.items()}
        self.evaluate()
        return [bill_id for bill_id, row in self.rows.items() if before.get(bill_id) != row.state]

    def pushable(self, bill_ids: Iterable[str]) -> list[str]:
        return [b for b in bill_ids if b in self.rows and self.rows[b].pushable]

    async def push(self, bill_ids: Sequence[str], emit: Emit) -> PushSummary:
        """Push these bills (those still pushable); `emit` hears every step."""
        chosen = self.pushable(bill_ids)
        items = []
        for bill_id in chosen:
            row = self.rows[bill_id]
            assert row.verdict.invoice is not None
            items.append((row.bill, row.verdict.invoice))
        if self._engine is None:  # one engine per session: it keeps Xero's contact index
            self._engine = Engine(self.xero, ProfileOutbox(self.profile, self._jobs_stored),
                                  self._forward, who=self.who)
            self.xero.on_wait = self._retrying
        self.pushing.update(chosen)
        self.evaluate(chosen)
        self._listener = emit
        try:
            return await self._engine.push(items)
        finally:
            self._listener = None
            self.pushing.difference_update(chosen)
            self.evaluate(chosen)

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
        self.evaluate(ids)
