"""Where a bill stands, as the Bills screen shows it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tui.core.jobs import Job, JobState
from tui.core.models import Bill, BillStatus
from tui.core.preflight import Verdict
from tui.core.triage import Cause


class BillState(StrEnum):
    PENDING = "pending"
    """Still a draft in Actionstep: goes to Xero once finalised there."""
    READY = "ready"
    BLOCKED = "blocked"
    """Preflight found a problem; nothing was sent."""
    PUSHING = "pushing"
    PUSHED = "pushed"
    FAILED = "failed"
    """Sent, and Xero refused it, or the outcome is unknown."""


INTERRUPTED = ("interrupted before Xero answered: push again, and an invoice Xero already has "
               "is adopted, not duplicated")


@dataclass(frozen=True, slots=True)
class BillRow:
    bill: Bill
    state: BillState
    verdict: Verdict
    job: Job | None

    @property
    def reason(self) -> str:
        """The one line that explains a blocked or failed bill."""
        if self.state is BillState.BLOCKED and self.verdict.problems:
            extra = len(self.verdict.problems) - 1
            more = f" (+{extra} more)" if extra else ""
            return self.verdict.problems[0].message + more
        if self.state is BillState.FAILED and self.job is not None:
            return self.job.message or INTERRUPTED
        if self.state is BillState.PENDING:
            return "draft in Actionstep"
        return ""

    @property
    def brief(self) -> str:
        """The reason, short enough for a table cell."""
        if self.state is BillState.BLOCKED and self.verdict.problems:
            extra = len(self.verdict.problems) - 1
            return self.verdict.problems[0].brief + (f" (+{extra})" if extra else "")
        return self.reason

    @property
    def cause(self) -> Cause | None:
        if self.state is BillState.BLOCKED and self.verdict.problems:
            return self.verdict.problems[0].cause
        if self.state is BillState.FAILED and self.job is not None:
            return self.job.cause or Cause.XERO_UNAVAILABLE
        return None

    @property
    def pushable(self) -> bool:
        """Ready, or failed and now passing preflight (a re-push)."""
        return self.verdict.ready and self.state in (BillState.READY, BillState.FAILED)


def bill_state(bill: Bill, verdict: Verdict, job: Job | None, pushing: bool) -> BillState:
    if pushing:
        return BillState.PUSHING
    if job is not None and job.state is JobState.PUSHED:
        return BillState.PUSHED
    if bill.status is BillStatus.DRAFT:
        return BillState.PENDING
    if job is not None:  # failed, or interrupted while sending
        return BillState.FAILED
    return BillState.READY if verdict.ready else BillState.BLOCKED

