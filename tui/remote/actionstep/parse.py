"""Actionstep records -> core models, never trusting the input.

A record with missing or malformed fields still becomes a Bill; what was wrong goes into its
`data_problems`, which blocks it with a reason instead of crashing the sync.

A line's arithmetic, as Actionstep does it: a time entry's amount is its `billableAmount`; a
disbursement's is `quantity x unitPrice`, tax-inclusive when `unitPriceIncludesTax` is "T". Amount
and tax are each rounded half-up to the cent (see `tui.core.money`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tui.core.jsonio import READ_ERRORS
from tui.core.models import (
    Bill,
    BillStatus,
    Catalog,
    Contact,
    IncomeAccount,
    Line,
    LineKind,
    Matter,
    TaxCode,
)
from tui.core.money import ZERO, cents, parse_amount
from tui.core.text import clean

Record = Mapping[str, Any]


def as_list(value: Any) -> list[Any]:
    """Actionstep sends a lone result as an object, several as a list, none as nothing."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def link(record: Record, name: str) -> str | None:
    """A link id as text; for a list of links, the first."""
    links = record.get("links")
    value = links.get(name) if isinstance(links, Mapping) else None
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, (bool, dict)):
        return None
    text = clean(str(value)).strip()
    return text or None


def text(record: Record, name: str) -> str | None:
    """A text field, cleaned of control characters and bidirectional overrides (see
    `tui.core.text`); None when missing or not text."""
    value = record.get(name)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    result = clean(str(value)).strip()
    return result or None


def flag(record: Record, name: str) -> bool:
    """Actionstep's booleans are "T"/"F"."""
    return str(record.get(name, "")).upper() in ("T", "TRUE")


def parse_catalog(accounts: Sequence[Record], tax_codes: Sequence[Record]) -> Catalog:
    parsed_accounts: dict[str, IncomeAccount] = {}
    for record in accounts:
        account_id = text(record, "id")
        if account_id:
            parsed_accounts[account_id] = IncomeAccount(
                account_id,
                text(record, "accountNumber") or account_id,
                text(record, "name") or "(unnamed)",
            )
    parsed_codes: dict[str, TaxCode] = {}
    for record in tax_codes:
        code_id = text(record, "id")
        if not code_id:
            continue
        try:
            rate = parse_amount(record.get("percentage", 0))
        except ValueError:
            continue  # a tax code without a usable rate cannot code a line; lines show it
        if not ZERO <= rate <= 100:
            continue  # nor can a rate no tax has
        parsed_codes[code_id] = TaxCode(
            code_id, text(record, "code") or code_id, text(record, "description") or "", rate
        )
    return Catalog(parsed_accounts, parsed_codes)


def parse_contact(record: Record) -> Contact | None:
    participant_id = text(record, "id")
    if participant_id is None:
        return None
    first, last = text(record, "firstName"), text(record, "lastName")
    name = (
        text(record, "displayName")
        or text(record, "companyName")
        or " ".join(p for p in (first, last) if p)
    )
    return Contact(
        participant_id, name, text(record, "email"), first, last, flag(record, "isCompany")
    )


def parse_matter(record: Record) -> Matter | None:
    matter_id = text(record, "id")
    if matter_id is None:
        return None
    return Matter(
        matter_id, text(record, "name") or f"Matter {matter_id}", text(record, "reference")
    )


def _tax_on(amount: Decimal, rate: Decimal, inclusive: bool) -> Decimal:
    if inclusive:
        return cents(amount * rate / (100 + rate))
    return cents(amount * rate / 100)


def parse_time_entry(record: Record, catalog: Catalog) -> tuple[Line | None, str | None]:
    """A fee line, or (None, why not)."""
    entry_id = text(record, "id") or "?"
    try:
        amount = cents(parse_amount(record.get("billableAmount")))
    except ValueError:
        return None, f"time entry {entry_id} has no usable billableAmount"
    tax_code_id = link(record, "taxCode")
    code = catalog.tax_codes.get(tax_code_id or "")
    tax = _tax_on(amount, code.rate, False) if code else ZERO
    return Line(
        f"T{entry_id}",
        LineKind.FEE,
        text(record, "description") or "Fees",
        amount,
        tax,
        link(record, "incomeAccount"),
        tax_code_id,
    ), None


def parse_disbursement(record: Record, catalog: Catalog) -> tuple[Line | None, str | None]:
    entry_id = text(record, "id") or "?"
    try:
        product = parse_amount(record.get("quantity", 1)) * parse_amount(record.get("unitPrice"))
        gross = cents(parse_amount(product))  # the product must be plausible too
    except ValueError:
        return None, f"disbursement {entry_id} has no usable quantity or unitPrice"
    tax_code_id = link(record, "taxCode")
    code = catalog.tax_codes.get(tax_code_id or "")
    inclusive = flag(record, "unitPriceIncludesTax")
    tax = _tax_on(gross, code.rate, inclusive) if code else ZERO
    amount = gross - tax if inclusive else gross
    return Line(
        f"D{entry_id}",
        LineKind.DISBURSEMENT,
        text(record, "description") or "Disbursement",
        amount,
        tax,
        link(record, "incomeAccount"),
        tax_code_id,
    ), None


