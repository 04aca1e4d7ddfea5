"""Preflight: everything that can be known to fail is found before any call to Xero."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.invoice import InvoiceDraft, build_invoice, rounding_limit, with_rounding
from tui.core.mapping import Mapping
from tui.core.mapping_check import account_problem, tax_problem
from tui.core.models import Bill, Catalog, Chart, Line, Organisation
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


class LineChecks:
    """What the catalog and the mapping say of a line's account and tax code, worked out once
    per pair: a firm's 100,000 bills share a few dozen pairs, and a firm is evaluated whole
    whenever its mapping or chart changes. Made for one catalog, mapping and chart."""

    def __init__(self, catalog: Catalog, mapping: Mapping, chart: Chart) -> None:
        self._catalog, self._mapping, self._chart = catalog, mapping, chart
        self._said: dict[tuple[str, str], tuple[Problem | None, Problem | None]] = {}

    def __call__(self, line: Line) -> tuple[Problem | None, Problem | None]:
        """(the account's problem, the tax code's problem), None where there is none."""
        pair = (line.account_id or "", line.tax_code_id or "")
        said = self._said.get(pair)
        if said is None:
            said = self._said[pair] = self._check(*pair)
        account, tax = said
        if account is _NO_ACCOUNT:  # a problem of the line's own data: it names the line
            account = Problem(
                Cause.BAD_DATA, f"line {line.line_id} is coded to no known Actionstep account"
            )
        if tax is _NO_TAX_CODE:
            tax = Problem(Cause.BAD_DATA, f"line {line.line_id} has no known Actionstep tax code")
        return account, tax

    def _check(self, account_id: str, tax_code_id: str) -> tuple[Problem | None, Problem | None]:
        catalog, mapping, chart = self._catalog, self._mapping, self._chart
        account = catalog.accounts.get(account_id)
        tax_code = catalog.tax_codes.get(tax_code_id)
        account_said = _NO_ACCOUNT if account is None else account_problem(account, mapping, chart)
        if tax_code is None:
            return account_said, _NO_TAX_CODE
        target = chart.accounts.get(mapping.accounts.get(account_id, "")) if account else None
        return account_said, tax_problem(tax_code, mapping, chart, target)


_NO_ACCOUNT = Problem(Cause.BAD_DATA, "no known Actionstep account")
_NO_TAX_CODE = Problem(Cause.BAD_DATA, "no known Actionstep tax code")
"""Stand-ins, told apart by identity, for problems LineChecks words per line."""


def preflight(
    bill: Bill,
    catalog: Catalog,
    mapping: Mapping,
    chart: Chart,
    organisation: Organisation | None = None,
    organisation_block: str | None = None,
    checks: LineChecks | None = None,
) -> Verdict:
    """`organisation_block`: why nothing may go to the connected organisation (it is not the
    one the profile is bound to). `checks`: the line checks of the same catalog, mapping and
    chart, kept while a firm is evaluated."""
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
    line_checks = checks or LineChecks(catalog, mapping, chart)
    seen: set[Problem] = set()
    for line in bill.lines:
        for problem in line_checks(line):
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
