"""Benchmarks, run on demand: `python -m pytest -m bench`. They measure and print figures (the
README's "Measured" table); they assert only what must hold for the figure to mean anything.

- Xero calls per bill: a cold push of 1,000 bills, and a re-push of 100 failed ones;
- the simulated minutes a 1,000-bill push takes under Xero's real limits (60 calls a minute,
  5 in flight, 5,000 a day), on the sandbox's clock, so it costs seconds;
- CPU time per bill: the engine alone (against an in-memory Xero), and the whole push over
  loopback (client, JSON, and the sandbox in the same process);
- the cost of recording one attempt when a month of history already holds 10,000 and 100,000;
- auto-map and the mapping check for a large firm (400 accounts, a chart of 2,000).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from support.sandbox_time import SandboxTime

from tui.core import automap
from tui.core.credit import CreditDraft
from tui.core.engine import Engine, Task
from tui.core.invoice import InvoiceDraft
from tui.core.jobs import Attempt, Job, Operation, Outcome
from tui.core.mapping import Mapping
from tui.core.mapping_check import mapping_rows
from tui.core.models import (
    Catalog,
    Chart,
    Contact,
    IncomeAccount,
    TaxCode,
    XeroAccount,
    XeroTaxRate,
)
from tui.core.ports import (
    ElementResult,
    PaymentDraft,
    RemoteCreditNote,
    RemoteInvoice,
    RemotePayment,
)
from tui.core.status import BillState
from tui.remote.transport import RetryPolicy
from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service import pushing
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.service.workspace import Workspace
from tui.store.profile import SHARD_ATTEMPTS, Profile

pytestmark = pytest.mark.bench
FIRM_BILLS = 1150
"""A firm whose finalised, mappable bills number about 1,000."""


def xero_calls(state: SandboxState) -> int:
    return sum(1 for r in state.received if "/api.xro/" in r.url)


async def opened(state: SandboxState, server: SandboxServer, home: Path) -> Workspace:
    profile = Profile.named("bench", home=home)
    await connect_sandbox(Session(profile), server.base_url)
    profile.save_mapping(Mapping(*state.firm.demo_mapping()))
    workspace = await Workspace.connect(
        Session(profile, SandboxTime(state), retry=RetryPolicy(attempts=2, base=0.0))
    )
    await workspace.load()
    return workspace


async def test_calls_and_simulated_minutes_of_a_cold_push_of_1000_bills(
    isolated_home: Path, figures: list[str]
) -> None:
    state = SandboxState.demo(tour=False, bills=FIRM_BILLS, limits=Limits())
    state.received = type(state.received)(maxlen=None)
    with SandboxServer(state) as server:
        workspace = await opened(state, server, isolated_home)
        try:
            due = pushing.due(workspace)
            receipted = sum(1 for b in due if workspace.rows[b].bill.total_paid > 0)
            calls_before, clock_before = xero_calls(state), state.clock.now()
            wall, cpu = time.perf_counter(), time.process_time()
            summary = await pushing.push(workspace, due, lambda _e: None)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            calls = xero_calls(state) - calls_before
            simulated = (state.clock.now() - clock_before).total_seconds() / 60
        finally:
            await workspace.aclose()
    assert summary.created == len(due) >= 950 and summary.failed == 0
    assert summary.paid == receipted
    figures += [
        f"cold push of {len(due)} bills ({receipted} with receipts): {calls} Xero calls, "
        f"{calls / len(due):.3f} per bill (target 0.06); without the "
        f"{math.ceil(receipted / 50)} payment batches: "
        f"{(calls - math.ceil(receipted / 50)) / len(due):.3f} per bill",
        f"the same push under Xero's limits (60/min, 5 in flight): {simulated:.1f} simulated "
        f"minutes; {wall:.1f} s wall, {1000 * cpu / len(due):.2f} ms CPU per bill end to end "
        "(client, JSON, loopback HTTP and the sandbox, one process)",
    ]


async def test_calls_of_a_re_push_of_100_failed_bills(
    isolated_home: Path, figures: list[str]
) -> None:
    state = SandboxState.demo(
        tour=False, bills=FIRM_BILLS, limits=Limits(per_minute=100_000, per_day=1_000_000)
    )
    with SandboxServer(state) as server:
        workspace = await opened(state, server, isolated_home)
        try:
            due = [b for b in pushing.due(workspace) if workspace.rows[b].bill.total_paid == 0]
            state.faults.set("PUT */Invoices=seq:ok,503,503,503,503")  # batches 2 and 3 fail
            await pushing.push(workspace, due[:150], lambda _e: None)
            state.faults.set("")
            failed = [b for b, r in workspace.rows.items() if r.state is BillState.FAILED]
            before = xero_calls(state)
            summary = await pushing.push(workspace, failed, lambda _e: None)
            calls = xero_calls(state) - before
        finally:
            await workspace.aclose()
    assert len(failed) == 100 and summary.created == 100
    figures.append(
        f"re-push of {len(failed)} failed bills: {calls} Xero calls, "
        f"{calls / len(failed):.3f} per bill"
    )


class _InstantXero:
    """Xero answering at once from memory: what is left is the engine's own work."""

    def __init__(self) -> None:
        self.count = 0

    async def contacts_by_number(self) -> dict[str, str]:
        return {}

    async def create_contacts(
        self, contacts: Sequence[Contact], idempotency_key: str
    ) -> list[ElementResult]:
        return [ElementResult(True, f"c-{c.participant_id}") for c in contacts]

    async def create_invoices(
        self, invoices: Sequence[tuple[InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        self.count += len(invoices)
        return [ElementResult(True, f"i-{d.number}", d.number, d.total) for d, _ in invoices]

    async def invoices_by_number(self, numbers: Sequence[str]) -> list[RemoteInvoice]:
        return []

    async def update_invoices(
        self, invoices: Sequence[tuple[str, InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        return [ElementResult(True, i) for i, _, _ in invoices]

    async def void_invoices(
        self, invoice_ids: Sequence[str], idempotency_key: str
    ) -> list[ElementResult]:
        return [ElementResult(True, i) for i in invoice_ids]

    async def create_payments(
        self, payments: Sequence[PaymentDraft], idempotency_key: str
    ) -> list[ElementResult]:
        return [ElementResult(True, p.reference) for p in payments]

    async def payments_by_reference(self, references: Sequence[str]) -> list[RemotePayment]:
        return []

    async def delete_payment(self, payment_id: str, idempotency_key: str) -> None:
        return None

    async def create_credit_notes(
        self, notes: Sequence[tuple[CreditDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        return [ElementResult(True, f"n-{d.number}") for d, _ in notes]

    async def credit_notes_by_number(self, numbers: Sequence[str]) -> list[RemoteCreditNote]:
        return []

    async def allocate_credit(
        self, credit_note_id: str, invoice_id: str, amount: Decimal, day: date, key: str
    ) -> None:
        return None


class _MemoryOutbox:
    async def record_intent(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> list[Job]:
        return list(jobs)

    async def record_outcome(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> None:
        return None


async def test_engine_cpu_per_bill(isolated_home: Path, figures: list[str]) -> None:
    state = SandboxState.demo(tour=False, bills=FIRM_BILLS)
    with SandboxServer(state) as server:
        workspace = await opened(state, server, isolated_home)
        await workspace.aclose()
    tasks = [
        Task(row.bill, Operation.CREATE, row.verdict.invoice)
        for row in workspace.rows.values()
        if row.state is BillState.READY
    ]
    xero = _InstantXero()
    engine = Engine(xero, _MemoryOutbox(), lambda _e: None, who="bench")
    cpu = time.process_time()
    summary = await engine.push(tasks)
    cpu = time.process_time() - cpu
    assert summary.created == len(tasks) == xero.count
    preflight_cpu = time.process_time()
    workspace.evaluate()
    preflight_cpu = time.process_time() - preflight_cpu
    figures.append(
        f"engine alone, {len(tasks)} bills: {1_000_000 * cpu / len(tasks):.0f} µs CPU per bill; "
        f"preflight and state of {len(workspace.rows)} bills: "
        f"{1_000_000 * preflight_cpu / len(workspace.rows):.0f} µs per bill"
    )


@pytest.mark.parametrize("held", [10_000, 100_000])
def test_recording_one_attempt_with_a_month_of_history(
    isolated_home: Path, held: int, figures: list[str]
) -> None:
    profile = Profile.named("bench", home=isolated_home)
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    attempt = Attempt(
        "801",
        "10001",
        at,
        "admin@host",
        "create-invoice",
        Outcome.CREATED,
        invoice_id="a3f1c2d4-0000-4000-8000-000000000001",
        total=Decimal("2767.60"),
        sent="1 line (201/OUTPUT 2516.00 + tax 251.60) = 2767.60 AUD, contact 1201",
    )
    filled = held - 1  # the newest shard one short of full: the dearest write there is
    for start in range(0, filled, SHARD_ATTEMPTS):
        profile.append_history([attempt] * min(SHARD_ATTEMPTS, filled - start))
    size = sum(p.stat().st_size for p in (profile.root / "history").glob("*.json"))
    began = time.perf_counter()
    profile.append_history([attempt])  # into a shard of SHARD_ATTEMPTS - 1
    dearest = time.perf_counter() - began
    began = time.perf_counter()
    profile.append_history([attempt])  # the next shard, fresh
    cheapest = time.perf_counter() - began
    profile.close()
    figures.append(
        f"recording one attempt with {held:,} already in the month "
        f"({size / 1e6:.1f} MB in shards of {SHARD_ATTEMPTS:,}): "
        f"{1000 * dearest:.0f} ms into a full shard, "
        f"{1000 * cheapest:.0f} ms into a fresh one"
    )


def test_auto_map_and_checking_a_large_chart(figures: list[str]) -> None:
    """A big firm: 400 Actionstep accounts against a Xero chart of 2,000 accounts."""
    catalog = Catalog(
        accounts={
            str(n): IncomeAccount(str(n), f"{n}", f"Fee stream {n}") for n in range(4000, 4400)
        },
        tax_codes={"1": TaxCode("1", "GST", "GST on Income", Decimal(10))},
    )
    chart = Chart(
        accounts={
            f"x{n}": XeroAccount(
                f"x{n}", f"{n}", f"Account {n}", "REVENUE", "ACTIVE", account_class="REVENUE"
            )
            for n in range(3000, 5000)
        }
        | {"bank": XeroAccount("bank", "090", "Business Bank Account", "BANK", "ACTIVE")},
        tax_rates={"OUTPUT": XeroTaxRate("OUTPUT", "GST on Income", Decimal(10), "ACTIVE", True)},
    )
    began = time.perf_counter()
    proposals = automap.propose(catalog, Mapping(), chart)
    proposing = time.perf_counter() - began
    mapping = automap.apply(Mapping(), proposals, chart)
    began = time.perf_counter()
    rows = mapping_rows(catalog, mapping, chart, {})
    checking = time.perf_counter() - began
    assert len(proposals) == 402 and not any(r.problem for r in rows)
    figures.append(
        f"auto-map of {len(catalog.accounts)} accounts against a chart of "
        f"{len(chart.accounts):,}: {1000 * proposing:.0f} ms; checking every "
        f"row: {1000 * checking:.0f} ms"
    )
