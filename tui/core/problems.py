"""What stops a bill going to Xero: its cause, a sentence, and the mapping row at fault."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tui.core.triage import Cause


class MappingKind(StrEnum):
    ACCOUNT = "account"
    TAX = "tax"
    BANK = "bank"
    """Where payments received go: one row, `RECEIPTS`."""


RECEIPTS = "receipts"


@dataclass(frozen=True, slots=True)
class MappingKey:
    """One row of the mapping: an Actionstep income account, tax code or bank account, by id."""

    kind: MappingKind
    source_id: str

    @property
    def text(self) -> str:
        """The row as one string, for JSON keys and history: "account:4001"."""
        return f"{self.kind.value}:{self.source_id}"

    @classmethod
    def parse(cls, text: str) -> MappingKey:
        kind, _, source_id = text.partition(":")
        return cls(MappingKind(kind), source_id)


@dataclass(frozen=True, slots=True)
class Problem:
    cause: Cause
    message: str
    row: MappingKey | None = None
    """The mapping row that fixes it, when the mapping can."""
    short: str = ""
    """A word or two for a narrow column: "unmapped", "no Code", "archived"."""
    subject: str = ""
    """What is at fault, briefly: "215 Mediation Fees", "tax GST"."""

    @property
    def brief(self) -> str:
        """One short phrase for a table cell."""
        if self.short and self.subject:
            return f"{self.subject}: {self.short}"
        return self.message
