"""After a bill reaches Xero, Actionstep keeps changing it: edits update the invoice, deletions
void it, receipts become payments. Where Xero refuses (paid or written off there), the bill goes
to triage with the reason, never silently. All over real loopback HTTP against the sandbox."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from support.sandboxes import demo_admin as admin

from tui.core.jobs import JobState, Operation, Outcome, as_read
from tui.core.problems import RECEIPTS, MappingKey, MappingKind
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.service import mapping_edits, pushing
from tui.service.demo import Demo
from tui.service.workspace import Workspace


async def pushed_open_bill(workspace: Workspace, skip: int = 0) -> str:
    """An unpaid Open bill, pushed to Xero."""
    candidates = [
        b
        for b, row in workspace.rows.items()
        if row.state is BillState.READY
        and row.bill.total_paid == 0
        and row.bill.status.value == "Open"
    ]
    bill_id = candidates[skip]
    summary = await pushing.push(workspace, [bill_id], lambda _e: None)
    assert summary.created == 1, summary
    return bill_id


def invoice(demo: Demo, workspace: Workspace, bill_id: str) -> dict[str, Any]:
    number = workspace.rows[bill_id].bill.number
    return next(i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number)


def payments_of(demo: Demo, invoice_id: str) -> list[dict[str, Any]]:
    return [
        p
        for p in demo.state.xero.payments.values()
        if p["Invoice"]["InvoiceID"] == invoice_id and p["Status"] != "DELETED"
    ]


async def test_a_bill_edited_in_actionstep_after_its_push_updates_the_xero_invoice(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "250"}})
    await workspace.sync()
    row = workspace.rows[bill_id]
    assert row.state is BillState.CHANGED and row.due is not None
    assert row.due.operation is Operation.UPDATE and "edited" in row.brief
    assert bill_id in pushing.due(workspace)

    summary = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert summary.updated == 1 and summary.failed == 0
    xero = invoice(demo, workspace, bill_id)
    assert xero["Total"] == workspace.bills[bill_id].total_inc
    assert xero["Status"] == "AUTHORISED"
    assert workspace.rows[bill_id].state is BillState.PUSHED
    history = [a for a in demo.profile.history() if a.bill_id == bill_id]
    assert [(a.action, a.outcome) for a in history] == [  # each recorded as sent, then answered
        ("create-invoice", Outcome.SENDING),
        ("create-invoice", Outcome.CREATED),
        ("update-invoice", Outcome.SENDING),
        ("update-invoice", Outcome.UPDATED),
    ]
    assert "line" in history[2].sent and history[2].message.startswith("sent to Xero")


async def test_a_bill_deleted_in_actionstep_is_voided_in_xero(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    await admin(demo, f"actionstep/bills/{bill_id}", {"status": "Deleted"})
    await workspace.sync()
    assert workspace.rows[bill_id].state is BillState.CHANGED
    assert "void" in workspace.rows[bill_id].brief

    summary = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert summary.voided == 1
    assert invoice(demo, workspace, bill_id)["Status"] == "VOIDED"
    row = workspace.rows[bill_id]
    assert row.state is BillState.PUSHED and "voided in Xero" in row.reason
    assert bill_id not in pushing.due(workspace)


async def test_receipts_in_actionstep_become_payments_to_the_mapped_bank_account(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    total = workspace.bills[bill_id].total_inc
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": "100.00"})
    await workspace.sync()
    row = workspace.rows[bill_id]
    assert row.state is BillState.CHANGED and row.due is not None
    assert row.due.amount == Decimal("100.00")

    first = await pushing.push(workspace, [bill_id], lambda _e: None)
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": None})  # the rest
    await workspace.sync()
    second = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert (first.paid, second.paid) == (1, 1)
    xero = invoice(demo, workspace, bill_id)
    payments = payments_of(demo, xero["InvoiceID"])
    assert [(p["Reference"], p["Amount"]) for p in payments] == [
        (f"axpush:{bill_id}:1", Decimal("100.00")),
        (f"axpush:{bill_id}:2", total - Decimal("100.00")),
    ]
    assert {p["Account"]["Code"] for p in payments} == {"090"}
    assert xero["Status"] == "PAID" and xero["AmountPaid"] == total
    assert workspace.rows[bill_id].state is BillState.PUSHED


async def test_a_payment_whose_answer_was_lost_is_found_by_its_reference_not_sent_twice(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": "40.00"})
    await workspace.sync()
    demo.state.faults.set("PUT */Payments=lost:1")  # committed in Xero, every answer lost
    lost = await pushing.push(workspace, [bill_id], lambda _e: None)
    assert lost.failed == 1 and workspace.rows[bill_id].cause is Cause.XERO_UNAVAILABLE
    demo.state.faults.set("")
    puts_before = sum(1 for r in demo.state.received if r.method == "PUT")

    again = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert again.paid == 1
    xero = invoice(demo, workspace, bill_id)
    assert [p["Amount"] for p in payments_of(demo, xero["InvoiceID"])] == [Decimal("40.00")]
    assert sum(1 for r in demo.state.received if r.method == "PUT") == puts_before
    assert workspace.rows[bill_id].state is BillState.PUSHED
    assert workspace.jobs[bill_id].paid == Decimal("40.00")


async def test_a_bill_paid_in_xero_cannot_take_an_edit_and_goes_to_triage(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    number = workspace.rows[bill_id].bill.number
    before = invoice(demo, workspace, bill_id)["Total"]
    await admin(demo, f"xero/invoices/{number}", {"pay": None})
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "90"}})
    await workspace.sync()

    summary = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert summary.failed == 1 and summary.causes == {Cause.ALREADY_SETTLED: 1}
    row = workspace.rows[bill_id]
    assert row.state is BillState.FAILED and row.cause is Cause.ALREADY_SETTLED
    assert f"invoice {number} is paid" in row.reason
    assert invoice(demo, workspace, bill_id)["Total"] == before, "Xero's invoice is untouched"
    assert workspace.jobs[bill_id].invoice_id is not None, "the failure keeps the invoice"


async def test_a_deleted_bill_whose_invoice_has_payments_is_not_voided(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    number = workspace.rows[bill_id].bill.number
    await admin(demo, f"xero/invoices/{number}", {"pay": "10.00"})
    await admin(demo, f"actionstep/bills/{bill_id}", {"status": "Deleted"})
    await workspace.sync()

    await pushing.push(workspace, [bill_id], lambda _e: None)

    assert invoice(demo, workspace, bill_id)["Status"] == "AUTHORISED"
    row = workspace.rows[bill_id]
    assert row.cause is Cause.ALREADY_SETTLED and "cannot be voided" in row.reason


async def test_without_a_bank_account_for_receipts_a_payment_waits_with_the_reason(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    await mapping_edits.set_row(workspace, MappingKey(MappingKind.BANK, RECEIPTS), None)
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": "25.00"})
    await workspace.sync()

    row = workspace.rows[bill_id]
    assert row.state is BillState.BLOCKED and row.cause is Cause.MAPPING_MISSING
    assert "payments received" in row.brief
    assert bill_id not in pushing.due(workspace)
    bank = MappingKey(MappingKind.BANK, RECEIPTS)
    assert mapping_edits.blocked_by_row(workspace)[bank] >= 1

    business = next(a.account_id for a in workspace.chart.accounts.values() if a.code == "090")
    await mapping_edits.set_row(workspace, bank, business)
    summary = await pushing.push(workspace, [bill_id], lambda _e: None)
    assert summary.paid == 1


async def test_a_refused_edit_marked_resolved_waits_for_the_next_edit_in_actionstep(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = await pushed_open_bill(workspace)
    number = workspace.rows[bill_id].bill.number
    await admin(demo, f"xero/invoices/{number}", {"pay": None})
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "90"}})
    await workspace.sync()
    await pushing.push(workspace, [bill_id], lambda _e: None)
    assert workspace.rows[bill_id].cause is Cause.ALREADY_SETTLED

    await pushing.mark_resolved(workspace, bill_id, "the extra fee was invoiced separately in Xero")

    row = workspace.rows[bill_id]
    assert row.state is BillState.PUSHED and row.due is None
    assert "invoiced separately" in row.reason
    assert workspace.jobs[bill_id].invoice_id is not None, "still ours, still followed"
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "15"}})
    await workspace.sync()
    again = workspace.rows[bill_id]
    assert again.state is BillState.CHANGED and again.due is not None
    assert again.due.operation is Operation.UPDATE


async def test_history_keeps_what_was_sent_and_xeros_answer_to_a_failed_call(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = next(b for b, row in workspace.rows.items() if row.state is BillState.READY)
    demo.state.faults.set("PUT */Invoices=503:1")
    await pushing.push(workspace, [bill_id], lambda _e: None)
    demo.state.faults.set("")
    await pushing.push(workspace, [bill_id], lambda _e: None)

    failed, created = [
        a
        for a in as_read(demo.profile.history())
        if a.bill_id == bill_id and a.action == "create-invoice"
    ]
    draft = workspace.rows[bill_id].verdict.invoice
    assert draft is not None
    assert failed.outcome is Outcome.FAILED and "The Organisation is Offline" in failed.raw
    assert created.outcome is Outcome.CREATED and not created.raw
    for attempt in (failed, created):
        assert f"= {draft.total} AUD" in attempt.sent
        assert f"{draft.lines[0].account_code}/{draft.lines[0].tax_type}" in attempt.sent


async def test_a_create_whose_answer_was_lost_then_edited_is_adopted_and_updated_not_doubled(
    demo: Demo, workspace: Workspace
) -> None:
    bill_id = next(
        b
        for b, row in workspace.rows.items()
        if row.state is BillState.READY and row.bill.total_paid == 0
    )
    demo.state.faults.set("PUT */Invoices=lost:1")  # Xero creates it; every answer is lost
    lost = await pushing.push(workspace, [bill_id], lambda _e: None)
    demo.state.faults.set("")
    assert lost.failed == 1 and workspace.rows[bill_id].cause is Cause.XERO_UNAVAILABLE
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "75"}})
    await workspace.sync()

    again = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert (again.adopted, again.updated, again.failed) == (1, 1, 0)
    number = workspace.rows[bill_id].bill.number
    invoices = [i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number]
    assert len(invoices) == 1 and invoices[0]["Total"] == workspace.bills[bill_id].total_inc
    assert workspace.rows[bill_id].state is BillState.PUSHED
    assert [a.outcome for a in as_read(demo.profile.history()) if a.bill_id == bill_id] == [
        Outcome.FAILED,
        Outcome.ADOPTED,
        Outcome.UPDATED,
    ]


async def test_a_lost_create_is_still_recognised_after_a_later_version_was_refused_as_a_duplicate(
    demo: Demo, workspace: Workspace
) -> None:
    """The create's answer is lost; the bill is edited; the next push sends the new version,
    Xero refuses it (the number is taken) and the look-up fails. Xero still holds the first
    version: a later push recognises it as that send, adopts it and updates it, rather than
    calling it a stranger's invoice."""
    bill_id = next(
        b
        for b, row in sorted(workspace.rows.items())
        if row.state is BillState.READY and row.bill.total_paid == 0
    )
    demo.state.faults.set("PUT */Invoices=lost:1")
    await pushing.push(workspace, [bill_id], lambda _e: None)
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "58"}})
    await workspace.sync()
    demo.state.faults.set("GET */Invoices=500:1")  # the look-up after the refusal fails
    refused = await pushing.push(workspace, [bill_id], lambda _e: None)
    assert refused.failed == 1 and workspace.rows[bill_id].cause is Cause.XERO_UNAVAILABLE
    demo.state.faults.set("")

    again = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert (again.adopted, again.updated, again.failed) == (1, 1, 0)
    number = workspace.bills[bill_id].number
    [invoice] = [i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number]
    assert invoice["Total"] == workspace.bills[bill_id].total_inc


