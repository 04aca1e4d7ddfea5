"""How a push turns each answer from Xero into a stored job, a history attempt and a log event.

A job is the bill's standing with Xero (its invoice, what the invoice reflects, what was paid);
each settlement starts from the job as it was, so a failed update or payment keeps the invoice it
failed against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui.core.errors import RemoteError
from tui.core.events import EngineEvent, EventKind
from tui.core.invoice import InvoiceDraft
from tui.core.jobs import Attempt, Job, JobState, Operation, Outcome, payment_reference
from tui.core.models import Bill
from tui.core.plan import fingerprint
from tui.core.ports import OutboxPort
from tui.core.triage import Cause
from tui.core.words import count

Emit = Callable[[EngineEvent], None]

SENT = "sent to Xero; its answer not yet received"
"""What history says of an attempt until its answer is recorded."""
ACTIONS = {
    Operation.CREATE: "create-invoice",
    Operation.UPDATE: "update-invoice",
    Operation.VOID: "void-invoice",
    Operation.REVERSE: "delete-payment",
    Operation.CREDIT: "create-credit-note",
    Operation.PAYMENT: "create-payment",
}
INVOICE_OPERATIONS = (Operation.CREATE, Operation.UPDATE)
"""The operations that send the invoice itself (`Task.draft`)."""
_KINDS = {
    Outcome.CREATED: EventKind.CREATED,
    Outcome.ADOPTED: EventKind.ADOPTED,
    Outcome.UPDATED: EventKind.UPDATED,
    Outcome.VOIDED: EventKind.VOIDED,
    Outcome.PAID: EventKind.PAID,
    Outcome.REVERSED: EventKind.REVERSED,
    Outcome.CREDITED: EventKind.CREDITED,
    Outcome.RESOLVED: EventKind.INFO,
}


@dataclass(frozen=True, slots=True)
class Task:
    """One thing a push does for one bill."""

    bill: Bill
    operation: Operation
    draft: InvoiceDraft | None = None
    """The invoice as the bill makes it now: sent by a create or update; what a credit note
    is coded from."""
    job: Job | None = None
    """What is known of the bill in Xero so far."""
    amount: Decimal | None = None
    """The payment to record (payment), the receipts reversed (reverse), the credit (credit)."""
    bank_account_id: str | None = None
    """Where payments received go (payment)."""

    @property
    def total(self) -> Decimal | None:
        """The invoice's total: as sent (create, update), else as Xero has it."""
        if self.draft is not None and self.operation in INVOICE_OPERATIONS:
            return self.draft.total
        return self.job.total if self.job else None

    @property
    def sent(self) -> str:
        """What this task sends, summarised for history."""
        if self.operation is Operation.VOID:
            return "Status VOIDED"
        if self.operation is Operation.PAYMENT:
            return (
                f"payment {self.amount} {self.bill.currency} to bank account "
                f"{self.bank_account_id}, Reference {self.payment_reference}"
            )
        if self.operation is Operation.REVERSE:
            return (
                f"receipts of {self.amount} {self.bill.currency} reversed: axpush's newest "
                "payments for the bill set to DELETED"
            )
        if self.operation is Operation.CREDIT:
            number = self.job.credit_number if self.job else ""
            return (
                f"credit note {number} of {self.amount} {self.bill.currency}, allocated to the "
                "invoice"
            )
        if self.draft is None:
            return ""
        lines = "; ".join(
            f"{line.account_code}/{line.tax_type} {line.amount} + tax {line.tax}"
            for line in self.draft.lines
        )
        return (
            f"{count(len(self.draft.lines), 'line')} ({lines}) = {self.draft.total} "
            f"{self.draft.currency}, contact {self.draft.contact_number}"
        )

    @property
    def payment_reference(self) -> str:
        return self.job.payment_reference if self.job else payment_reference(self.bill.bill_id, 1)


@dataclass
class PushSummary:
    created: int = 0
    adopted: int = 0
    updated: int = 0
    voided: int = 0
    paid: int = 0
    reversed: int = 0
    credited: int = 0
    failed: int = 0
    causes: dict[Cause, int] = field(default_factory=dict)
    stopped: RemoteError | None = None
    """Why the push stopped early (reconnect needed, the day's calls used up); the bills not
    reached are untouched and go with the next push."""

    @property
    def pushed(self) -> int:
        return (
            self.created
            + self.adopted
            + self.updated
            + self.voided
            + self.paid
            + self.reversed
            + self.credited
        )

    def line(self) -> str:
        parts = [f"{self.created} created", f"{self.adopted} adopted"]
        parts += [
            f"{count} {name}"
            for count, name in (
                (self.updated, "updated"),
                (self.voided, "voided"),
                (self.paid, "paid"),
                (self.reversed, "reversed"),
                (self.credited, "credited"),
            )
            if count
        ]
        return ", ".join([*parts, f"{self.failed} failed"])

    def count(self, outcome: Outcome, cause: Cause | None) -> None:
        if outcome is Outcome.FAILED:
            self.failed += 1
            cause = cause or Cause.REFUSED
            self.causes[cause] = self.causes.get(cause, 0) + 1
        elif outcome.value in COUNTED:
            name = outcome.value
            setattr(self, name, getattr(self, name) + 1)


COUNTED = ("created", "adopted", "updated", "voided", "paid", "reversed", "credited")
"""The outcomes a summary counts, by their names there."""


