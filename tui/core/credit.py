"""From a credit or write-off in Actionstep to the Xero credit note allocated to the invoice.

Coding rule: a credit note reverses part of the invoice, so it is coded like the invoice, line by
line, in proportion. Each of the invoice's lines with a positive tax-inclusive amount takes a
share of the credit in proportion to that amount, in whole cents: each share is rounded down,
and the cents left over go one each to the lines with the largest remainders (the first line on
a tie). Each share's tax is its line's tax rate applied to it, rounded half-up to the cent, so
the credit note's total is exactly the credit and its GST reverses the invoice's in proportion.
This is what Xero documents for a write-off under cash-basis GST ("code the credit note to the
same account code and tax rate as the original invoice"); a firm that books write-offs to Bad
Debts moves them there in Xero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from tui.core.invoice import InvoiceDraft, InvoiceLine
from tui.core.money import CENT, ZERO, cents


@dataclass(frozen=True, slots=True)
class CreditDraft:
    """An ACCRECCREDIT credit note for one bill, before it knows its Xero ContactID."""

    bill_id: str
    number: str
    """CreditNoteNumber: the bill's number and `-CR1`, `-CR2` (`jobs.credit_number`)."""
    invoice_number: str
    contact_number: str
    currency: str
    day: date
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount + line.tax for line in self.lines), ZERO)


def shares(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` split in cents in proportion to `weights` (all positive): largest remainder."""
    whole = sum(weights, ZERO)
    exact = [amount * w / whole for w in weights]
    parts = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(parts, ZERO)) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += CENT
    return parts


def build_credit(invoice: InvoiceDraft, amount: Decimal, number: str, day: date) -> CreditDraft:
    """The credit note for `amount` (tax-inclusive) against this invoice, coded by the rule
    above. Raises ValueError when the invoice has no line to carry it."""
    lines = [line for line in invoice.lines if line.amount + line.tax > 0]
    if not lines or amount <= 0:
        raise ValueError(f"invoice {invoice.number} has no line a credit can be coded to")
    credit_lines: list[InvoiceLine] = []
    for line, share in zip(
        lines, shares(amount, [ln.amount + ln.tax for ln in lines]), strict=True
    ):
        if share == 0:
            continue
        tax = cents(share * line.tax / (line.amount + line.tax))
        credit_lines.append(
            InvoiceLine(line.description, line.account_code, line.tax_type, share - tax, tax)
        )
    return CreditDraft(
        bill_id=invoice.bill_id,
        number=number,
        invoice_number=invoice.number,
        contact_number=invoice.contact_number,
        currency=invoice.currency,
        day=day,
        lines=tuple(credit_lines),
    )
