"""The outbox's records: a Job per bill (its latest state) and an Attempt per try (history)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tui.core.triage import Cause


class JobState(StrEnum):
    SENDING = "sending"
    """Intent recorded, outcome not yet known: the call may or may not have reached Xero."""
    PUSHED = "pushed"
    FAILED = "failed"


class Operation(StrEnum):
    """What a push does to a bill's invoice in Xero."""

    CREATE = "create"
    UPDATE = "update"
    """The bill was edited in Actionstep after it reached Xero."""
    VOID = "void"
    """The bill was deleted in Actionstep after it reached Xero."""
    REVERSE = "reverse"
    """A receipt was reversed in Actionstep (`totalPaid` fell): axpush's newest payments for
    the bill are deleted in Xero, and any remainder is paid again."""
    CREDIT = "credit"
    """Actionstep credited or wrote off part of the bill: a credit note allocated to it."""
    PAYMENT = "payment"
    """Actionstep received money against the bill."""


class Outcome(StrEnum):
    SENDING = "sending"
    """Sent to Xero, its answer not yet in: recorded before the call, so history shows an
    attempt a crash or a quit interrupted."""
    CREATED = "created"
    ADOPTED = "adopted"
    """Xero already had it (an earlier push whose answer was lost) and it matched."""
    UPDATED = "updated"
    VOIDED = "voided"
    PAID = "paid"
    REVERSED = "reversed"
    CREDITED = "credited"
    RESOLVED = "resolved"
    """An admin settled it by hand in Xero and said so."""
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Job:
    bill_id: str
    number: str
    state: JobState
    idempotency_key: str
    updated: datetime
    invoice_id: str | None = None
    total: Decimal | None = None
    cause: Cause | None = None
    message: str = ""
    attempts: int = 0
    operation: Operation = Operation.CREATE
    """The operation of the latest attempt."""
    source: str = ""
    """Fingerprint of the bill as Xero's invoice reflects it ("": unknown, assume current)."""
    paid: Decimal = Decimal("0.00")
    """Payments pushed so far."""
    payments: int = 0
    """Payments sent so far, counting deleted ones: numbers their References, never reused."""
    voided: bool = False
    amount: Decimal | None = None
    """The payment, credit or reversal in flight, while it is being sent."""
    sending: str = ""
    """Fingerprint of the bill as last sent in a create or update whose answer may be lost:
    an invoice found later with that send's total is that version of the bill."""
    sent_coding: str = ""
    """What the invoice in that send booked (`invoice.coding`): an invoice found later is
    that send only if its lines book the same, not merely add up to the same total."""
    found_id: str | None = None
    """The Xero invoice a failure is about when it is not ours (a number conflict, an invoice
    paid before this bill reached it): what the deep link opens."""
    resolved: str = ""
    """Why an admin marked it resolved in Xero; from then on Xero's invoice stands as it is."""
    prior_sending: str = ""
    prior_coding: str = ""
    prior_total: Decimal | None = None
    """An earlier create whose answer was lost, when another version of the bill was sent
    after it (`sending`, `sent_coding`, `total` of that send): Xero refuses every create after
    the first it applied, so the invoice found later may be this one."""
    credited: Decimal = Decimal("0.00")
    """Credit notes allocated to the invoice so far."""
    credits: int = 0
    """Credit notes made so far: numbers the next one (`credit_number`)."""

    @property
    def in_xero(self) -> bool:
        return self.invoice_id is not None

    @property
    def xero_id(self) -> str | None:
        """The Xero invoice to look at for this bill: ours, or the one a failure is about."""
        return self.invoice_id or self.found_id

    @property
    def may_be_in_xero(self) -> bool:
        """A create whose answer never came: Xero may hold the invoice though no id is known."""
        return (
            not self.in_xero
            and not self.voided
            and self.operation is Operation.CREATE
            and (
                self.state is JobState.SENDING
                or (
                    self.state is JobState.FAILED
                    and self.cause in (Cause.XERO_UNAVAILABLE, Cause.INTERRUPTED)
                )
            )
        )

    @property
    def sends(self) -> list[tuple[str, str, Decimal | None]]:
        """The creates whose answers were lost, as (version of the bill, coding, total): the
        latest, then the earlier one; the invoice a later push finds is one of them."""
        found = [(self.sending, self.sent_coding, self.total)]
        if self.prior_sending or self.prior_total is not None:
            found.append((self.prior_sending, self.prior_coding, self.prior_total))
        return found

    @property
    def payment_pending(self) -> bool:
        """A payment was sent and its answer never came: Xero may hold it, under
        `payment_reference`."""
        return self._unanswered(Operation.PAYMENT)

    @property
    def reversal_pending(self) -> bool:
        """Payments were being deleted and the answer never came: Xero may or may not have
        deleted them."""
        return self._unanswered(Operation.REVERSE)

    def _unanswered(self, operation: Operation) -> bool:
        """The latest attempt was this operation, with an amount, and no answer settled it."""
        return (
            self.operation is operation
            and self.amount is not None
            and self.state in (JobState.SENDING, JobState.FAILED)
        )

    @property
    def payment_reference(self) -> str:
        """The Reference the next payment carries."""
        return payment_reference(self.bill_id, self.payments + 1)

    @property
    def payment_references(self) -> list[str]:
        """Every payment axpush sent for the bill, newest first."""
        return [payment_reference(self.bill_id, n) for n in range(self.payments, 0, -1)]

    @property
    def credit_number(self) -> str:
        """The CreditNoteNumber of the next credit note."""
        return credit_number(self.number, self.credits + 1)

    def settled(
        self,
        state: JobState,
        at: datetime,
        *,
        invoice_id: str | None = None,
        cause: Cause | None = None,
        message: str = "",
    ) -> Job:
        return replace(
            self,
            state=state,
            updated=at,
            invoice_id=invoice_id or self.invoice_id,
            cause=cause,
            message=message,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated"] = self.updated.isoformat()
        for name in ("total", "paid", "amount", "credited", "prior_total"):
            value = getattr(self, name)
            data[name] = None if value is None else str(value)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        def amount(name: str) -> Decimal | None:
            return None if data.get(name) is None else Decimal(data[name])

        return cls(
            bill_id=str(data["bill_id"]),
            number=str(data["number"]),
            state=JobState(data["state"]),
            idempotency_key=str(data["idempotency_key"]),
            updated=datetime.fromisoformat(data["updated"]),
            invoice_id=data.get("invoice_id"),
            total=amount("total"),
            cause=None if not data.get("cause") else Cause(data["cause"]),
            message=str(data.get("message") or ""),
            attempts=int(data.get("attempts") or 0),
            operation=Operation(data.get("operation") or "create"),
            source=str(data.get("source") or ""),
            paid=amount("paid") or Decimal("0.00"),
            payments=int(data.get("payments") or 0),
            voided=bool(data.get("voided")),
            amount=amount("amount"),
            sending=str(data.get("sending") or ""),
            sent_coding=str(data.get("sent_coding") or ""),
            found_id=data.get("found_id"),
            resolved=str(data.get("resolved") or ""),
            prior_sending=str(data.get("prior_sending") or ""),
            prior_coding=str(data.get("prior_coding") or ""),
            prior_total=amount("prior_total"),
            credited=amount("credited") or Decimal("0.00"),
            credits=int(data.get("credits") or 0),
        )


def payment_reference(bill_id: str, number: int) -> str:
    """Deterministic (bill id, payment number), so that a retry can look for it in Xero first."""
    return f"axpush:{bill_id}:{number}"


def credit_number(bill_number: str, number: int) -> str:
    """A credit note's number: the bill's and `-CR1`, `-CR2`, so a retry finds it by number."""
    return f"{bill_number}-CR{number}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at one bill, as history keeps it. Never holds a secret."""

    bill_id: str
    number: str
    at: datetime
    who: str
    action: str
    outcome: Outcome
    invoice_id: str | None = None
    total: Decimal | None = None
    cause: Cause | None = None
    message: str = ""
    sent: str = ""
    """What was sent, summarised: the lines and total, the payment, the status change."""
    raw: str = ""
    """The start of the service's answer to a failed call, secrets redacted."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["total"] = None if self.total is None else str(self.total)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            bill_id=str(data["bill_id"]),
            number=str(data["number"]),
            at=datetime.fromisoformat(data["at"]),
            who=str(data["who"]),
            action=str(data["action"]),
            outcome=Outcome(data["outcome"]),
            invoice_id=data.get("invoice_id"),
            total=None if data.get("total") is None else Decimal(data["total"]),
            cause=None if not data.get("cause") else Cause(data["cause"]),
            message=str(data.get("message") or ""),
            sent=str(data.get("sent") or ""),
            raw=str(data.get("raw") or ""),
        )


def as_read(attempts: Sequence[Attempt]) -> list[Attempt]:
    """History as a person reads it (oldest first in, oldest first out): an attempt recorded as
    `sending` before its call is left out once its answer is recorded, since the answer says
    what was sent too; one whose answer never came (a crash, a quit) stays, and says so."""
    return list(read_stream(attempts, window=len(attempts) + 1))


READ_WINDOW = 20_000
"""How far after a `sending` record its answer is looked for when history is streamed: the two
are written by one batch, a few hundred records apart at most even with pushers side by side."""


def read_stream(attempts: Iterable[Attempt], window: int = READ_WINDOW) -> Iterator[Attempt]:
    """`as_read` over a stream, holding at most `window` records: a `sending` record with no
    answer within `window` records after it is told as unanswered."""
    held: deque[tuple[Attempt, list[bool]]] = deque()
    open_: dict[tuple[str, str], list[bool]] = {}
    for attempt in attempts:
        key = (attempt.bill_id, attempt.action)
        dropped = [False]
        if attempt.outcome is Outcome.SENDING:
            open_[key] = dropped
        elif key in open_:
            open_.pop(key)[0] = True
        held.append((attempt, dropped))
        while held and (
            held[0][1][0] or held[0][0].outcome is not Outcome.SENDING or len(held) > window
        ):
            first, gone = held.popleft()
            if not gone[0]:
                yield first
    for first, gone in held:
        if not gone[0]:
            yield first