async def test_a_push_killed_mid_create_then_edited_is_reconciled_and_updated(
    demo: Demo, workspace: Workspace
) -> None:
    """kill -9 between intent and outcome leaves the job `sending`; the bill is edited before
    the next push, which finds the invoice as first sent, adopts it, and updates it."""
    bill_id = next(
        b
        for b, row in workspace.rows.items()
        if row.state is BillState.READY and row.bill.total_paid == 0
    )
    demo.state.faults.set("PUT */Invoices=lost:1")
    await pushing.push(workspace, [bill_id], lambda _e: None)
    demo.state.faults.set("")
    interrupted = replace(demo.profile.jobs()[bill_id], state=JobState.SENDING)
    demo.profile.record_jobs([interrupted])  # as the killed pusher left it
    await admin(demo, f"actionstep/bills/{bill_id}", {"add_fee": {"amount": "40"}})
    await workspace.sync()

    summary = await pushing.push(workspace, [bill_id], lambda _e: None)

    assert summary.updated == 1 and summary.failed == 0
    number = workspace.rows[bill_id].bill.number
    invoices = [i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number]
    assert len(invoices) == 1 and invoices[0]["Total"] == workspace.bills[bill_id].total_inc
    actions = [
        (a.action, a.outcome)
        for a in demo.profile.history()
        if a.bill_id == bill_id and a.outcome is not Outcome.SENDING
    ]
    assert actions[-2:] == [("reconcile", Outcome.ADOPTED), ("update-invoice", Outcome.UPDATED)]
