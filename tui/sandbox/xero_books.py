"""One simulated Xero organisation's books, and the rules Xero applies to them.

No HTTP here: `xero_api` turns requests into these calls. Each write returns the element as Xero
echoes it and the validation messages, in the wording of Xero's documented error model, so
batches can report element by element.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tui.core.clock import REAL_CLOCK
from tui.sandbox.formats import parse_xero_date, xero_date, xero_date_string

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
NOT_FOR_INVOICES = {"BANK"}
SYSTEM_ACCOUNTS_NOT_FOR_INVOICES = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS"}

# Xero's own texts.
NOT_VALID_STATUS = "Invoice not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
NUMBER_TAKEN = "Invoice # must be unique."
ONLY_AUTHORISED = "Payments can only be made against Authorised documents"
OVERPAYMENT = "Payment amount exceeds the amount outstanding on this document"
BAD_PAYMENT_ACCOUNT = "Account type is invalid for making a payment to/from"
NO_PAYMENT_ACCOUNT = "You must specify an Account code or Account ID for the payment"
DOCUMENT_NOT_FOUND = "Document could not be found"
ALREADY_PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
OVER_ALLOCATED = "Credit Note cannot be allocated as amount is greater than amount outstanding"
WRONG_INVOICE_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"
CREDIT_NUMBER_TAKEN = "Credit Note # must be unique."
"""Modelled on the invoice's text: Xero's own wording for this one is not documented."""
LOCKED = "The document date cannot be before the period lock date, currently set at {day}."
CREDIT_TYPES = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}
"""A credit note's type, and the type of invoice it can be allocated to."""

Result = tuple[dict[str, Any], list[str]]
"""(the element as Xero echoes it, validation messages); no messages means success."""


def random_id() -> str:
    return str(uuid.uuid4())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Any, default: Decimal) -> Decimal:
    if value is None:
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


def _day(value: Any, errors: list[str], name: str) -> date | None:
    if not value:
        return None
    try:
        return parse_xero_date(value)
    except ValueError:
        errors.append(f"{name} is not a valid date: {value}")
        return None


class FieldIndex:
    """The records of a dict by one field's value, for what a large organisation checks on
    every write (is this invoice number taken? this contact name?) without reading every
    record. Built again whenever the number of records differs from what it has seen, so a
    record added anywhere is found; a hit is checked against the record as it is now."""

    def __init__(
        self, records: dict[str, dict[str, Any]], name: str, normal: Callable[[Any], Any] = str
    ) -> None:
        self._records = records
        self._name = name
        self._normal = normal
        self._ids: dict[Any, list[str]] = {}
        self._seen = -1

    def find(self, value: Any) -> list[dict[str, Any]]:
        if len(self._records) != self._seen:
            self._ids = {}
            for record_id in self._records:
                self.note(record_id)
            self._seen = len(self._records)
        wanted = self._normal(value)
        found = (self._records.get(i) for i in self._ids.get(wanted, ()))
        return [r for r in found if r is not None and self._normal(r.get(self._name)) == wanted]

    def note(self, record_id: str, *, added: bool = False) -> None:
        """A record was added, or its field changed: it is found by its value now."""
        record = self._records[record_id]
        ids = self._ids.setdefault(self._normal(record.get(self._name)), [])
        if record_id not in ids:
            ids.append(record_id)
        if added and len(self._records) == self._seen + 1:
            self._seen += 1  # only this one was added since: the index is whole


