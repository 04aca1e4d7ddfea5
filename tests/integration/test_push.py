"""Pushing bills, end to end over loopback: every ready bill reaches the sandbox's Xero once,
with the bill's totals, and every failure says why."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from support.faults import FaultyTransport, writes_to
from support.sandbox_time import SandboxTime

from tui.core.events import EngineEvent, EventKind
from tui.core.jobs import JobState, Outcome, as_read
from tui.core.money import format_money
from tui.core.problems import MappingKey, MappingKind
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.remote.transport import static_token
from tui.remote.xero.client import XeroClient
from tui.service import mapping_edits, pushing
from tui.service.demo import Demo
from tui.service.session import Session
from tui.service.workspace import Workspace


async def loaded(demo: Demo, transport: FaultyTransport | None = None) -> Workspace:
    workspace = await Workspace.connect(Session(demo.profile, SandboxTime(demo.state), transport))
    await workspace.load()
    return workspace


def in_xero_before(demo: Demo) -> set[str]:
    """Invoice numbers the demo's Xero already holds (the triage tour's paid invoice)."""
    return {inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()}


def ready_ids(workspace: Workspace, demo: Demo) -> list[str]:
    """Ready bills that Xero does not hold yet."""
    taken = in_xero_before(demo)
    return [
        b
        for b, row in workspace.rows.items()
        if row.state is BillState.READY and row.bill.number not in taken
    ]


async def test_ready_bills_become_invoices_once_with_the_bills_totals(demo: Demo) -> None:
    workspace = await loaded(demo)
    events: list[EngineEvent] = []
    before = len(demo.state.xero.invoices)
    try:
        ready = ready_ids(workspace, demo)
        assert len(ready) >= 180
        summary = await pushing.push(workspace, ready, events.append)
        again = await pushing.push(workspace, ready, events.append)
    finally:
        await workspace.aclose()
    assert (summary.created, summary.failed) == (len(ready), 0)
    assert again.pushed == 0, "pushed bills are not pushed twice"
    invoices = {inv["InvoiceNumber"]: inv for inv in demo.state.xero.invoices.values()}
    assert len(invoices) == len(demo.state.xero.invoices) == len(ready) + before
    for bill_id in ready:
        bill = workspace.rows[bill_id].bill
        invoice = invoices[bill.number]
        assert (invoice["Total"], invoice["TotalTax"]) == (bill.total_inc, bill.total_tax)
        settled = bill.total_paid == bill.total_inc
        assert invoice["Status"] == ("PAID" if settled else "AUTHORISED")
        assert invoice["AmountPaid"] == bill.total_paid, "receipts follow the invoice"
        assert invoice["Contact"]["ContactNumber"] == bill.contact.participant_id  # type: ignore[union-attr]
        assert workspace.rows[bill_id].state is BillState.PUSHED
    kinds = Counter(event.kind for event in events)
    assert kinds[EventKind.CREATED] == len(ready) and kinds[EventKind.QUEUED] == len(ready)
    history = as_read(demo.profile.history())
    receipted = sum(1 for b in ready if workspace.rows[b].bill.total_paid > 0)
    written_off = sum(1 for b in ready if workspace.rows[b].bill.credited > 0)
    assert written_off == 1  # the demo's: its credit note's creation and allocation, one attempt
    assert Counter(a.outcome for a in history) == {
        Outcome.CREATED: len(ready),
        Outcome.PAID: receipted,
        Outcome.CREDITED: written_off,
    }
    assert all(a.who and a.invoice_id for a in history)


async def test_a_lost_answer_is_adopted_on_re_push_not_duplicated(demo: Demo) -> None:
    faults = FaultyTransport(lose_after_commit=[writes_to("/Invoices")])
    workspace = await loaded(demo, faults)
    try:
        ready = ready_ids(workspace, demo)[:60]
        before = len(demo.state.xero.invoices)
        first = await pushing.push(workspace, ready, lambda _e: None)
        assert first.failed == 60 and len(demo.state.xero.invoices) == before + 60
        row = workspace.rows[ready[0]]
        assert row.state is BillState.FAILED and row.cause is Cause.XERO_UNAVAILABLE
        assert "may have been applied" in row.reason
        faults.lose_after_commit.clear()
        second = await pushing.push(workspace, ready, lambda _e: None)
    finally:
        await workspace.aclose()
    assert (second.adopted, second.created, second.failed) == (60, 0, 0)
    assert len(demo.state.xero.invoices) == before + 60, "no duplicate invoice in Xero"
    assert all(workspace.rows[b].state is BillState.PUSHED for b in ready)
    outcomes = [a.outcome for a in as_read(demo.profile.history()) if a.bill_id == ready[0]]
    assert outcomes == [Outcome.FAILED, Outcome.ADOPTED]


async def test_bills_another_process_pushed_meanwhile_are_seen_pushed_and_not_sent_again(
    demo: Demo,
) -> None:
    """A console open while a cron push runs: its push starts by reading the outbox again."""
    console = await loaded(demo)
    cron = await loaded(demo)  # a second workspace on the profile, as a cron push has
    try:
        ready = ready_ids(console, demo)[:30]
        done = await pushing.push(cron, ready, lambda _e: None)
        assert done.created == 30
        assert all(console.rows[b].state is BillState.READY for b in ready), "not yet seen"
        before = len(demo.state.xero.invoices)
        again = await pushing.push(console, ready, lambda _e: None)
    finally:
        await console.aclose()
        await cron.aclose()
    assert (again.created, again.pushed) == (0, 0)
    assert len(demo.state.xero.invoices) == before
    assert all(console.rows[b].state is BillState.PUSHED for b in ready)


async def test_a_number_xero_has_for_different_amounts_is_a_conflict(demo: Demo) -> None:
    workspace = await loaded(demo)
    bill_id = ready_ids(workspace, demo)[0]
    row = workspace.rows[bill_id]
    assert row.verdict.invoice is not None and row.bill.contact is not None
    token = demo.profile.token("xero")
    assert token is not None
    xero = XeroClient(
        demo.server.xero_api_url, demo.state.xero.tenant_id, static_token(token["access_token"])
    )
    try:  # someone keyed an invoice with this number into Xero by hand, for a dollar more
        first_line = row.verdict.invoice.lines[0]
        hand_keyed = replace(
            row.verdict.invoice,
            lines=(
                replace(first_line, amount=first_line.amount + 1),
                *row.verdict.invoice.lines[1:],
            ),
        )
        contact_id = (await xero.contacts_by_number()).get(row.bill.contact.participant_id)
        if contact_id is None:
            [created] = await xero.create_contacts([row.bill.contact])
            contact_id = created.remote_id
        assert contact_id
        await xero.create_invoices([(hand_keyed, contact_id)], "hand-keyed")
        before = len(demo.state.xero.invoices)
        summary = await pushing.push(workspace, [bill_id], lambda _e: None)
    finally:
        await xero.aclose()
        await workspace.aclose()
    after = workspace.rows[bill_id]
    assert summary.failed == 1 and after.cause is Cause.NUMBER_CONFLICT
    assert (
        f"Xero already has invoice {row.bill.number} for {format_money(hand_keyed.total)}"
        in after.reason
    )
    assert len(demo.state.xero.invoices) == before


async def test_xero_unreachable_fails_the_push_cleanly_and_it_recovers(demo: Demo) -> None:
    faults = FaultyTransport(refuse=[writes_to("/Invoices")])
    workspace = await loaded(demo, faults)
    try:
        ready = ready_ids(workspace, demo)[:10]
        before = len(demo.state.xero.invoices)
        first = await pushing.push(workspace, ready, lambda _e: None)
        assert first.failed == 10 and len(demo.state.xero.invoices) == before
        assert workspace.profile.jobs()[ready[0]].state is JobState.FAILED
        assert "could not be reached" in workspace.rows[ready[0]].reason
        faults.refuse.clear()
        second = await pushing.push(workspace, ready, lambda _e: None)
    finally:
        await workspace.aclose()
    assert second.created == 10 and len(demo.state.xero.invoices) == before + 10


async def test_mapping_the_missing_account_makes_its_blocked_bills_ready(demo: Demo) -> None:
    workspace = await loaded(demo)
    try:
        key = MappingKey(MappingKind.ACCOUNT, "4005")  # 215 Mediation Fees, unmapped
        blocked = [
            row
            for row in workspace.rows.values()
            if row.state is BillState.BLOCKED and [p.row for p in row.verdict.problems] == [key]
        ]
        assert len(blocked) == 7
        other_revenue = workspace.chart.account_by_code("260")
        assert other_revenue is not None
        changed = (await mapping_edits.set_row(workspace, key, other_revenue.account_id)).changed
    finally:
        await workspace.aclose()
    assert sorted(changed) == sorted(row.bill.bill_id for row in blocked)
    assert all(workspace.rows[b].state is BillState.READY for b in changed)
    assert demo.profile.mapping().accounts[key.source_id] == other_revenue.account_id
    total = sum((workspace.rows[b].bill.total_inc for b in changed), Decimal(0))
    assert total > 0


async def test_bills_already_paid_in_xero_are_adopted_or_fail_as_settled(demo: Demo) -> None:
    """The demo's tour: Xero holds two of the bills' invoices, paid by a bank feed. One bill is
    unchanged since, and is adopted; a fee was added to the other, which cannot follow."""
    workspace = await loaded(demo)
    held = in_xero_before(demo)
    bill_ids = [b for b, row in workspace.rows.items() if row.bill.number in held]
    try:
        assert all(workspace.rows[b].state is BillState.READY for b in bill_ids)
        summary = await pushing.push(workspace, bill_ids, lambda _e: None)
    finally:
        await workspace.aclose()
    assert (summary.adopted, summary.failed, summary.created) == (1, 1, 0)
    [edited] = [workspace.rows[b] for b in bill_ids if workspace.rows[b].state is BillState.FAILED]
    assert edited.cause is Cause.ALREADY_SETTLED
    assert f"invoice {edited.bill.number} is paid in Xero" in edited.reason
    assert "changed after it reached Xero" in edited.reason
    assert len(demo.state.xero.invoices) == 2
