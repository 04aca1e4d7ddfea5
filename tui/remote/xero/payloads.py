"""Xero JSON <-> core models: what we send (invoices, contacts) and what we read back."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tui.core.credit import CreditDraft
from tui.core.invoice import InvoiceDraft, InvoiceLine
from tui.core.models import Contact, Organisation, XeroAccount, XeroTaxRate
from tui.core.money import ZERO, parse_amount
from tui.core.ports import (
    ElementResult,
    PaymentDraft,
    RemoteCreditNote,
    RemoteInvoice,
    RemotePayment,
)

INVOICE_STATUS = "AUTHORISED"
"""Finalised Actionstep bills are approved invoices, ready for payments."""


def invoice_payload(draft: InvoiceDraft, contact_id: str) -> dict[str, Any]:
    """An ACCREC invoice; amounts exclusive of tax, tax given per line as Actionstep computed it."""
    payload: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": draft.number,
        "LineAmountTypes": "Exclusive",
        "Status": INVOICE_STATUS,
        "CurrencyCode": draft.currency,
        "LineItems": line_items(draft.lines),
    }
    if draft.reference:
        payload["Reference"] = draft.reference
    if draft.invoice_date:
        payload["Date"] = draft.invoice_date.isoformat()
    if draft.due_date:
        payload["DueDate"] = draft.due_date.isoformat()
    return payload


def line_items(lines: Sequence[InvoiceLine]) -> list[dict[str, Any]]:
    """Amounts exclusive of tax, each line's tax as Actionstep (or the credit rule) worked it."""
    return [
        {
            "Description": line.description,
            "Quantity": Decimal(1),
            "UnitAmount": line.amount,
            "LineAmount": line.amount,
            "AccountCode": line.account_code,
            "TaxType": line.tax_type,
            "TaxAmount": line.tax,
        }
        for line in lines
    ]


def credit_note_payload(draft: CreditDraft, contact_id: str) -> dict[str, Any]:
    """An ACCRECCREDIT credit note, AUTHORISED so it can be allocated; coded like the invoice
    it credits (see `tui.core.credit`), tax given per line."""
    return {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact_id},
        "CreditNoteNumber": draft.number,
        "Reference": f"Credit against invoice {draft.invoice_number}",
        "Date": draft.day.isoformat(),
        "LineAmountTypes": "Exclusive",
        "Status": INVOICE_STATUS,
        "CurrencyCode": draft.currency,
        "LineItems": line_items(draft.lines),
    }


def payment_payload(payment: PaymentDraft) -> dict[str, Any]:
    return {
        "Invoice": {"InvoiceID": payment.invoice_id},
        "Account": {"AccountID": payment.account_id},
        "Amount": payment.amount,
        "Date": payment.paid_on.isoformat(),
        "Reference": payment.reference,
    }


def contact_payload(contact: Contact) -> dict[str, Any]:
    payload: dict[str, Any] = {"Name": contact.name, "ContactNumber": contact.participant_id[:50]}
    if contact.email:
        payload["EmailAddress"] = contact.email
    if not contact.is_company:
        if contact.first_name:
            payload["FirstName"] = contact.first_name
        if contact.last_name:
            payload["LastName"] = contact.last_name
    return payload


def validation_messages(element: Mapping[str, Any]) -> tuple[str, ...]:
    """Every message in an element or a ValidationException, nested line items included."""
    messages: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, Mapping):
            for error in node.get("ValidationErrors") or []:
                if isinstance(error, Mapping) and error.get("Message"):
                    messages.append(str(error["Message"]))
            for key in ("Elements", "LineItems"):
                for child in node.get(key) or []:
                    collect(child)

    collect(element)
    if (
        not messages
        and element.get("Type")
        and element.get("Message")
        and "Exception" in str(element.get("Type"))
    ):
        messages.append(str(element["Message"]))
    return tuple(dict.fromkeys(messages))


def element_result(element: Mapping[str, Any], id_field: str, number_field: str) -> ElementResult:
    messages = validation_messages(element)
    failed = (
        bool(messages)
        or element.get("HasErrors") is True
        or element.get("HasValidationErrors") is True
        or str(element.get("StatusAttributeString", "")).upper() == "ERROR"
    )
    total = element.get("Total")
    return ElementResult(
        ok=not failed and bool(element.get(id_field)),
        remote_id=str(element[id_field]) if element.get(id_field) else None,
        number=str(element[number_field]) if element.get(number_field) else None,
        total=_amount(total),
        messages=messages or (("Xero flagged an error without a message",) if failed else ()),
    )


