"""What the engine needs from Xero and from storage, so that core imports neither HTTP nor files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tui.core.invoice import InvoiceDraft
from tui.core.jobs import Attempt, Job
from tui.core.models import Contact


@dataclass(frozen=True, slots=True)
class ElementResult:
    """Xero's verdict on one element of a batch (summarizeErrors=false)."""

    ok: bool
    remote_id: str | None = None
    number: str | None = None
    total: Decimal | None = None
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RemoteInvoice:
    invoice_id: str
    number: str
    status: str
    total: Decimal
    contact_id: str | None
    amount_paid: Decimal = Decimal(0)
    """Payments and credits already applied in Xero."""


class XeroPort(Protocol):
    async def contacts_by_number(self) -> dict[str, str]:
        """Every contact that has a ContactNumber: ContactNumber -> ContactID."""
        ...

    async def create_contacts(self, contacts: Sequence[Contact],
                              idempotency_key: str) -> list[ElementResult]:
        ...

    async def create_invoices(self, invoices: Sequence[tuple[InvoiceDraft, str]],
                              idempotency_key: str) -> list[ElementResult]:
        """PUT (create-only) a batch of (invoice, ContactID), one result per element, in order."""
        ...

    async def invoices_by_number(self, numbers: Sequence[str]) -> list[RemoteInvoice]:
        ...


class OutboxPort(Protocol):
    async def record_intent(self, jobs: Sequence[Job]) -> list[Job]:
        """Durably record that these jobs are about to be sent; returns them as stored."""
        ...

    async def record_outcome(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> None:
        """Durably record what happened: the jobs' new state and the attempts for history."""
        ...
