"""The outbox's records: a Job per bill (its latest state) and an Attempt per try (history)."""

from __future__ import annotations

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


class Outcome(StrEnum):
    CREATED = "created"
    ADOPTED = "adopted"
    """Xero already had the invoice (an earlier push whose answer was lost) and it matched."""
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

    def settled(self, state: JobState, at: datetime, *, invoice_id: str | None = None,
                cause: Cause | None = None, message: str = "") -> Job:
        return replace(self, state=state, updated=at, invoice_id=invoice_id or self.invoice_id,
                       cause=cause, message=message)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated"] = self.updated.isoformat()
        data["total"] = None if self.total is None else str(self.total)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(
            bill_id=str(data["bill_id"]),
            number=str(data["number"]),
            state=JobState(data["state"]),
            idempotency_key=str(data["idempotency_key"]),
            updated=datetime.fromisoformat(data["updated"]),
            invoice_id=data.get("invoice_id"),
            total=None if data.get("total") is None else Decimal(data["total"]),
            cause=None if not data.get("cause") else Cause(data["cause"]),
            message=str(data.get("message") or ""),
            attempts=int(data.get("attempts") or 0),
        )


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
        )
