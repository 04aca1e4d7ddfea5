"""The domain: what Actionstep bills and what Xero keeps, as plain immutable values.

Identifiers are kept as text, as both APIs link records by id strings. Money is `Decimal`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tui.core.text import clean


class BillStatus(StrEnum):
    """An Actionstep bill's own status. Open and Closed bills are finalised and go to Xero."""

    DRAFT = "Draft"
    OPEN = "Open"
    CLOSED = "Closed"
    DELETED = "Deleted"


class LineKind(StrEnum):
    FEE = "fee"
    DISBURSEMENT = "disbursement"


@dataclass(frozen=True, slots=True)
class Contact:
    """An Actionstep participant billed on a bill; becomes a Xero contact keyed by ContactNumber."""

    participant_id: str
    name: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_company: bool = False


@dataclass(frozen=True, slots=True)
class Matter:
    """An Actionstep action (matter)."""

    matter_id: str
    name: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One billed item: a time entry (fee) or a disbursement, rounded to the cent."""

    line_id: str
    kind: LineKind
    description: str
    amount: Decimal
    """Exclusive of tax, rounded to the cent."""
    tax: Decimal
    """Sales tax on this line, rounded to the cent."""
    account_id: str | None
    """The Actionstep income account the line is coded to."""
    tax_code_id: str | None
    """The Actionstep tax code the line is coded to."""


@dataclass(frozen=True, slots=True)
class Bill:
    """An Actionstep bill (the sales invoice), with everything needed to push it."""

    bill_id: str
    number: str
    """Actionstep's `ourReference`; becomes the Xero InvoiceNumber."""
    status: BillStatus
    currency: str
    invoice_date: date | None
    due_date: date | None
    total_ex: Decimal
    total_tax: Decimal
    total_inc: Decimal
    total_paid: Decimal
    contact: Contact | None
    matter: Matter | None
    lines: tuple[Line, ...] = ()
    modified: datetime | None = None
    data_problems: tuple[str, ...] = ()
    """What was wrong with the record as Actionstep sent it; any problem blocks the bill."""
    total_due: Decimal | None = None
    """Actionstep's `totalDue`; None when it was not sent (a cache older than credits)."""

    @property
    def client_name(self) -> str:
        return self.contact.name if self.contact else "?"

    @property
    def credited(self) -> Decimal:
        """What Actionstep credited or wrote off against the bill: what is neither paid nor
        still due (an assumption: its API has no credit-note resource; see the README)."""
        if self.total_due is None:
            return Decimal("0.00")
        return max(Decimal("0.00"), self.total_inc - self.total_paid - self.total_due)

    def to_json(self) -> dict[str, Any]:
        """For the local cache of synced bills: text for dates and amounts, exactly; JSON's
        own types throughout, so it equals what the cache gives back."""
        data = asdict(self)
        for name in ("invoice_date", "due_date", "modified"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value is not None else None
        for name in ("total_ex", "total_tax", "total_inc", "total_paid"):
            data[name] = str(getattr(self, name))
        data["total_due"] = None if self.total_due is None else str(self.total_due)
        data["lines"] = [
            {**asdict(line), "amount": str(line.amount), "tax": str(line.tax)}
            for line in self.lines
        ]
        data["data_problems"] = list(self.data_problems)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bill:
        """From the local cache; its text cleaned again, as a profile may predate the cleaning
        at entry (see `tui.core.text`). Field by field, as a firm's whole cache is read this
        way: a field missing or of the wrong type raises one of READ_ERRORS."""
        contact, matter = data.get("contact"), data.get("matter")
        return cls(
            bill_id=str(data["bill_id"]),
            number=clean(str(data["number"])),
            status=_STATUSES[data["status"]],
            currency=str(data["currency"]),
            invoice_date=_day(data.get("invoice_date")),
            due_date=_day(data.get("due_date")),
            total_ex=Decimal(data["total_ex"]),
            total_tax=Decimal(data["total_tax"]),
            total_inc=Decimal(data["total_inc"]),
            total_paid=Decimal(data["total_paid"]),
            contact=Contact(
                participant_id=clean(contact["participant_id"]),
                name=clean(contact["name"]),
                email=_text(contact.get("email")),
                first_name=_text(contact.get("first_name")),
                last_name=_text(contact.get("last_name")),
                is_company=bool(contact.get("is_company", False)),
            )
            if contact
            else None,
            matter=Matter(
                matter_id=clean(matter["matter_id"]),
                name=clean(matter["name"]),
                reference=_text(matter.get("reference")),
            )
            if matter
            else None,
            lines=tuple(
                Line(
                    line_id=clean(line["line_id"]),
                    kind=_KINDS[line["kind"]],
                    description=clean(line["description"]),
                    amount=Decimal(line["amount"]),
                    tax=Decimal(line["tax"]),
                    account_id=_text(line.get("account_id")),
                    tax_code_id=_text(line.get("tax_code_id")),
                )
                for line in data.get("lines") or ()
            ),
            modified=datetime.fromisoformat(data["modified"]) if data.get("modified") else None,
            data_problems=tuple(str(p) for p in data.get("data_problems") or ()),
            total_due=None if data.get("total_due") is None else Decimal(data["total_due"]),
        )


_STATUSES = {status.value: status for status in BillStatus}
_KINDS = {kind.value: kind for kind in LineKind}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _text(value: str | None) -> str | None:
    """Optional text from the cache, cleaned (None stays None)."""
    return None if value is None else clean(value)


@dataclass(frozen=True, slots=True)
class IncomeAccount:
    """An Actionstep general-ledger income account that lines are coded to."""

    account_id: str
    number: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}"


