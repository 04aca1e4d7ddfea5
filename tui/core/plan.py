"""What each bill needs from a push: to be created, updated, voided or paid in Xero.

A bill is compared with what Xero was last given for it through a fingerprint of the bill as
Actionstep sent it. A change of mapping alone does not re-code invoices already in Xero; an edit
in Actionstep does. Payments follow `totalPaid` both ways (a fall deletes axpush's newest
payments); credits and write-offs (`Bill.credited`) become credit notes; deletions void the
invoice. After an invoice is created or updated, the rest follow in the order of `FOLLOWS`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from tui.core.jobs import Attempt, Job, JobState, Operation, Outcome
from tui.core.models import Bill, BillStatus
from tui.core.money import ZERO


def fingerprint(bill: Bill) -> str:
    """A digest of what the invoice shows of the bill: number, currency, dates, totals, client,
    matter and lines. Spelled out field by field, as text, because it runs for every bill each
    time states are computed (`asdict` and JSON were most of a push's CPU)."""
    contact, matter = bill.contact, bill.matter
    content = (
        bill.number,
        bill.currency,
        str(bill.invoice_date),
        str(bill.due_date),
        str(bill.total_ex),
        str(bill.total_tax),
        str(bill.total_inc),
        (
            contact.participant_id,
            contact.name,
            contact.email,
            contact.first_name,
            contact.last_name,
            contact.is_company,
        )
        if contact
        else None,
        (matter.matter_id, matter.name, matter.reference) if matter else None,
        tuple(
            (
                ln.line_id,
                ln.kind.value,
                ln.description,
                str(ln.amount),
                str(ln.tax),
                ln.account_id,
                ln.tax_code_id,
            )
            for ln in bill.lines
        ),
    )
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Due:
    operation: Operation
    amount: Decimal | None = None
    """For a payment: how much more Actionstep has received than Xero was told of; for a
    reversal, how much less; for a credit, how much more was credited."""

    def describe(self, currency: str = "") -> str:
        if self.operation is Operation.UPDATE:
            return "edited in Actionstep since it reached Xero: the invoice will be updated"
        if self.operation is Operation.VOID:
            return "deleted in Actionstep: the Xero invoice will be voided"
        money = f"{currency + ' ' if currency else ''}{self.amount or 0:,.2f}"
        if self.operation is Operation.PAYMENT:
            return f"{money} received in Actionstep: a payment will be pushed"
        if self.operation is Operation.REVERSE:
            return (
                f"{money} of receipts reversed in Actionstep: axpush's newest payments "
                "will be deleted in Xero, and any remainder paid again"
            )
        if self.operation is Operation.CREDIT:
            return (
                f"{money} credited or written off in Actionstep: a credit note will be "
                "allocated to the invoice"
            )
        return "ready to go to Xero"


FOLLOWS = (Operation.UPDATE, Operation.REVERSE, Operation.CREDIT, Operation.PAYMENT)
"""What a bill already in Xero may need, in the order a push does it: the invoice as the bill
is now, then receipts reversed (freeing the amount due), credits, and payments."""


def due(bill: Bill, job: Job | None) -> Due | None:
    """What the next push should do for this bill, if anything."""
    if job is not None and job.resolved and not job.in_xero:
        return None  # an admin took it over in Xero
    if job is None or not job.in_xero:
        if bill.status in (BillStatus.OPEN, BillStatus.CLOSED):
            return Due(Operation.CREATE)
        if bill.status is BillStatus.DELETED and job is not None and job.may_be_in_xero:
            return Due(Operation.VOID)  # looked up by number first, voided if it is there
        return None
    if bill.status is BillStatus.DELETED:
        return None if job.voided else Due(Operation.VOID)
    if job.voided:
        return None
    if job.source and job.source != fingerprint(bill):
        return Due(Operation.UPDATE)
    if job.payment_pending and bill.total_paid > job.paid:
        # A payment whose answer was lost goes first: its retry looks it up, and what Xero
        # holds then decides the rest (a credit allocated before it could overrun the invoice).
        return Due(Operation.PAYMENT, bill.total_paid - job.paid)
    if (
        bill.total_paid < job.paid
        or job.reversal_pending
        or (job.payment_pending and bill.total_paid <= job.paid)
    ):
        # Receipts reversed. Or a reversal or a payment whose answer was lost, and Actionstep
        # changed again before the next push: Xero is asked which of axpush's payments it
        # holds, and they are made to match Actionstep's `totalPaid`.
        return Due(Operation.REVERSE, max(ZERO, job.paid - bill.total_paid))
    if bill.credited > job.credited:
        return Due(Operation.CREDIT, bill.credited - job.credited)
    if bill.total_paid > job.paid:
        return Due(Operation.PAYMENT, bill.total_paid - job.paid)
    return None


def payment_day(bill: Bill, today: date) -> date:
    """The date of a payment or credit note for a change Actionstep shows now: the day the
    bill was last modified (when `totalPaid` or `totalDue` changed), never before the bill's
    own date nor after today. The push's day only when Actionstep gave no timestamp."""
    day = bill.modified.date() if bill.modified is not None else today
    if bill.invoice_date is not None and day < bill.invoice_date:
        day = bill.invoice_date
    return min(day, today)


def resolve(bill: Bill, job: Job | None, at: datetime, who: str, why: str) -> tuple[Job, Attempt]:
    """An admin says Xero is right for this bill as it stands: settled by hand there (paid,
    credited, re-entered). Nothing is due until Actionstep changes the bill again; a bill whose
    invoice axpush never created is left to the admin for good."""
    base = job or Job(bill.bill_id, bill.number, JobState.FAILED, "", at)
    settled = replace(
        base,
        state=JobState.PUSHED,
        updated=at,
        cause=None,
        message="",
        amount=None,
        source=fingerprint(bill),
        paid=bill.total_paid,
        credited=bill.credited,
        voided=bill.status is BillStatus.DELETED,
        resolved=why,
    )
    attempt = Attempt(
        bill.bill_id,
        bill.number,
        at,
        who,
        "mark-resolved",
        Outcome.RESOLVED,
        invoice_id=base.xero_id,
        total=bill.total_inc,
        cause=job.cause if job else None,
        message=why,
    )
    return settled, attempt
