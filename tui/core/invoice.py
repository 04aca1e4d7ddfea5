"""From an Actionstep bill to the Xero sales invoice it becomes.

Actionstep's own integration posts "the sum of the line items attributed to each general ledger
account", so lines collapse per (Xero account Code, TaxType). Each group's LineAmount and TaxAmount
are exact sums of lines already rounded to the cent (see `money`), so the invoice's total is the
bill's `totalInclusive` to the cent whenever Actionstep's own totals add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tui.core.mapping import Mapping
from tui.core.models import Bill, Catalog, Chart
from tui.core.money import ZERO


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    account_code: str
    tax_type: str
    amount: Decimal
    """Exclusive of tax."""
    tax: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """A Xero ACCREC invoice, before it knows its Xero ContactID."""

    bill_id: str
    number: str
    contact_number: str
    """Xero ContactNumber = the Actionstep participant id."""
    invoice_date: date | None
    due_date: date | None
    currency: str
    reference: str
    lines: tuple[InvoiceLine, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total_tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.total_tax


class UnmappedLine(LookupError):
    """A line's account or tax code has no usable Xero target; preflight reports it first."""


def build_invoice(bill: Bill, catalog: Catalog, mapping: Mapping, chart: Chart) -> InvoiceDraft:
    """Collapse the bill's lines per (Xero account Code, TaxType), in first-seen order."""
    groups: dict[tuple[str, str], list[Decimal]] = {}
    names: dict[tuple[str, str], list[str]] = {}
    for line in bill.lines:
        target = mapping.accounts.get(line.account_id or "")
        xero_account = chart.accounts.get(target or "")
        tax_type = mapping.tax_codes.get(line.tax_code_id or "")
        if xero_account is None or not xero_account.code or tax_type is None:
            raise UnmappedLine(f"line {line.line_id} of bill {bill.number} is not mapped")
        group = (xero_account.code, tax_type)
        sums = groups.setdefault(group, [ZERO, ZERO])
        sums[0] += line.amount
        sums[1] += line.tax
        source = catalog.accounts.get(line.account_id or "")
        source_name = source.name if source else xero_account.name
        if source_name not in names.setdefault(group, []):
            names[group].append(source_name)
    lines = tuple(
        InvoiceLine("; ".join(names[group]), group[0], group[1], amount, tax)
        for group, (amount, tax) in groups.items()
    )
    reference = ""
    if bill.matter is not None:
        reference = bill.matter.reference or bill.matter.name
    return InvoiceDraft(
        bill_id=bill.bill_id,
        number=bill.number,
        contact_number=bill.contact.participant_id if bill.contact else "",
        invoice_date=bill.invoice_date,
        due_date=bill.due_date,
        currency=bill.currency,
        reference=reference[:255],
        lines=lines,
    )
