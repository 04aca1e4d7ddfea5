"""Credits, write-offs and reversed receipts in Actionstep follow the bill into Xero: a credit
note allocated to the invoice, axpush's newest payments deleted and the rest paid again. Each
exactly once when Xero's answers are lost, and never touching what a person did in Xero. All
over real loopback HTTP against the sandbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from support.sandboxes import demo_admin as admin

from tui.core.jobs import Operation, Outcome, as_read
from tui.core.outcomes import PushSummary
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.service import pushing
from tui.service.demo import Demo
from tui.service.workspace import Workspace


def open_bills(workspace: Workspace, count: int) -> list[str]:
    """Unpaid Open bills that can go, worth more than 300."""
    return [
        b
        for b, row in sorted(workspace.rows.items())
        if row.state is BillState.READY
        and row.bill.total_paid == 0
        and row.bill.status.value == "Open"
        and row.bill.total_inc > 300
    ][:count]


def invoice(demo: Demo, workspace: Workspace, bill_id: str) -> dict[str, Any]:
    number = workspace.bills[bill_id].number
    return next(i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number)


def notes_of(demo: Demo, number: str) -> list[dict[str, Any]]:
    return [
        n for n in demo.state.xero.credit_notes.values() if n["CreditNoteNumber"].startswith(number)
    ]


def live_payments(demo: Demo, invoice_id: str) -> list[dict[str, Any]]:
    return [
        p
        for p in demo.state.xero.payments.values()
        if p["Invoice"]["InvoiceID"] == invoice_id and p["Status"] != "DELETED"
    ]


def agrees(demo: Demo, workspace: Workspace, bill_id: str) -> tuple[Any, ...]:
    """(Xero's Total, AmountPaid, AmountDue) beside (Actionstep's totalInclusive, totalPaid,
    totalDue)."""
    bill, xero = workspace.bills[bill_id], invoice(demo, workspace, bill_id)
    return (
        (xero["Total"], xero["AmountPaid"], xero["AmountDue"]),
        (bill.total_inc, bill.total_paid, bill.total_due),
    )


async def push(workspace: Workspace, bill_ids: list[str] | None = None) -> PushSummary:
    return await pushing.push(workspace, bill_ids, lambda _event: None)


async def test_a_credit_and_a_reversed_receipt_leave_xero_agreeing_with_actionstep(
    demo: Demo, workspace: Workspace
) -> None:
    credited, reversed_ = open_bills(workspace, 2)
    await admin(demo, f"actionstep/bills/{reversed_}", {"pay": "200.00"})
    await workspace.sync()
    await push(workspace)  # every bill due, the two with them

    await admin(demo, f"actionstep/bills/{credited}", {"credit": "100.00"})
    await admin(demo, f"actionstep/bills/{reversed_}", {"unpay": "50.00"})
    await workspace.sync()
    assert workspace.rows[credited].brief == "credited 100.00: credit note due"
    assert workspace.rows[reversed_].brief == "receipt reversed 50.00: delete due"
    due = [row.due.operation for row in workspace.rows.values() if row.due is not None]
    summary = await push(workspace)

    assert due.count(Operation.CREDIT) == summary.credited >= 1
    assert due.count(Operation.REVERSE) == summary.reversed >= 1  # the demo's bounced one too
    assert summary.paid == summary.reversed  # what is left of each receipt, paid again
    pushed = [b for b, row in workspace.rows.items() if row.state is BillState.PUSHED]
    assert credited in pushed and reversed_ in pushed and len(pushed) > 100
    for bill_id in pushed:
        if workspace.jobs[bill_id].voided or workspace.jobs[bill_id].resolved:
            continue
        xero, actionstep = agrees(demo, workspace, bill_id)
        assert xero == actionstep, workspace.bills[bill_id].number
    number = workspace.bills[credited].number
    [note] = notes_of(demo, f"{number}-CR")
    assert note["CreditNoteNumber"] == f"{number}-CR1" and note["Total"] == Decimal("100.00")
    assert note["Type"] == "ACCRECCREDIT" and note["RemainingCredit"] == 0
    [payment] = live_payments(demo, invoice(demo, workspace, reversed_)["InvoiceID"])
    assert payment["Amount"] == Decimal("150.00")
    assert payment["Reference"] == f"axpush:{reversed_}:2"  # the deleted one's is never reused

    writes = sum(1 for r in demo.state.received if r.method in ("PUT", "POST"))
    again = await push(workspace)
    assert again.pushed == 0
    assert sum(1 for r in demo.state.received if r.method in ("PUT", "POST")) == writes
    assert workspace.rows[credited].state is BillState.PUSHED
    history = [(a.action, a.outcome) for a in demo.profile.history() if a.bill_id == reversed_]
    assert ("delete-payment", Outcome.REVERSED) in history
    credit = [
        (a.action, a.outcome) for a in as_read(demo.profile.history()) if a.bill_id == credited
    ]
    assert credit[-1] == ("create-credit-note", Outcome.CREDITED)  # made and allocated: one attempt
    assert Outcome.SENDING not in {outcome for _, outcome in credit}


async def test_a_credit_note_is_coded_like_the_invoice_in_proportion_to_the_cent(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"credit": "33.33"})
    await workspace.sync()
    await push(workspace, [bill_id])

    [note] = notes_of(demo, workspace.bills[bill_id].number)
    sent = invoice(demo, workspace, bill_id)
    assert note["Total"] == Decimal("33.33")
    assert {(n["AccountCode"], n["TaxType"]) for n in note["LineItems"]} <= {
        (i["AccountCode"], i["TaxType"]) for i in sent["LineItems"]
    }
    assert note["Contact"]["ContactID"] == sent["Contact"]["ContactID"]
    assert agrees(demo, workspace, bill_id)[0] == agrees(demo, workspace, bill_id)[1]


@pytest.mark.parametrize(
    "lost", ["PUT */CreditNotes=lost:1", "PUT */Allocations=lost:1"], ids=["create", "allocate"]
)
async def test_a_credit_whose_answer_was_lost_is_found_by_number_not_made_twice(
    demo: Demo, workspace: Workspace, lost: str
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"credit": "120.00"})
    await workspace.sync()
    demo.state.faults.set(lost)  # done in Xero, every answer lost
    failed = await push(workspace, [bill_id])
    assert failed.failed == 1 and workspace.rows[bill_id].cause is Cause.XERO_UNAVAILABLE
    demo.state.faults.set("")

    again = await push(workspace, [bill_id])

    assert again.credited == 1
    number = workspace.bills[bill_id].number
    assert [n["Total"] for n in notes_of(demo, number)] == [Decimal("120.00")]
    assert agrees(demo, workspace, bill_id)[0] == agrees(demo, workspace, bill_id)[1]
    assert workspace.jobs[bill_id].credits == 1
    assert workspace.rows[bill_id].state is BillState.PUSHED


async def test_a_payment_deletion_whose_answer_was_lost_is_not_repeated_and_the_rest_repaid_once(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    for amount in ("100.00", "60.00"):
        await admin(demo, f"actionstep/bills/{bill_id}", {"pay": amount})
        await workspace.sync()
        await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"unpay": "80.00"})
    await workspace.sync()
    demo.state.faults.set("POST */Payments/*=lost:1")
    failed = await push(workspace, [bill_id])
    assert failed.failed == 1
    demo.state.faults.set("")

    again = await push(workspace, [bill_id])

    assert (again.reversed, again.paid) == (1, 1)
    payments = live_payments(demo, invoice(demo, workspace, bill_id)["InvoiceID"])
    assert [(p["Reference"], p["Amount"]) for p in payments] == [  # newest first: the 60,
        (f"axpush:{bill_id}:3", Decimal("80.00")),  # then the 100 went; 80 is paid again
    ]
    assert agrees(demo, workspace, bill_id)[0] == agrees(demo, workspace, bill_id)[1]


async def test_a_reversal_never_deletes_a_payment_a_person_made_in_xero(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": "90.00"})
    await workspace.sync()
    await push(workspace, [bill_id])
    number = workspace.bills[bill_id].number
    await admin(demo, f"xero/invoices/{number}", {"unpay": True})  # axpush's payment removed
    await admin(demo, f"xero/invoices/{number}", {"pay": "90.00"})  # and entered by hand
    await admin(demo, f"actionstep/bills/{bill_id}", {"unpay": "90.00"})
    await workspace.sync()

    summary = await push(workspace, [bill_id])

    assert summary.failed == 1 and summary.reversed == 0
    row = workspace.rows[bill_id]
    assert row.state is BillState.FAILED and row.cause is Cause.ALREADY_SETTLED
    assert "changed in Xero" in row.reason
    [kept] = live_payments(demo, invoice(demo, workspace, bill_id)["InvoiceID"])
    assert kept["Reference"] == "paid in Xero"


async def test_a_credit_xero_cannot_take_because_the_invoice_was_paid_there_goes_to_triage(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"xero/invoices/{workspace.bills[bill_id].number}", {"pay": None})
    await admin(demo, f"actionstep/bills/{bill_id}", {"credit": "50.00"})
    await workspace.sync()

    summary = await push(workspace, [bill_id])

    assert summary.failed == 1
    row = workspace.rows[bill_id]
    assert row.cause is Cause.ALREADY_SETTLED and "already been paid off" in row.reason
    assert row.job is not None and row.job.operation is Operation.CREDIT


async def test_a_credit_dated_in_a_locked_period_says_so_and_goes_on_the_first_open_day_if_agreed(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"credit": "10.00"})
    await workspace.sync()
    modified = workspace.bills[bill_id].modified
    assert modified is not None
    lock = modified.date() + timedelta(days=1)  # the accountant closed the month meanwhile
    await admin(demo, "xero/organisation", {"lock": lock.isoformat()})

    summary = await push(workspace, [bill_id])

    assert summary.failed == 1
    row = workspace.rows[bill_id]
    assert row.cause is Cause.PERIOD_LOCKED and "period lock date" in row.reason
    assert not notes_of(demo, workspace.bills[bill_id].number)

    agreed = await pushing.push(workspace, [bill_id], lambda _event: None, open_day=True)

    assert agreed.credited == 1, workspace.rows[bill_id].reason
    [note] = notes_of(demo, workspace.bills[bill_id].number)
    assert note["DateString"] == f"{lock + timedelta(days=1)}T00:00:00"
    assert note["Allocations"][0]["Date"] == note["Date"]
    assert agrees(demo, workspace, bill_id)[0] == agrees(demo, workspace, bill_id)[1]


async def test_a_payment_whose_answer_was_lost_then_reversed_in_actionstep_is_found_and_deleted(
    demo: Demo, workspace: Workspace
) -> None:
    [bill_id] = open_bills(workspace, 1)
    await push(workspace, [bill_id])
    await admin(demo, f"actionstep/bills/{bill_id}", {"pay": "70.00"})
    await workspace.sync()
    demo.state.faults.set("PUT */Payments=lost:1")  # in Xero; the answer never came
    assert (await push(workspace, [bill_id])).failed == 1
    demo.state.faults.set("")
    await admin(demo, f"actionstep/bills/{bill_id}", {"unpay": "70.00"})  # the cheque bounced
    await workspace.sync()
    row = workspace.rows[bill_id]
    assert row.due is not None and row.due.operation is Operation.REVERSE and row.pushable

    again = await push(workspace, [bill_id])

    assert again.reversed == 1 and again.failed == 0
    assert not live_payments(demo, invoice(demo, workspace, bill_id)["InvoiceID"])
    assert agrees(demo, workspace, bill_id)[0] == agrees(demo, workspace, bill_id)[1]
    assert workspace.rows[bill_id].state is BillState.PUSHED