@dataclass(frozen=True, slots=True)
class TaxCode:
    """An Actionstep tax code; `rate` is a percentage, 10 for GST."""

    tax_code_id: str
    code: str
    description: str
    rate: Decimal

    @property
    def label(self) -> str:
        return f"{self.code} {self.description}"


@dataclass(frozen=True, slots=True)
class Catalog:
    """Actionstep's side of the mapping: the income accounts and tax codes bills are coded to."""

    accounts: dict[str, IncomeAccount] = field(default_factory=dict)
    tax_codes: dict[str, TaxCode] = field(default_factory=dict)


INCOME_TYPES = frozenset({"REVENUE", "SALES", "OTHERINCOME"})
"""Xero account Types of the REVENUE class: where sales invoice lines belong."""


@dataclass(frozen=True, slots=True)
class XeroAccount:
    account_id: str
    code: str | None
    """Xero lets an account have no Code; the API (and so the push) cannot use such an account."""
    name: str
    type: str
    status: str
    tax_type: str | None = None
    enable_payments: bool = False
    account_class: str | None = None
    """Xero's Class: ASSET, EQUITY, EXPENSE, LIABILITY or REVENUE."""

    @property
    def label(self) -> str:
        return f"{self.code or '(no code)'} {self.name}"

    @property
    def kind(self) -> str:
        """The class tax rates are allowed by, from the Type when Xero sent no Class."""
        if self.account_class:
            return self.account_class
        return "REVENUE" if self.type in INCOME_TYPES else self.type

    @property
    def is_income(self) -> bool:
        return self.kind == "REVENUE"


@dataclass(frozen=True, slots=True)
class XeroTaxRate:
    tax_type: str
    name: str
    rate: Decimal
    status: str
    can_apply_to_revenue: bool
    applies_to: frozenset[str] = frozenset()
    """The account classes it may be used on (Xero's CanApplyTo* flags), besides revenue."""

    @property
    def label(self) -> str:
        return f"{self.tax_type} {self.name}"

    def allowed_on(self, account: XeroAccount) -> bool:
        """Whether Xero accepts this TaxType on a line coded to `account`."""
        kind = account.kind
        return self.can_apply_to_revenue if kind == "REVENUE" else kind in self.applies_to


@dataclass(frozen=True, slots=True)
class Chart:
    """Xero's chart of accounts and tax rates, as last read from the organisation."""

    accounts: dict[str, XeroAccount] = field(default_factory=dict)
    tax_rates: dict[str, XeroTaxRate] = field(default_factory=dict)

    def account_by_code(self, code: str) -> XeroAccount | None:
        return next((a for a in self.accounts.values() if a.code == code), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": [asdict(a) for a in self.accounts.values()],
            "tax_rates": [
                {**asdict(r), "rate": str(r.rate), "applies_to": sorted(r.applies_to)}
                for r in self.tax_rates.values()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chart:
        accounts = [XeroAccount(**a) for a in data.get("accounts", [])]
        rates = [
            XeroTaxRate(
                **{**r, "rate": Decimal(r["rate"]), "applies_to": frozenset(r["applies_to"])}
            )
            for r in data.get("tax_rates", [])
        ]
        return cls({a.account_id: a for a in accounts}, {r.tax_type: r for r in rates})


@dataclass(frozen=True, slots=True)
class Organisation:
    organisation_id: str
    name: str
    short_code: str | None
    org_class: str | None
    is_demo: bool
    base_currency: str
    country: str | None = None
    lock_date: date | None = None
    """The later of Xero's period lock and end-of-year lock dates: Xero refuses any document
    dated on or before it."""

    @property
    def first_open_day(self) -> date | None:
        return None if self.lock_date is None else self.lock_date + timedelta(days=1)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lock_date"] = None if self.lock_date is None else self.lock_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Organisation:
        return cls(**{**data, "lock_date": _day(data.get("lock_date"))})

    @property
    def is_trial_or_demo(self) -> bool:
        return self.is_demo or (self.org_class or "").upper() in ("DEMO", "TRIAL")
