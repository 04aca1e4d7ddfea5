"""Preflight and the invoice a bill becomes: mapping lookups, problems stated in words, totals
that reconcile with Actionstep's to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tui.core.invoice import build_invoice
from tui.core.mapping import Mapping
from tui.core.mapping_check import mapping_rows
from tui.core.models import (
    Bill,
    BillStatus,
    Catalog,
    Chart,
    Contact,
    IncomeAccount,
    Line,
    LineKind,
    Matter,
    Organisation,
    TaxCode,
    XeroAccount,
    XeroTaxRate,
)
from tui.core.preflight import preflight
from tui.core.problems import MappingKey, MappingKind
from tui.core.triage import Cause

D = Decimal
CATALOG = Catalog(
    accounts={
        "1": IncomeAccount("1", "201", "Professional Fees"),
        "2": IncomeAccount("2", "203", "Consulting Fees"),
        "3": IncomeAccount("3", "202", "Disbursements Recovered"),
        "4": IncomeAccount("4", "215", "Mediation Fees"),
    },
    tax_codes={
        "10": TaxCode("10", "GST", "GST 10%", D(10)),
        "11": TaxCode("11", "FRE", "GST Free", D(0)),
    },
)
CHART = Chart(
    accounts={
        "x-fees": XeroAccount("x-fees", "201", "Legal Fees", "REVENUE", "ACTIVE"),
        "x-disb": XeroAccount("x-disb", "202", "Disbursements", "REVENUE", "ACTIVE"),
        "x-nocode": XeroAccount("x-nocode", None, "Mediation Income", "REVENUE", "ACTIVE"),
        "x-old": XeroAccount("x-old", "205", "Old Fees", "REVENUE", "ARCHIVED"),
    },
    tax_rates={
        "OUTPUT": XeroTaxRate("OUTPUT", "GST on Income", D(10), "ACTIVE", True),
        "EXEMPTOUTPUT": XeroTaxRate("EXEMPTOUTPUT", "GST Free Income", D(0), "ACTIVE", True),
        "INPUT": XeroTaxRate("INPUT", "GST on Expenses", D(10), "ACTIVE", False),
    },
)
MAPPING = Mapping(
    accounts={"1": "x-fees", "2": "x-fees", "3": "x-disb"},
    tax_codes={"10": "OUTPUT", "11": "EXEMPTOUTPUT"},
)
ORG = Organisation("org", "Harbour & Finch", "!abc", "STANDARD", False, "AUD")


def line(line_id: str, account: str, tax_code: str, amount: str, tax: str) -> Line:
    return Line(line_id, LineKind.FEE, f"work {line_id}", D(amount), D(tax), account, tax_code)


def bill(*lines: Line, **changes: object) -> Bill:
    total_ex = sum((ln.amount for ln in lines), D("0.00"))
    total_tax = sum((ln.tax for ln in lines), D("0.00"))
    base = Bill(
        "801",
        "10001",
        BillStatus.OPEN,
        "AUD",
        date(2026, 7, 1),
        date(2026, 7, 31),
        total_ex,
        total_tax,
        total_ex + total_tax,
        D(0),
        Contact("1201", "Charlotte Walker"),
        Matter("3001", "Walker estate", "HF-1"),
        lines,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_lines_collapse_per_xero_account_and_tax_type_and_add_up_to_the_bill() -> None:
    the_bill = bill(
        line("T1", "1", "10", "252.00", "25.20"),
        line("T2", "2", "10", "2448.00", "244.80"),  # another AS account, same Xero
        line("D1", "3", "11", "120.00", "0.00"),
        line("D2", "3", "10", "33.33", "3.33"),
    )
    verdict = preflight(the_bill, CATALOG, MAPPING, CHART, ORG)
    assert verdict.ready, verdict.problems
    invoice = verdict.invoice
    assert invoice is not None
    assert [(ln.account_code, ln.tax_type, ln.amount, ln.tax) for ln in invoice.lines] == [
        ("201", "OUTPUT", D("2700.00"), D("270.00")),
        ("202", "EXEMPTOUTPUT", D("120.00"), D("0.00")),
        ("202", "OUTPUT", D("33.33"), D("3.33")),
    ]
    assert invoice.lines[0].description == "Professional Fees; Consulting Fees"
    assert invoice.total == the_bill.total_inc == D("3126.66")
    assert invoice.number == "10001" and invoice.contact_number == "1201"
    assert invoice.reference == "HF-1"


def test_a_line_coded_to_an_unmapped_account_blocks_the_bill_and_names_the_row() -> None:
    verdict = preflight(
        bill(line("T1", "1", "10", "100.00", "10.00"), line("T2", "4", "10", "50.00", "5.00")),
        CATALOG,
        MAPPING,
        CHART,
        ORG,
    )
    assert not verdict.ready and verdict.invoice is None
    [problem] = verdict.problems
    assert problem.cause is Cause.MAPPING_MISSING
    assert problem.row == MappingKey(MappingKind.ACCOUNT, "4")
    assert "215 Mediation Fees is not mapped" in problem.message


def test_a_mapped_xero_account_without_a_code_or_archived_blocks_with_the_reason() -> None:
    the_bill = bill(line("T1", "4", "10", "50.00", "5.00"))
    no_code = preflight(
        the_bill,
        CATALOG,
        MAPPING.with_target(MappingKey(MappingKind.ACCOUNT, "4"), "x-nocode"),
        CHART,
        ORG,
    )
    assert no_code.problems[0].cause is Cause.ACCOUNT_CODE
    assert "has no Code" in no_code.problems[0].message
    assert no_code.problems[0].short == "no Code"
    archived = preflight(
        the_bill,
        CATALOG,
        MAPPING.with_target(MappingKey(MappingKind.ACCOUNT, "4"), "x-old"),
        CHART,
        ORG,
    )
    assert archived.problems[0].short == "archived"


def test_a_tax_type_not_allowed_on_sales_blocks() -> None:
    mapping = MAPPING.with_target(MappingKey(MappingKind.TAX, "10"), "INPUT")
    verdict = preflight(
        bill(line("T1", "1", "10", "100.00", "10.00")), CATALOG, mapping, CHART, ORG
    )
    assert verdict.problems[0].cause is Cause.TAX_NOT_ALLOWED
    assert "cannot be used with account 201 Legal Fees" in verdict.problems[0].message


def test_totals_that_do_not_add_up_block_the_bill() -> None:
    the_bill = bill(line("T1", "1", "10", "100.00", "10.00"), total_inc=D("110.50"))
    verdict = preflight(the_bill, CATALOG, MAPPING, CHART, ORG)
    assert verdict.problems[0].cause is Cause.BAD_DATA
    assert "110.00" in verdict.problems[0].message and "110.50" in verdict.problems[0].message


def test_a_cent_lost_to_rounding_each_line_goes_on_a_tax_free_rounding_line() -> None:
    """Three lines of 33.333333 are 33.33 each once rounded; Actionstep's bill says 100.00."""
    the_bill = bill(
        line("T1", "1", "11", "33.33", "0.00"),
        line("T2", "1", "11", "33.33", "0.00"),
        line("D1", "3", "11", "33.33", "0.00"),
        total_ex=D("100.00"),
        total_inc=D("100.00"),
    )
    verdict = preflight(the_bill, CATALOG, MAPPING, CHART, ORG)
    assert verdict.ready, verdict.problems
    invoice = verdict.invoice
    assert invoice is not None and invoice.total == the_bill.total_inc
    rounding = invoice.lines[-1]
    assert (
        rounding.description,
        rounding.account_code,
        rounding.tax_type,
        rounding.amount,
        rounding.tax,
    ) == ("Rounding", "201", "EXEMPTOUTPUT", D("0.01"), D("0.00"))


