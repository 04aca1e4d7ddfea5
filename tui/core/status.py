"""Where a bill stands, as the Bills screen shows it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tui.core.jobs import Job, JobState, Operation
from tui.core.models import Bill
from tui.core.plan import Due
from tui.core.preflight import Verdict
from tui.core.problems import Problem
from tui.core.triage import Cause


class BillState(StrEnum):
    PENDING = "pending"
    """Still a draft in Actionstep: goes to Xero once finalised there."""
    READY = "ready"
    BLOCKED = "blocked"
    """Preflight found a problem; nothing was sent."""
    PUSHING = "pushing"
    PUSHED = "pushed"
    CHANGED = "changed"
    """In Xero, but edited, deleted, paid, credited or a receipt reversed in Actionstep since:
    an update is due."""
    FAILED = "failed"
    """Sent, and Xero refused it, or the outcome is unknown."""


INTERRUPTED = "answer not received: it may be in Xero; the next push looks it up first"


@dataclass(frozen=True, slots=True)
class BillRow:
    bill: Bill
    state: BillState
    verdict: Verdict
    job: Job | None
    due: Due | None = None
    payment_problem: Problem | None = None
    """Why a payment that is due cannot go (no bank account mapped for receipts)."""

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What blocks the bill: preflight's findings, or the payment's."""
        if self.due is not None and self.due.operation is Operation.PAYMENT:
            return (self.payment_problem,) if self.payment_problem else ()
        if self.due is not None and self.due.operation in (Operation.VOID, Operation.REVERSE):
            return ()
        return self.verdict.problems

    @property
    def reason(self) -> str:
        """The one line that explains a blocked, failed or changed bill."""
        if self.state is BillState.BLOCKED and self.problems:
            extra = len(self.problems) - 1
            more = f" (+{extra} more)" if extra else ""
            return self.problems[0].message + more
        if self.state is BillState.FAILED and self.job is not None:
            if self.job.state is JobState.SENDING:
                return INTERRUPTED
            return self.job.message or INTERRUPTED
        if self.state is BillState.CHANGED and self.due is not None:
            return self.due.describe(self.bill.currency)
        if self.state is BillState.PENDING:
            return "draft in Actionstep"
        if self.state is BillState.PUSHED and self.job is not None and self.job.resolved:
            return f"marked resolved in Xero: {self.job.resolved}"
        if self.state is BillState.PUSHED and self.job is not None and self.job.voided:
            return "deleted in Actionstep: voided in Xero"
        return ""

    @property
    def brief(self) -> str:
        """The reason, short enough for a table cell."""
        if self.state is BillState.BLOCKED and self.problems:
            extra = len(self.problems) - 1
            return self.problems[0].brief + (f" (+{extra})" if extra else "")
        if self.state is BillState.CHANGED and self.due is not None:
            return {
                Operation.UPDATE: "edited: update due",
                Operation.VOID: "deleted: void due",
                Operation.PAYMENT: f"paid {self.due.amount or 0:,.2f}: payment due",
                Operation.REVERSE: f"receipt reversed {self.due.amount or 0:,.2f}: delete due",
                Operation.CREDIT: f"credited {self.due.amount or 0:,.2f}: credit note due",
            }.get(self.due.operation, self.reason)
        return self.reason

    @property
    def cause(self) -> Cause | None:
        if self.state is BillState.BLOCKED and self.problems:
            return self.problems[0].cause
        if self.state is BillState.FAILED and self.job is not None:
            if self.job.state is JobState.SENDING:
                return Cause.INTERRUPTED
            return self.job.cause or Cause.XERO_UNAVAILABLE
        return None

    @property
    def pushable(self) -> bool:
        """Something is due and nothing blocks it (a failed bill counts: that is a re-push)."""
        if self.due is None or self.state in (BillState.PUSHING, BillState.BLOCKED):
            return False
        operation = self.due.operation
        if operation in (Operation.CREATE, Operation.UPDATE, Operation.CREDIT):
            return self.verdict.ready
        if operation is Operation.PAYMENT:
            return self.payment_problem is None
        return True


def bill_state(
    bill: Bill,
    verdict: Verdict,
    job: Job | None,
    pushing: bool,
    due: Due | None = None,
    payment_problem: Problem | None = None,
) -> BillState:
    if pushing:
        return BillState.PUSHING
    if job is not None and job.state in (JobState.SENDING, JobState.FAILED):
        return BillState.FAILED  # until a push settles it, whatever is due next
    if due is None:  # nothing to do: in Xero as it should be, or a draft
        settled = job is not None and (job.in_xero or bool(job.resolved))
        return BillState.PUSHED if settled else BillState.PENDING
    if due.operation is Operation.CREATE:
        return BillState.READY if verdict.ready else BillState.BLOCKED
    if due.operation in (Operation.UPDATE, Operation.CREDIT):
        return BillState.CHANGED if verdict.ready else BillState.BLOCKED
    if due.operation is Operation.PAYMENT and payment_problem is not None:
        return BillState.BLOCKED
    return BillState.CHANGED
