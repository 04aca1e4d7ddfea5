"""From an Actionstep bill to the Xero sales invoice it becomes.

Actionstep's own integration posts "the sum of the line items attributed to each general ledger
account", so lines collapse per (Xero account Code, TaxType). Each group's LineAmount and TaxAmount
are exact sums of lines already rounded to the cent (see `money`), so the invoice's total is the
bill's `totalInclusive` to the cent whenever Actionstep's own totals add up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from tui.core.mapping import Mapping
from tui.core.models import Bill, Catalog, Chart
from tui.core.money import CENT, ZERO


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

    @property
    def coding(self) -> str:
        """What this invoice books (see `coding`)."""
        return coding(
            (line.account_code, line.tax_type, line.amount, line.tax) for line in self.lines
        )


def coding(lines: Iterable[tuple[str, str, Decimal, Decimal]]) -> str:
    """What an invoice books, as one comparable string: each line's account Code, TaxType,
    amount and tax, in a stable order. Two invoices with the same total can book a fee to
    different accounts; this tells them apart. Descriptions are left out: they book nothing,
    and Xero may tidy their whitespace."""
    rows = sorted(
        f"{code}|{tax_type}|{amount.quantize(CENT)}|{tax.quantize(CENT)}"
        for code, tax_type, amount, tax in lines
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


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


ROUNDING = "Rounding"
ZERO_RATE_PREFERENCE = ("NONE", "BASEXCLUDED", "EXEMPTOUTPUT", "ZERORATEDOUTPUT")
"""TaxTypes for a rounding line, in order of preference: none, then excluded, then zero-rated."""


def rounding_limit(bill: Bill) -> Decimal:
    """The most that rounding each line's amount and tax to the cent can move a total."""
    return CENT * max(1, len(bill.lines))


def with_rounding(draft: InvoiceDraft, difference: Decimal, chart: Chart) -> InvoiceDraft | None:
    """The invoice plus a tax-free line of `difference` on the largest line's account, so its
    total is Actionstep's to the cent; None when Xero offers no zero-rate sales TaxType."""
    usable = [
        rate
        for rate in chart.tax_rates.values()
        if rate.rate == 0 and rate.can_apply_to_revenue and rate.status == "ACTIVE"
    ]
    if not usable or not draft.lines:
        return None
    rank = {tax_type: i for i, tax_type in enumerate(ZERO_RATE_PREFERENCE)}
    tax_type = min(usable, key=lambda r: (rank.get(r.tax_type, len(rank)), r.tax_type)).tax_type
    largest = max(draft.lines, key=lambda line: abs(line.amount))
    line = InvoiceLine(ROUNDING, largest.account_code, tax_type, difference, ZERO)
    return replace(draft, lines=(*draft.lines, line))