def test_a_rounding_gap_without_a_zero_rate_tax_type_blocks_the_bill() -> None:
    chart = replace(
        CHART, tax_rates={k: v for k, v in CHART.tax_rates.items() if k != "EXEMPTOUTPUT"}
    )
    mapping = replace(MAPPING, tax_codes={"10": "OUTPUT", "11": "OUTPUT"})
    the_bill = bill(
        line("T1", "1", "10", "33.33", "3.33"),
        line("T2", "1", "10", "33.33", "3.33"),
        total_ex=D("66.67"),
        total_inc=D("73.33"),
    )
    verdict = preflight(the_bill, CATALOG, mapping, chart, ORG)
    assert not verdict.ready and "zero-rate sales TaxType" in verdict.problems[0].message


def test_bad_data_from_actionstep_blocks_with_every_reason() -> None:
    the_bill = bill(
        line("T1", "1", "10", "100.00", "10.00"),
        contact=None,
        currency="NZD",
        number="",
        data_problems=("invoiceDate is not a date: 'soon'",),
    )
    messages = [p.message for p in preflight(the_bill, CATALOG, MAPPING, CHART, ORG).problems]
    assert "invoiceDate is not a date: 'soon'" in messages
    assert "the bill names no client (theirParticipant)" in messages
    assert "the bill is in NZD, the Xero organisation in AUD" in messages
    assert "the bill has no number (ourReference)" in messages


def test_one_problem_is_reported_once_however_many_lines_share_it() -> None:
    verdict = preflight(
        bill(line("T1", "4", "10", "1.00", "0.10"), line("T2", "4", "10", "2.00", "0.20")),
        CATALOG,
        MAPPING,
        CHART,
        ORG,
    )
    assert len(verdict.problems) == 1


def test_the_mapping_screen_rows_count_the_bills_each_row_blocks() -> None:
    rows = mapping_rows(CATALOG, MAPPING, CHART, {MappingKey(MappingKind.ACCOUNT, "4"): 7})
    by_source = {row.source_label: row for row in rows}
    assert by_source["215 Mediation Fees"].bills_blocked == 7
    assert by_source["215 Mediation Fees"].problem is not None
    assert by_source["201 Professional Fees"].target_label == "201 Legal Fees"
    assert by_source["GST GST 10%"].target_label == "OUTPUT GST on Income"
    assert by_source["201 Professional Fees"].problem is None


def test_a_mapping_survives_its_json_form() -> None:
    assert Mapping.from_json(MAPPING.to_json()) == MAPPING
    cleared = MAPPING.with_target(MappingKey(MappingKind.ACCOUNT, "1"), None)
    assert "1" not in cleared.accounts and "1" in MAPPING.accounts


def test_build_invoice_needs_every_line_mapped() -> None:
    import pytest

    from tui.core.invoice import UnmappedLine

    with pytest.raises(UnmappedLine):
        build_invoice(bill(line("T1", "4", "10", "1.00", "0.10")), CATALOG, MAPPING, CHART)
