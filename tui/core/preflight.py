"""Preflight: everything that can be known to fail is found before any call to Xero."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.invoice import InvoiceDraft, build_invoice, rounding_limit, with_rounding
from tui.core.mapping import Mapping
from tui.core.mapping_check import account_problem, tax_problem
from tui.core.models import Bill, Catalog, Chart, Organisation
from tui.core.money import ZERO, format_money
from tui.core.problems import Problem
from tui.core.triage import Cause

XERO_TEXT_LIMIT = 255
"""InvoiceNumber and a contact's Name: Xero's maximum length."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A bill's preflight result: the problems, or the invoice that would be sent."""

    problems: tuple[Problem, ...]
    invoice: InvoiceDraft | None

    @property
    def ready(self) -> bool:
        return not self.problems and self.invoice is not None


def preflight(
    bill: Bill,
    catalog: Catalog,
    mapping: Mapping,
    chart: Chart,
    organisation: Organisation | None = None,
    organisation_block: str | None = None,
) -> Verdict:
    """`organisation_block`: why nothing may go to the connected organisation (it is not the
    one the profile is bound to)."""
    problems: list[Problem] = [Problem(Cause.BAD_DATA, text) for text in bill.data_problems]
    if organisation_block:
        problems.append(
            Problem(
                Cause.WRONG_ORGANISATION,
                organisation_block,
                short="wrong organisation",
                subject="Xero",
            )
        )
    problems += _data_problems(bill, organisation)
    seen: set[Problem] = set()
    for line in bill.lines:
        account = catalog.accounts.get(line.account_id or "")
        tax_code = catalog.tax_codes.get(line.tax_code_id or "")
        found: list[Problem | None] = []
        if account is None:
            found.append(
                Problem(
                    Cause.BAD_DATA, f"line {line.line_id} is coded to no known Actionstep account"
                )
            )
        else:
            found.append(account_problem(account, mapping, chart))
        if tax_code is None:
            found.append(
                Problem(Cause.BAD_DATA, f"line {line.line_id} has no known Actionstep tax code")
            )
        else:
            target = (
                chart.accounts.get(mapping.accounts.get(account.account_id, ""))
                if account
                else None
            )
            found.append(tax_problem(tax_code, mapping, chart, target))
        for problem in found:
            if problem is not None and problem not in seen:
                seen.add(problem)
                problems.append(problem)
    if problems:
        return Verdict(tuple(problems), None)
    invoice = build_invoice(bill, catalog, mapping, chart)
    difference = bill.total_inc - invoice.total
    limit = rounding_limit(bill)
    consistent = (
        bill.total_ex + bill.total_tax == bill.total_inc
        and abs(bill.total_tax - invoice.total_tax) <= limit
    )
    if consistent and difference and abs(difference) <= limit:
        rounded = with_rounding(invoice, difference, chart)
        if rounded is None:
            problems.append(
                Problem(
                    Cause.TAX_NOT_ALLOWED,
                    f"the lines, rounded to the cent, make {format_money(invoice.total)} against "
                    f"Actionstep's {format_money(bill.total_inc)}; the rounding line that closes "
                    "the gap needs a zero-rate sales TaxType, and Xero's chart has none active",
                )
            )
            return Verdict(tuple(problems), None)
        invoice = rounded
    elif difference or not consistent:
        problems.append(
            Problem(
                Cause.BAD_DATA,
                f"totals do not add up: the lines make {format_money(invoice.total)} "
                f"(tax {format_money(invoice.total_tax)}) but Actionstep's bill says "
                f"{format_money(bill.total_inc)} (tax {format_money(bill.total_tax)})",
            )
        )
        return Verdict(tuple(problems), None)
    return Verdict((), invoice)


def _data_problems(bill: Bill, organisation: Organisation | None) -> list[Problem]:
    problems: list[str] = []
    if not bill.number.strip():
        problems.append("the bill has no number (ourReference)")
    elif len(bill.number) > XERO_TEXT_LIMIT:
        problems.append(
            f"the bill number is {len(bill.number)} characters long; Xero takes "
            f"at most {XERO_TEXT_LIMIT}"
        )
    if bill.contact is None:
        problems.append("the bill names no client (theirParticipant)")
    elif not bill.contact.name.strip():
        problems.append(f"client {bill.contact.participant_id} has no name")
    elif len(bill.contact.name) > XERO_TEXT_LIMIT:
        problems.append(
            f"the client's name is {len(bill.contact.name)} characters long; "
            f"Xero takes at most {XERO_TEXT_LIMIT}"
        )
    if not bill.lines:
        problems.append("the bill has no lines")
    if bill.total_inc < ZERO:
        problems.append("the bill's total is negative: that is a credit note, not an invoice")
    if organisation is not None and bill.currency != organisation.base_currency:
        problems.append(
            f"the bill is in {bill.currency}, the Xero organisation in {organisation.base_currency}"
        )
    return [Problem(Cause.BAD_DATA, text) for text in problems]
