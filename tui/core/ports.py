"""What the engine needs from Xero and from storage, so that core imports neither HTTP nor files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from tui.core.credit import CreditDraft
from tui.core.invoice import InvoiceDraft, coding
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
    lines: tuple[tuple[str, str, Decimal, Decimal], ...] | None = None
    """Each line's account Code, TaxType, amount and tax; None when Xero did not send them."""
    amount_credited: Decimal = Decimal(0)
    """Of `amount_paid`, what credit notes applied."""

    @property
    def coding(self) -> str | None:
        """What its lines book (`invoice.coding`); None when the lines are not known."""
        return None if self.lines is None else coding(self.lines)

    def books(self, total: Decimal | None, coding: str) -> bool:
        """True when this invoice is the one sent: the same total and, where both are known,
        the same lines (account, TaxType, amounts), not merely the same total."""
        if total is None or self.total != total:
            return False
        return self.coding is None or not coding or self.coding == coding


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    """A payment against one invoice, into the bank account mapped for receipts."""

    invoice_id: str
    account_id: str
    amount: Decimal
    paid_on: date
    reference: str
    """Deterministic (bill and payment number), so a retry can first look for it."""


@dataclass(frozen=True, slots=True)
class RemoteCreditNote:
    credit_note_id: str
    number: str
    status: str
    total: Decimal
    remaining: Decimal
    """RemainingCredit: what is not yet allocated."""
    invoice_ids: tuple[str, ...] = ()
    """The invoices it is allocated to."""


@dataclass(frozen=True, slots=True)
class RemotePayment:
    payment_id: str
    reference: str
    amount: Decimal
    status: str


class XeroPort(Protocol):
    async def contacts_by_number(self) -> dict[str, str]:
        """Every contact that has a ContactNumber: ContactNumber -> ContactID."""
        ...

    async def create_contacts(
        self, contacts: Sequence[Contact], idempotency_key: str
    ) -> list[ElementResult]: ...

    async def create_invoices(
        self, invoices: Sequence[tuple[InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        """PUT (create-only) a batch of (invoice, ContactID), one result per element, in order."""
        ...

    async def invoices_by_number(self, numbers: Sequence[str]) -> list[RemoteInvoice]: ...

    async def update_invoices(
        self, invoices: Sequence[tuple[str, InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        """POST a batch of (InvoiceID, invoice, ContactID): the invoices' content replaced."""
        ...

    async def void_invoices(
        self, invoice_ids: Sequence[str], idempotency_key: str
    ) -> list[ElementResult]: ...

    async def create_payments(
        self, payments: Sequence[PaymentDraft], idempotency_key: str
    ) -> list[ElementResult]: ...

    async def payments_by_reference(self, references: Sequence[str]) -> list[RemotePayment]:
        """The live payments (not DELETED) carrying these References."""
        ...

    async def delete_payment(self, payment_id: str, idempotency_key: str) -> None:
        """Raises RemoteRejected with Xero's messages when Xero refuses."""
        ...

    async def create_credit_notes(
        self, notes: Sequence[tuple[CreditDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        """PUT a batch of (credit note, ContactID), AUTHORISED, one result per element."""
        ...

    async def credit_notes_by_number(self, numbers: Sequence[str]) -> list[RemoteCreditNote]: ...

    async def allocate_credit(
        self, credit_note_id: str, invoice_id: str, amount: Decimal, day: date, key: str
    ) -> None:
        """Raises RemoteRejected with Xero's messages when Xero refuses."""
        ...


class OutboxPort(Protocol):
    async def record_intent(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> list[Job]:
        """Durably record that these jobs are about to be sent, and the attempts in history
        (in the same write); returns the jobs as stored."""
        ...

    async def record_outcome(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> None:
        """Durably record what happened: the jobs' new state and the attempts for history."""
        ...
