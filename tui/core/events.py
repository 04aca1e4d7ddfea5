"""What the engine tells the log as it works."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETRIED = "retried"
    CREATED = "created"
    ADOPTED = "adopted"
    UPDATED = "updated"
    VOIDED = "voided"
    PAID = "paid"
    REVERSED = "reversed"
    CREDITED = "credited"
    FAILED = "failed"
    INFO = "info"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class EngineEvent:
    at: datetime
    kind: EventKind
    message: str
    bill_id: str | None = None
    number: str | None = None

    def line(self) -> str:
        """One log line: time, kind, bill number, message."""
        stamp = self.at.astimezone().strftime("%H:%M:%S")
        subject = f"#{self.number} " if self.number else ""
        return f"{stamp} {self.kind.value:<8} {subject}{self.message}"
