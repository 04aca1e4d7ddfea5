"""What each bill needs from a push: to be created, updated, voided or paid in Xero.

A bill is compared with what Xero was last given for it through a fingerprint of the bill as
Actionstep sent it. A change of mapping alone does not re-code invoices already in Xero; an edit
in Actionstep does. Payments follow `totalPaid`; deletions void the invoice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tui.core.jobs import Attempt, Job, JobState, Operation, Outcome
from tui.core.models import Bill, BillStatus

# What an edit in Actionstep can change that the invoice in Xero shows.
_SOURCE_FIELDS = ("number", "currency", "invoice_date", "due_date", "total_ex", "total_tax",
                  "total_inc", "contact", "matter", "lines")


def fingerprint(bill: Bill) -> str:
    data = bill.to_json()
    content = {name: data[name] for name in _SOURCE_FIELDS}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Due:
    operation: Operation
    amount: Decimal | None = None
    """For a payment: how much more Actionstep has received than Xero was told of."""

    def describe(self, currency: str = "") -> str:
        if self.operation is Operation.UPDATE:
            return "edited in Actionstep since it reached Xero: the invoice will be updated"
        if self.operation is Operation.VOID:
            return "deleted in Actionstep: the Xero invoice will be voided"
        if self.operation is Operation.PAYMENT and self.amount is not None:
            return (f"{currency + ' ' if currency else ''}{self.amount:,.2f} received in "
                    "Actionstep: a payment will be pushed")
        return "ready to go to Xero"


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
    if bill.total_paid > job.paid:
        return Due(Operation.PAYMENT, bill.total_paid - job.paid)
    return None


def resolve(bill: Bill, job: Job | None, at: datetime, who: str, why: str) -> tuple[Job, Attempt]:
    """An admin says Xero is right for this bill as it stands: settled by hand there (paid,
    credited, re-entered). Nothing is due until Actionstep changes the bill again; a bill whose
    invoice axpush never created is left to the admin for good."""
    base = job or Job(bill.bill_id, bill.number, JobState.FAILED, "", at)
    settled = replace(base, state=JobState.PUSHED, updated=at, cause=None, message="",
                      amount=None, source=fingerprint(bill), paid=bill.total_paid,
                      voided=bill.status is BillStatus.DELETED, resolved=why)
    attempt = Attempt(bill.bill_id, bill.number, at, who, "mark-resolved", Outcome.RESOLVED,
                      invoice_id=base.xero_id, total=bill.total_inc,
                      cause=job.cause if job else None, message=why)
    return settled, attempt