def _amount(value: Any) -> Decimal | None:
    try:
        return parse_amount(value) if value is not None else None
    except ValueError:
        return None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def parse_organisation(data: Mapping[str, Any]) -> Organisation:
    return Organisation(
        organisation_id=str(data.get("OrganisationID") or ""),
        name=str(data.get("Name") or "(unnamed organisation)"),
        short_code=_text(data, "ShortCode"),
        org_class=_text(data, "Class"),
        is_demo=data.get("IsDemoCompany") is True,
        base_currency=str(data.get("BaseCurrency") or ""),
        country=_text(data, "CountryCode"),
        lock_date=max(
            (
                d
                for d in map(xero_day, (data.get("PeriodLockDate"), data.get("EndOfYearLockDate")))
                if d
            ),
            default=None,
        ),
    )


_XERO_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def xero_day(value: Any) -> date | None:
    """A day as Xero sends one (`/Date(1546214400000+0000)/`, or ISO); None if absent or not
    a date."""
    if not value:
        return None
    text = str(value).strip()
    match = _XERO_DATE.match(text)
    try:
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
        return date.fromisoformat(text[:10])
    except (ValueError, OverflowError, OSError):
        return None


def parse_account(data: Mapping[str, Any]) -> XeroAccount | None:
    account_id = _text(data, "AccountID")
    if account_id is None:
        return None
    return XeroAccount(
        account_id,
        _text(data, "Code"),
        str(data.get("Name") or ""),
        str(data.get("Type") or ""),
        str(data.get("Status") or ""),
        _text(data, "TaxType"),
        data.get("EnablePaymentsToAccount") is True,
        _text(data, "Class"),
    )


def parse_tax_rate(data: Mapping[str, Any]) -> XeroTaxRate | None:
    tax_type = _text(data, "TaxType")
    if tax_type is None:
        return None
    return XeroTaxRate(
        tax_type,
        str(data.get("Name") or tax_type),
        _amount(data.get("EffectiveRate")) or ZERO,
        str(data.get("Status") or ""),
        data.get("CanApplyToRevenue") is True,
        frozenset(kind for kind, flag in _APPLIES_TO.items() if data.get(flag) is True),
    )


_APPLIES_TO = {
    "REVENUE": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "ASSET": "CanApplyToAssets",
    "LIABILITY": "CanApplyToLiabilities",
    "EQUITY": "CanApplyToEquity",
}


def parse_remote_invoice(data: Mapping[str, Any]) -> RemoteInvoice | None:
    invoice_id, number = _text(data, "InvoiceID"), _text(data, "InvoiceNumber")
    if invoice_id is None or number is None:
        return None
    contact = data.get("Contact")
    contact_id = _text(contact, "ContactID") if isinstance(contact, Mapping) else None
    settled = (_amount(data.get("AmountPaid")) or ZERO) + (
        _amount(data.get("AmountCredited")) or ZERO
    )
    items = data.get("LineItems")
    lines = (
        tuple(
            (
                str(item.get("AccountCode") or ""),
                str(item.get("TaxType") or ""),
                _amount(item.get("LineAmount")) or ZERO,
                _amount(item.get("TaxAmount")) or ZERO,
            )
            for item in items
            if isinstance(item, Mapping)
        )
        if isinstance(items, list) and items
        else None
    )
    return RemoteInvoice(
        invoice_id,
        number,
        str(data.get("Status") or ""),
        _amount(data.get("Total")) or ZERO,
        contact_id,
        settled,
        lines,
        _amount(data.get("AmountCredited")) or ZERO,
    )


def parse_remote_credit_note(data: Mapping[str, Any]) -> RemoteCreditNote | None:
    note_id, number = _text(data, "CreditNoteID"), _text(data, "CreditNoteNumber")
    if note_id is None or number is None:
        return None
    allocations = data.get("Allocations")
    invoices = tuple(
        str(a["Invoice"]["InvoiceID"])
        for a in (allocations if isinstance(allocations, list) else [])
        if isinstance(a, Mapping)
        and isinstance(a.get("Invoice"), Mapping)
        and a["Invoice"].get("InvoiceID")
        and a.get("IsDeleted") is not True
    )
    total = _amount(data.get("Total")) or ZERO
    remaining = _amount(data.get("RemainingCredit"))
    return RemoteCreditNote(
        note_id,
        number,
        str(data.get("Status") or ""),
        total,
        total if remaining is None else remaining,
        invoices,
    )


def parse_remote_payment(data: Mapping[str, Any]) -> RemotePayment | None:
    payment_id = _text(data, "PaymentID")
    if payment_id is None:
        return None
    return RemotePayment(
        payment_id,
        str(data.get("Reference") or ""),
        _amount(data.get("Amount")) or ZERO,
        str(data.get("Status") or ""),
    )
