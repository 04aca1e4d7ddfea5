"""The console's model: everything the screens show and every action they take, without Textual.

Screens ask the workspace and listen to the engine's events; they never touch HTTP or files.
File I/O runs in worker threads (`asyncio.to_thread`), network I/O is async, so nothing here
blocks the UI's event loop for long.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import httpx

from tui.actionstep.client import ActionstepClient
from tui.core.engine import Emit, Engine, PushSummary
from tui.core.events import EngineEvent
from tui.core.jobs import Job, JobState
from tui.core.mapping import Mapping, MappingRow, mapping_rows
from tui.core.models import Bill, Catalog, Chart, Organisation
from tui.core.preflight import preflight
from tui.core.problems import MappingKey
from tui.core.status import BillRow, BillState, bill_state
from tui.store.outbox import ProfileOutbox
from tui.store.profile import Connections, Profile, current_user
from tui.transport import static_token
from tui.xero.client import XeroClient

Progress = Callable[[str], None]


class NotConnected(RuntimeError):
    """The profile has no Xero or Actionstep connection to work with."""


@dataclass
class Workspace:
    profile: Profile
    actionstep: ActionstepClient
    xero: XeroClient
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
    async def connect(cls, profile: Profile,
                      transport: httpx.AsyncBaseTransport | None = None) -> Workspace:
        """Clients for the profile's connections, with its stored tokens."""
        connections: Connections = await asyncio.to_thread(profile.connections)
        if not connections.configured:
            raise NotConnected(f"profile {profile.root.name!r} is not connected to Xero and "
                               "Actionstep yet")
        xero_token = await asyncio.to_thread(profile.token, "xero")
        actionstep_token = await asyncio.to_thread(profile.token, "actionstep")
        if not xero_token or not actionstep_token:
            raise NotConnected("no access tokens are stored for this profile: connect again")
        actionstep = ActionstepClient(connections.actionstep_api_url,
                                      static_token(str(actionstep_token.get("access_token"))),
                                      transport)
        xero = XeroClient(connections.xero_api_url, connections.xero_tenant_id,
                          static_token(str(xero_token.get("access_token"))), transport)
        return cls(profile, actionstep, xero)

    async def aclose(self) -> None:
        await self.actionstep.aclose()
        await self.xero.aclose()

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

    def evaluate(self, bill_ids: Iterable[str] | None = None) -> None:
        """Re-run preflight and recompute the state of some bills (all by default)."""
        for bill_id in (self.bills if bill_ids is None else bill_ids):
            bill = self.bills.get(bill_id)
            if bill is None:
                continue
            verdict = preflight(bill, self.catalog, self.mapping, self.chart, self.organisation)
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
        self.pushing.update(chosen)
        self.evaluate(chosen)
        self._listener = emit
        try:
            return await self._engine.push(items)
        finally:
            self._listener = None
            self.pushing.difference_update(chosen)
            self.evaluate(chosen)

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