@dataclass
class XeroOrg:
    """An organisation (a tenant) and everything in it, in Xero's JSON shapes."""

    tenant_id: str
    organisation: dict[str, Any]
    accounts: list[dict[str, Any]] = field(default_factory=list)
    tax_rates: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: Callable[[], datetime] = field(default=REAL_CLOCK.now, repr=False)
    new_id: Callable[[], str] = field(default=lambda: random_id(), repr=False)
    on_payment: Callable[[dict[str, Any]], None] | None = field(default=None, repr=False)
    """Told of each payment made (the demo's tour reacts to one)."""

    def __post_init__(self) -> None:
        self.by_number = FieldIndex(self.invoices, "InvoiceNumber")
        self.by_name = FieldIndex(self.contacts, "Name", lambda v: str(v).lower())
        self.by_credit_number = FieldIndex(self.credit_notes, "CreditNoteNumber")

    @property
    def name(self) -> str:
        return str(self.organisation["Name"])

    @property
    def base_currency(self) -> str:
        return str(self.organisation["BaseCurrency"])

    # -- look-ups -------------------------------------------------------------------------------

    def account(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if ref.get("AccountID"):
            return next((a for a in self.accounts if a["AccountID"] == ref["AccountID"]), None)
        if ref.get("Code"):
            return next((a for a in self.accounts if a.get("Code") == ref["Code"]), None)
        return None

    def account_by_code(self, code: str) -> dict[str, Any] | None:
        return self.account({"Code": code})

    def find_contact(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if ref.get("ContactID"):
            return self.contacts.get(ref["ContactID"])
        if ref.get("ContactNumber"):
            return next(
                (
                    c
                    for c in self.contacts.values()
                    if c.get("ContactNumber") == ref["ContactNumber"]
                ),
                None,
            )
        if ref.get("Name"):
            return next(
                (
                    c
                    for c in self.by_name.find(ref["Name"])
                    if c["Name"] == ref["Name"] and c["ContactStatus"] == "ACTIVE"
                ),
                None,
            )
        return None

    def invoice(self, ref: str) -> dict[str, Any] | None:
        """By InvoiceID or InvoiceNumber."""
        return self.invoices.get(ref) or next(iter(self.by_number.find(ref)), None)

    # -- contacts -------------------------------------------------------------------------------

    def create_contact(self, element: dict[str, Any]) -> Result:
        name = str(element.get("Name") or "").strip()
        if not name:
            return element, ["The Contact Name must be specified."]
        clash = any(c["ContactStatus"] == "ACTIVE" for c in self.by_name.find(name))
        if clash:
            return element, [
                f"The contact name {name} is already assigned to another contact. "
                "The contact name must be unique across all active contacts."
            ]
        contact_id = self.new_id()
        contact = {
            "ContactID": contact_id,
            "ContactStatus": "ACTIVE",
            "Name": name,
            **{
                k: element[k]
                for k in (
                    "ContactNumber",
                    "FirstName",
                    "LastName",
                    "EmailAddress",
                    "AccountNumber",
                    "TaxNumber",
                )
                if element.get(k)
            },
            "IsSupplier": False,
            "IsCustomer": True,
            "HasAttachments": False,
            "UpdatedDateUTC": xero_date(self.now()),
        }
        self.contacts[contact_id] = contact
        self.by_name.note(contact_id, added=True)
        return contact, []

    # -- invoices -------------------------------------------------------------------------------

    def create_invoice(self, element: dict[str, Any]) -> Result:
        """PUT: create only. A number already used by an ACCREC invoice is refused."""
        errors: list[str] = []
        number = str(element.get("InvoiceNumber") or "").strip()
        if (
            element.get("Type") == "ACCREC"
            and number
            and any(inv["Type"] == "ACCREC" for inv in self.by_number.find(number))
        ):
            errors.append(NUMBER_TAKEN)
        status = str(element.get("Status") or "DRAFT")
        if status not in EDITABLE:
            errors.append(f"Invoice not of valid status for creation: {status}")
        built = self._build(element, errors)
        if errors or built is None:
            return element, errors
        invoice_id = self.new_id()
        built.update(
            {
                "InvoiceID": invoice_id,
                "Status": status,
                "InvoiceNumber": number or f"INV-{len(self.invoices) + 1:04d}",
            }
        )
        self.invoices[invoice_id] = built
        self.by_number.note(invoice_id, added=True)
        return built, []

    def create_or_update_invoice(self, element: dict[str, Any]) -> Result:
        """POST /Invoices: updates the invoice named by InvoiceID or (ACCREC) InvoiceNumber,
        creates it otherwise."""
        existing = None
        if element.get("InvoiceID"):
            existing = self.invoices.get(element["InvoiceID"])
            if existing is None:
                return element, ["An existing invoice with the specified ID could not be found"]
        elif element.get("InvoiceNumber") and element.get("Type", "ACCREC") == "ACCREC":
            existing = self.invoice(str(element["InvoiceNumber"]))
        if existing is None:
            return self.create_invoice(element)
        return self.update_invoice(existing, element)

    def update_invoice(self, invoice: dict[str, Any], element: dict[str, Any]) -> Result:
        """An update, including a status change (VOIDED, DELETED) with or without new lines."""
        status = invoice["Status"]
        new_status = str(element.get("Status") or status)
        if status in ("PAID", "VOIDED", "DELETED"):
            return element, [NOT_VALID_STATUS]
        if invoice["AmountPaid"] > 0 or invoice["AmountCredited"] > 0:
            if new_status == "AUTHORISED" and status != "AUTHORISED":
                return element, [
                    "The status AUTHORISED cannot be applied to the invoice because "
                    "it has payments or credit notes allocated to it."
                ]
            return element, [HAS_PAYMENTS]
        allowed = {
            "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "AUTHORISED": {"AUTHORISED", "VOIDED"},
        }[status]
        if new_status not in allowed:
            return element, [NOT_VALID_STATUS]
        errors: list[str] = []
        changes = {k: v for k, v in element.items() if k not in ("InvoiceID", "Status")}
        content_keys = {
            "LineItems",
            "Contact",
            "Date",
            "DueDate",
            "Reference",
            "LineAmountTypes",
            "CurrencyCode",
        }
        if changes.keys() & content_keys:
            merged = {**invoice, **changes}
            if "LineItems" not in element:
                merged["LineItems"] = invoice["LineItems"]
            built = self._build(merged, errors)
            if errors or built is None:
                return element, errors
            invoice.update({k: v for k, v in built.items() if k not in ("InvoiceID",)})
            self.by_number.note(invoice["InvoiceID"])  # the number may have changed
        invoice["Status"] = new_status
        if new_status in ("VOIDED", "DELETED"):
            invoice["AmountDue"] = ZERO
        invoice["UpdatedDateUTC"] = xero_date(self.now())
        return invoice, []

    def locked(self, day: date, errors: list[str]) -> None:
        """Xero refuses a document dated on or before the organisation's period lock date."""
        lock = self.organisation.get("PeriodLockDate")
        if lock and day <= parse_xero_date(lock):
            errors.append(LOCKED.format(day=parse_xero_date(lock).strftime("%d %b %Y")))

    def _build(
        self,
        element: dict[str, Any],
        errors: list[str],
        kinds: tuple[str, ...] = ("ACCREC", "ACCPAY"),
    ) -> dict[str, Any] | None:
        """Validate and compute an invoice's (or a credit note's) content: contact, dates,
        lines, totals."""
        kind = element.get("Type")
        if kind not in kinds:
            errors.append(f"Type must be specified as {' or '.join(kinds)}")
        contact = self._invoice_contact(element.get("Contact"), errors)
        currency = element.get("CurrencyCode") or self.base_currency
        if currency != self.base_currency:
            errors.append(f"Organisation is not subscribed to currency {currency}")
        invoice_date = _day(element.get("Date"), errors, "Date") or self.now().date()
        due_date = _day(element.get("DueDate"), errors, "DueDate")
        self.locked(invoice_date, errors)
        amount_types = element.get("LineAmountTypes") or "Exclusive"
        lines = self._lines(
            element.get("LineItems") or [],
            amount_types,
            CREDIT_TYPES.get(str(kind), str(kind)),
            errors,
        )
        if element.get("Status") == "AUTHORISED" and not lines and not errors:
            errors.append("At least one line item must be specified")
        subtotal = sum((line["LineAmount"] for line in lines), ZERO)
        total_tax = sum((line["TaxAmount"] for line in lines), ZERO)
        if amount_types == "Inclusive":
            subtotal -= total_tax
        total = subtotal + total_tax
        if total < 0:
            errors.append("The Total for this document must be greater than or equal to zero.")
        if errors or contact is None:
            return None
        return {
            "Type": kind,
            "InvoiceNumber": element.get("InvoiceNumber"),
            "Reference": element.get("Reference") or "",
            "Contact": {
                k: contact[k]
                for k in ("ContactID", "ContactNumber", "Name", "ContactStatus")
                if k in contact
            },
            "Date": xero_date(invoice_date),
            "DateString": xero_date_string(invoice_date),
            **(
                {"DueDate": xero_date(due_date), "DueDateString": xero_date_string(due_date)}
                if due_date
                else {}
            ),
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "SubTotal": subtotal,
            "TotalTax": total_tax,
            "Total": total,
            "AmountDue": total,
            "AmountPaid": ZERO,
            "AmountCredited": ZERO,
            "CurrencyCode": currency,
            "CurrencyRate": Decimal("1.000000"),
            "IsDiscounted": False,
            "HasAttachments": False,
            "HasErrors": False,
            "SentToContact": False,
            "Payments": [],
            "UpdatedDateUTC": xero_date(self.now()),
            **({"Url": element["Url"]} if element.get("Url") else {}),
        }

    def _invoice_contact(self, ref: Any, errors: list[str]) -> dict[str, Any] | None:
        if not isinstance(ref, dict) or not any(
            ref.get(k) for k in ("ContactID", "ContactNumber", "Name")
        ):
            errors.append(
                "The Contact must contain at least 1 of the following elements to "
                "identify the contact: Name, ContactID, ContactNumber"
            )
            return None
        contact = self.find_contact(ref)
        if contact is None and ref.get("Name") and not ref.get("ContactID"):
            contact, problems = self.create_contact(ref)  # Xero creates a contact from a name
            errors += problems
            return contact if not problems else None
        if contact is None:
            errors.append("The contact with the specified contact details could not be found.")
            return None
        if contact["ContactStatus"] != "ACTIVE":
            errors.append(
                "The contact with the specified contact details has been archived. "
                "The contact must be un-archived before creating new invoices or "
                "credit notes."
            )
        return contact

    def _lines(
        self, items: list[Any], amount_types: str, kind: str, errors: list[str]
    ) -> list[dict[str, Any]]:
        rates = {r["TaxType"]: r for r in self.tax_rates}
        lines: list[dict[str, Any]] = []
        for item in items:
            if not isinstance(item, dict):
                errors.append("A line item is not an object")
                continue
            if not str(item.get("Description") or "").strip():
                errors.append("Description must be specified")
            code = item.get("AccountCode")
            account = self.account_by_code(str(code)) if code else None
            if not code:
                errors.append("Account code must be specified")
            elif account is None:
                errors.append(f"Account code '{code}' is not a valid code for this document.")
            elif account["Status"] != "ACTIVE":
                errors.append(
                    f"Account code '{code}' has been archived, or has been deleted. "
                    "Each line item must reference a valid account."
                )
            elif (
                account["Type"] in NOT_FOR_INVOICES
                or account.get("SystemAccount") in SYSTEM_ACCOUNTS_NOT_FOR_INVOICES
            ):
                errors.append(f"Account code '{code}' is not a valid code for this document.")
            tax_type = item.get("TaxType") or (account or {}).get("TaxType") or "NONE"
            rate = rates.get(tax_type)
            if amount_types != "NoTax":
                if rate is None or rate["Status"] != "ACTIVE":
                    errors.append(
                        f"The TaxType code {tax_type} does not exist or cannot be used "
                        "for this type of transaction."
                    )
                elif kind == "ACCREC" and not rate["CanApplyToRevenue"]:
                    errors.append(
                        f"The TaxType code '{tax_type}' cannot be used with account code '{code}'."
                    )
            try:
                quantity = _decimal(item.get("Quantity"), Decimal(1))
                unit = _decimal(item.get("UnitAmount"), Decimal(0))
                line_amount = cents(_decimal(item.get("LineAmount"), quantity * unit))
                percentage = _decimal((rate or {}).get("EffectiveRate"), Decimal(0))
                if amount_types == "NoTax":
                    computed = ZERO
                elif amount_types == "Inclusive":
                    computed = cents(line_amount * percentage / (100 + percentage))
                else:
                    computed = cents(line_amount * percentage / 100)
                tax_amount = cents(_decimal(item.get("TaxAmount"), computed))
            except ValueError as error:
                errors.append(str(error))
                continue
            lines.append(
                {
                    "LineItemID": item.get("LineItemID") or self.new_id(),
                    "Description": item.get("Description"),
                    "Quantity": quantity,
                    "UnitAmount": unit,
                    "AccountCode": code,
                    "TaxType": tax_type,
                    "TaxAmount": tax_amount,
                    "LineAmount": line_amount,
                    "Tracking": [],
                    "ValidationErrors": [],
                }
            )
        return lines

    # -- payments -------------------------------------------------------------------------------

    def create_payment(self, element: dict[str, Any]) -> Result:
        errors: list[str] = []
        ref = element.get("Invoice") or {}
        invoice = None
        if isinstance(ref, dict):
            invoice = self.invoices.get(ref.get("InvoiceID") or "") or (
                self.invoice(str(ref["InvoiceNumber"])) if ref.get("InvoiceNumber") else None
            )
        if invoice is None:
            return element, [DOCUMENT_NOT_FOUND]
        account_ref = element.get("Account")
        account = self.account(account_ref) if isinstance(account_ref, dict) else None
        if not isinstance(account_ref, dict) or not (
            account_ref.get("Code") or account_ref.get("AccountID")
        ):
            errors.append(NO_PAYMENT_ACCOUNT)
        elif (
            account is None
            or account["Status"] != "ACTIVE"
            or not (account["Type"] == "BANK" or account.get("EnablePaymentsToAccount"))
        ):
            errors.append(BAD_PAYMENT_ACCOUNT)
        try:
            amount = cents(_decimal(element.get("Amount"), ZERO))
        except ValueError as error:
            return element, [str(error)]
        if amount <= 0:
            errors.append("Payment amount must be greater than zero")
        if invoice["Status"] != "AUTHORISED":
            errors.append(ONLY_AUTHORISED)
        if amount > invoice["AmountDue"]:
            errors.append(OVERPAYMENT)
        paid_on = _day(element.get("Date"), errors, "Date") or self.now().date()
        self.locked(paid_on, errors)
        if errors:
            return element, errors
        assert account is not None
        payment_id = self.new_id()
        payment: dict[str, Any] = {
            "PaymentID": payment_id,
            "Date": xero_date(paid_on),
            "Amount": amount,
            "BankAmount": amount,
            "CurrencyRate": Decimal("1.000000"),
            "Reference": element.get("Reference") or "",
            "PaymentType": "ACCRECPAYMENT",
            "Status": "AUTHORISED",
            "IsReconciled": bool(element.get("IsReconciled")),
            "HasAccount": True,
            "HasValidationErrors": False,
            "Account": {k: account[k] for k in ("AccountID", "Code", "Name") if k in account},
            "Invoice": {k: invoice[k] for k in ("Type", "InvoiceID", "InvoiceNumber")},
            "UpdatedDateUTC": xero_date(self.now()),
        }
        self.payments[payment_id] = payment
        self._apply_payment(invoice, amount, paid_on)
        payment["Invoice"].update(
            {k: invoice[k] for k in ("AmountDue", "AmountPaid", "Status", "Total")}
        )
        if self.on_payment is not None:
            self.on_payment(payment)
        return payment, []

    def delete_payment(self, payment_id: str) -> Result:
        payment = self.payments.get(payment_id)
        if payment is None:
            return {"PaymentID": payment_id}, [DOCUMENT_NOT_FOUND]
        if payment["Status"] == "DELETED":
            return payment, ["Payment has already been deleted"]
        invoice = self.invoices[payment["Invoice"]["InvoiceID"]]
        payment["Status"] = "DELETED"
        self._apply_payment(invoice, -payment["Amount"], None)
        return payment, []

    def _apply_payment(
        self, invoice: dict[str, Any], amount: Decimal, paid_on: date | None
    ) -> None:
        invoice["AmountPaid"] += amount
        invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        if invoice["AmountDue"] == 0 and paid_on is not None:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = xero_date(paid_on)
        elif invoice["Status"] == "PAID":
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        invoice["Payments"] = [
            {"PaymentID": p["PaymentID"], "Date": p["Date"], "Amount": p["Amount"]}
            for p in self.payments.values()
            if p["Invoice"]["InvoiceID"] == invoice["InvoiceID"] and p["Status"] != "DELETED"
        ]
        invoice["UpdatedDateUTC"] = xero_date(self.now())

    def remove_payments(self, invoice: dict[str, Any]) -> int:
        """Every live payment on the invoice deleted, as a person does in Xero's web app;
        returns how many."""
        live = [
            p["PaymentID"]
            for p in self.payments.values()
            if p["Invoice"]["InvoiceID"] == invoice["InvoiceID"] and p["Status"] != "DELETED"
        ]
        for payment_id in live:
            self.delete_payment(payment_id)
        return len(live)

    def give_code(self, account_id: str, code: str) -> dict[str, Any]:
        """An account gets a Code in Xero's web app (refused if another account has it)."""
        account = self.account({"AccountID": account_id})
        if account is None:
            raise KeyError(f"no Xero account {account_id}")
        if self.account_by_code(code) not in (None, account):
            raise ValueError(f"Code {code} is already used by another account")
        account["Code"] = code
        return account

    def _apply_credit(self, invoice: dict[str, Any], amount: Decimal) -> None:
        invoice["AmountCredited"] += amount
        invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        if invoice["AmountDue"] == 0:
            invoice["Status"] = "PAID"
        invoice["UpdatedDateUTC"] = xero_date(self.now())

    # -- credit notes ---------------------------------------------------------------------------

    def credit_note(self, ref: str) -> dict[str, Any] | None:
        """By CreditNoteID or CreditNoteNumber."""
        return self.credit_notes.get(ref) or next(iter(self.by_credit_number.find(ref)), None)

    def create_credit_note(self, element: dict[str, Any]) -> Result:
        """PUT /CreditNotes: create only, like invoices; allocated by a separate call."""
        errors: list[str] = []
        kind = str(element.get("Type") or "")
        number = str(element.get("CreditNoteNumber") or "").strip()
        if number and any(n["Type"] == kind for n in self.by_credit_number.find(number)):
            errors.append(CREDIT_NUMBER_TAKEN)
        status = str(element.get("Status") or "DRAFT")
        if status not in EDITABLE:
            errors.append(f"Credit Note not of valid status for creation: {status}")
        built = self._build(element, errors, tuple(CREDIT_TYPES))
        if errors or built is None:
            return element, errors
        note_id = self.new_id()
        for key in ("InvoiceNumber", "AmountDue", "AmountPaid", "AmountCredited", "IsDiscounted"):
            built.pop(key, None)
        built.pop("DueDate", None)
        built.pop("DueDateString", None)
        built.update(
            {
                "CreditNoteID": note_id,
                "ID": note_id,
                "CreditNoteNumber": number or f"CN-{len(self.credit_notes) + 1:04d}",
                "Status": status,
                "RemainingCredit": built["Total"],
                "Allocations": [],
            }
        )
        self.credit_notes[note_id] = built
        self.by_credit_number.note(note_id, added=True)
        return built, []

    def update_credit_note(self, note: dict[str, Any], element: dict[str, Any]) -> Result:
        """POST /CreditNotes/{id}: here, a status change (VOIDED, DELETED); refused once any of
        it is allocated, as Xero does."""
        new_status = str(element.get("Status") or note["Status"])
        if note["Status"] in ("VOIDED", "DELETED", "PAID"):
            return element, ["Credit Note not of valid status for modification"]
        if note["Allocations"]:
            return element, [HAS_PAYMENTS]
        if new_status not in ("VOIDED", "DELETED", note["Status"]):
            return element, ["Credit Note not of valid status for modification"]
        note["Status"] = new_status
        if new_status != "AUTHORISED":
            note["RemainingCredit"] = ZERO
        note["UpdatedDateUTC"] = xero_date(self.now())
        return note, []

    def allocate(self, note: dict[str, Any], element: dict[str, Any]) -> Result:
        """PUT /CreditNotes/{id}/Allocations: part or all of the credit applied to an invoice
        of the matching type, no more than either one's balance."""
        ref = element.get("Invoice") if isinstance(element.get("Invoice"), dict) else {}
        assert isinstance(ref, dict)
        invoice = self.invoices.get(str(ref.get("InvoiceID") or "")) or (
            self.invoice(str(ref["InvoiceNumber"])) if ref.get("InvoiceNumber") else None
        )
        if invoice is None:
            return element, [DOCUMENT_NOT_FOUND]
        errors: list[str] = []
        try:
            amount = cents(_decimal(element.get("Amount"), ZERO))
        except ValueError as error:
            return element, [str(error)]
        on = _day(element.get("Date"), errors, "Date") or self.now().date()
        self.locked(on, errors)
        if note["Status"] != "AUTHORISED":
            errors.append("Credit Note not of valid status for modification")
        if CREDIT_TYPES.get(note["Type"]) != invoice["Type"]:
            errors.append(WRONG_INVOICE_TYPE)
        if invoice["Status"] == "PAID":
            errors.append(ALREADY_PAID_OFF)
        elif invoice["Status"] != "AUTHORISED":
            errors.append(NOT_VALID_STATUS)
        if amount <= 0:
            errors.append("Amount must be greater than zero")
        if amount > note["RemainingCredit"] or amount > invoice["AmountDue"]:
            errors.append(OVER_ALLOCATED)
        if errors:
            return element, errors
        allocation = {
            "AllocationID": self.new_id(),
            "Amount": amount,
            "Date": xero_date(on),
            "Invoice": {k: invoice[k] for k in ("InvoiceID", "InvoiceNumber")},
            "CreditNote": {k: note[k] for k in ("CreditNoteID", "CreditNoteNumber")},
        }
        note["Allocations"].append(allocation)
        note["RemainingCredit"] -= amount
        if note["RemainingCredit"] == 0:
            note["Status"] = "PAID"
        note["UpdatedDateUTC"] = xero_date(self.now())
        self._apply_credit(invoice, amount)
        invoice.setdefault("CreditNotes", []).append(
            {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note["CreditNoteNumber"],
                "AppliedAmount": amount,
            }
        )
        return allocation, []

    def credit(self, invoice: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        """A credit note made and allocated to the invoice in Xero's web app (as a write-off
        is done there): coded to the invoice's first line, tax-inclusive."""
        first = invoice["LineItems"][0]
        note, errors = self.create_credit_note(
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
                "Status": "AUTHORISED",
                "LineAmountTypes": "Inclusive",
                "LineItems": [
                    {
                        "Description": f"Credit against {invoice['InvoiceNumber']}",
                        "Quantity": 1,
                        "UnitAmount": amount,
                        "AccountCode": first["AccountCode"],
                        "TaxType": first["TaxType"],
                    }
                ],
            }
        )
        if not errors:
            _, errors = self.allocate(
                note, {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": amount}
            )
        if errors:
            raise ValueError("; ".join(errors))
        return note