@dataclass(frozen=True, slots=True)
class Settled:
    job: Job
    attempt: Attempt
    event: EngineEvent


class Recorder:
    """Builds and stores the engine's outcomes: intent before a call, the result after."""

    def __init__(
        self, outbox: OutboxPort, emit: Emit, who: str, clock: Callable[[], datetime]
    ) -> None:
        self.outbox = outbox
        self.emit = emit
        self.who = who
        self.clock = clock

    def base(self, task: Task) -> Job:
        return task.job or Job(
            task.bill.bill_id, task.bill.number, JobState.FAILED, "", self.clock()
        )

    async def intend(self, tasks: Sequence[Task], key: str) -> None:
        """Before the call: each job `sending`, and an attempt in history saying what goes, so
        that a push cut short by a crash or a quit still shows what may have reached Xero."""
        at = self.clock()
        jobs = [
            replace(
                self.base(t),
                number=t.bill.number,
                state=JobState.SENDING,
                idempotency_key=key,
                updated=at,
                operation=t.operation,
                total=t.total,
                amount=t.amount,
                cause=None,
                message="",
                sending=self._sending(t),
                sent_coding=self._coding(t),
                **self._prior(t),
            )
            for t in tasks
        ]
        attempts = [
            Attempt(
                job.bill_id,
                job.number,
                at,
                self.who,
                ACTIONS[t.operation],
                Outcome.SENDING,
                invoice_id=job.invoice_id,
                total=job.total,
                message=SENT,
                sent=t.sent,
            )
            for t, job in zip(tasks, jobs, strict=True)
        ]
        await self.outbox.record_intent(jobs, attempts)

    def settle(
        self,
        base: Job,
        operation: Operation,
        outcome: Outcome,
        message: str,
        *,
        key: str | None,
        cause: Cause | None = None,
        total: Decimal | None = None,
        amount: Decimal | None = None,
        action: str | None = None,
        found_id: str | None = None,
        sent: str = "",
        raw: str = "",
        **changes: Any,
    ) -> Settled:
        """The job after one answer from Xero, the attempt history keeps, the log's event."""
        at = self.clock()
        failed = outcome is Outcome.FAILED
        if not failed:
            for name in ("sending", "sent_coding", "prior_sending", "prior_coding"):
                changes.setdefault(name, "")
            changes.setdefault("prior_total", None)
        job = replace(
            base,
            state=JobState.FAILED if failed else JobState.PUSHED,
            idempotency_key=key or "",
            updated=at,
            operation=operation,
            total=total if total is not None else base.total,
            amount=amount if failed else None,
            cause=cause if failed else None,
            message=message if failed else "",
            found_id=found_id,
            **changes,
        )
        attempt = Attempt(
            job.bill_id,
            job.number,
            at,
            self.who,
            action or ACTIONS[operation],
            outcome,
            invoice_id=job.invoice_id,
            total=job.total,
            cause=cause,
            message=message,
            sent=sent,
            raw=raw,
        )
        text = f"{(cause or Cause.REFUSED).heading}: {message}" if failed else message
        event = EngineEvent(
            at, EventKind.FAILED if failed else _KINDS[outcome], text, job.bill_id, job.number
        )
        return Settled(job, attempt, event)

    def success(
        self, task: Task, key: str, outcome: Outcome, message: str, **changes: Any
    ) -> Settled:
        return self.settle(
            replace(self.base(task), number=task.bill.number),
            task.operation,
            outcome,
            message,
            key=key,
            total=task.total,
            sent=task.sent,
            **changes,
        )

    def failure(
        self,
        task: Task,
        key: str | None,
        cause: Cause,
        message: str,
        found_id: str | None = None,
        raw: str = "",
    ) -> Settled:
        sent = task.sent if key else ""  # without a key, nothing was sent
        sending = self._sending(task) if key else self.base(task).sending
        coding = self._coding(task) if key else self.base(task).sent_coding
        prior = self._prior(task) if key else {}
        return self.settle(
            replace(self.base(task), number=task.bill.number),
            task.operation,
            Outcome.FAILED,
            message,
            key=key,
            cause=cause,
            total=task.total,
            amount=task.amount,
            found_id=found_id,
            sent=sent,
            raw=raw,
            sending=sending,
            sent_coding=coding,
            **prior,
        )

    def _prior(self, task: Task) -> dict[str, Any]:
        """Sending a create while an earlier one's answer is still unknown: that earlier send
        is kept as the prior one (`Job.sends`), unless an even earlier one already is."""
        base = self.base(task)
        if (
            task.operation is not Operation.CREATE
            or base.in_xero
            or not base.sending
            or base.prior_sending
        ):
            return {}
        return {
            "prior_sending": base.sending,
            "prior_coding": base.sent_coding,
            "prior_total": base.total,
        }

    def _sending(self, task: Task) -> str:
        if task.draft is not None and task.operation in INVOICE_OPERATIONS:
            return fingerprint(task.bill)
        return self.base(task).sending

    def _coding(self, task: Task) -> str:
        if task.draft is not None and task.operation in INVOICE_OPERATIONS:
            return task.draft.coding
        return self.base(task).sent_coding

    async def record(self, settled: Sequence[Settled], summary: PushSummary | None) -> None:
        if not settled:
            return
        await self.outbox.record_outcome([s.job for s in settled], [s.attempt for s in settled])
        for item in settled:
            if summary is not None:
                summary.count(item.attempt.outcome, item.attempt.cause)
            self.emit(item.event)