def _date(record: Record, name: str, problems: list[str]) -> date | None:
    value = text(record, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append(f"{name} is not a date: {value[:40]!r}")
        return None


def _amount(record: Record, name: str, problems: list[str]) -> Decimal:
    try:
        return cents(parse_amount(record.get(name)))
    except ValueError:
        problems.append(f"{name} is missing or not an amount")
        return ZERO


def rejected_bill(record: Record, why: str) -> Bill | None:
    """A bill that could not be read at all: kept, blocked with the reason, so that it shows in
    triage instead of stopping the sync (None when it has not even an id)."""
    bill_id = text(record, "id")
    if bill_id is None:
        return None
    try:
        status = BillStatus(text(record, "status") or "")
    except ValueError:
        status = BillStatus.DRAFT
    return Bill(
        bill_id=bill_id,
        number=text(record, "ourReference") or "",
        status=status,
        currency="",
        invoice_date=None,
        due_date=None,
        total_ex=ZERO,
        total_tax=ZERO,
        total_inc=ZERO,
        total_paid=ZERO,
        contact=None,
        matter=None,
        lines=(),
        modified=None,
        data_problems=(f"Actionstep's record could not be read: {why}",),
    )


def parse_bill(
    record: Record,
    *,
    contacts: Mapping[str, Contact],
    matters: Mapping[str, Matter],
    lines: list[Line],
    line_problems: list[str],
) -> Bill | None:
    bill_id = text(record, "id")
    if bill_id is None:
        return None
    problems = list(line_problems)
    status_text = text(record, "status") or ""
    try:
        status = BillStatus(status_text)
    except ValueError:
        problems.append(f"unknown status {status_text[:20]!r}")
        status = BillStatus.DRAFT
    currency = text(record, "currency") or ""
    if not currency:
        problems.append("the bill has no currency")
    modified = None
    stamp = text(record, "modifiedTimestamp")
    if stamp:
        try:
            modified = datetime.fromisoformat(stamp)
        except ValueError:
            problems.append("modifiedTimestamp is not a timestamp")
        else:
            if modified.tzinfo is None:
                problems.append("modifiedTimestamp has no time zone")
                modified = None
    participant = link(record, "theirParticipant")
    if participant and participant not in contacts:
        problems.append(f"client (participant {participant}) was not found in Actionstep")
    matter = link(record, "action")
    try:
        paid = cents(parse_amount(record.get("totalPaid") or 0))
    except ValueError:
        problems.append("totalPaid is not an amount")  # payments follow it: never guess
        paid = ZERO
    due: Decimal | None = None
    if record.get("totalDue") is not None:
        try:
            due = cents(parse_amount(record["totalDue"]))
        except ValueError:
            problems.append("totalDue is not an amount")  # credits follow it: never guess
    return Bill(
        bill_id=bill_id,
        number=text(record, "ourReference") or "",
        status=status,
        currency=currency.upper()[:3],
        invoice_date=_date(record, "invoiceDate", problems),
        due_date=_date(record, "dueDate", problems),
        total_ex=_amount(record, "totalExclusive", problems),
        total_tax=_amount(record, "totalSalesTax", problems),
        total_inc=_amount(record, "totalInclusive", problems),
        total_paid=paid,
        contact=contacts.get(participant or ""),
        matter=matters.get(matter or ""),
        lines=tuple(lines),
        modified=modified,
        data_problems=tuple(problems),
        total_due=due,
    )


def read_bill(
    record: Record,
    *,
    contacts: Mapping[str, Contact],
    matters: Mapping[str, Matter],
    lines: list[Line],
    line_problems: list[str],
) -> Bill | None:
    """`parse_bill`, never raising: a record of a shape it cannot read is a rejected bill."""
    try:
        return parse_bill(
            record, contacts=contacts, matters=matters, lines=lines, line_problems=line_problems
        )
    except READ_ERRORS as error:
        return rejected_bill(record, str(error)[:120] or type(error).__name__)


def read_line(kind: str, record: Record, catalog: Catalog) -> tuple[Line | None, str | None]:
    """A time entry's or a disbursement's line, never raising: (None, why) when unreadable."""
    parse = parse_time_entry if kind == "timeentries" else parse_disbursement
    try:
        return parse(record, catalog)
    except READ_ERRORS as error:
        return None, f"{kind} {str(record.get('id'))[:20]} could not be read: {error}"
