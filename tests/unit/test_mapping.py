"""The mapping checked against Xero's chart, in an accountant's words; auto-map; what a chart
refresh says changed; the mapping as a file, where one bad row changes nothing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tui.core import automap, mapfile
from tui.core.mapping import Mapping, Origin
from tui.core.mapping_check import drift, mapping_rows, row_problem
from tui.core.models import (
    Catalog,
    Chart,
    IncomeAccount,
    Organisation,
    TaxCode,
    XeroAccount,
    XeroTaxRate,
)
from tui.core.problems import RECEIPTS, MappingKey, MappingKind
from tui.core.triage import Cause

D = Decimal
FEES = MappingKey(MappingKind.ACCOUNT, "1")
DISB = MappingKey(MappingKind.ACCOUNT, "3")
GST = MappingKey(MappingKind.TAX, "10")
BANK_ROW = MappingKey(MappingKind.BANK, RECEIPTS)
CATALOG = Catalog(
    accounts={
        "1": IncomeAccount("1", "201", "Professional Fees"),
        "2": IncomeAccount("2", "203", "Consulting Fees"),
        "3": IncomeAccount("3", "202", "Disbursements Recovered"),
        "4": IncomeAccount("4", "204", "Conveyancing Fees"),
    },
    tax_codes={
        "10": TaxCode("10", "GST", "GST on Income (10%)", D(10)),
        "11": TaxCode("11", "FRE", "GST Free", D(0)),
        "12": TaxCode("12", "N-T", "No Tax", D(0)),
    },
)


def account(
    account_id: str,
    code: str | None,
    name: str,
    kind: str = "REVENUE",
    status: str = "ACTIVE",
    **more: Any,
) -> XeroAccount:
    classes = {"REVENUE": "REVENUE", "EXPENSE": "EXPENSE", "BANK": "ASSET", "CURRLIAB": "LIABILITY"}
    return XeroAccount(
        account_id, code, name, kind, status, account_class=classes.get(kind, "ASSET"), **more
    )


CHART = Chart(
    accounts={
        a.account_id: a
        for a in [
            account("x-bank", "090", "Business Bank Account", "BANK"),
            account("x-trust", "091", "Trust Account", "BANK"),
            account("x-fees", "201", "Legal Fees"),
            account("x-disb", "202", "Disbursements Recovered"),
            account("x-old", "205", "Old Fee Income", status="ARCHIVED"),
            account("x-conv", None, "Conveyancing Income"),
            account("x-costs", "310", "Disbursement Costs", "EXPENSE"),
            account("x-gst", "820", "GST", "CURRLIAB", enable_payments=True),
        ]
    },
    tax_rates={
        r.tax_type: r
        for r in [
            XeroTaxRate("OUTPUT", "GST on Income", D(10), "ACTIVE", True, frozenset({"REVENUE"})),
            XeroTaxRate(
                "EXEMPTOUTPUT", "GST Free Income", D(0), "ACTIVE", True, frozenset({"REVENUE"})
            ),
            XeroTaxRate(
                "INPUT", "GST on Expenses", D(10), "ACTIVE", False, frozenset({"EXPENSE", "ASSET"})
            ),
            XeroTaxRate("OLDTAX", "Retired rate", D(10), "DELETED", True),
        ]
    },
)
ORG = Organisation("org-1", "Harbour & Finch", "!abc", "STANDARD", False, "AUD")


def mapped(**rows: str) -> Mapping:
    """A mapping from row names used here: fees, disb, gst, bank."""
    keys = {"fees": FEES, "disb": DISB, "gst": GST, "bank": BANK_ROW}
    mapping = Mapping()
    for name, target in rows.items():
        mapping = mapping.with_target(keys[name], target, CHART)
    return mapping


# -- validation against the live chart -----------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "target", "cause", "short", "words"),
    [
        (FEES, None, Cause.MAPPING_MISSING, "unmapped", "is not mapped to a Xero account"),
        (FEES, "x-gone", Cause.ACCOUNT_CODE, "not in Xero", "no longer in Xero's chart"),
        (
            FEES,
            "x-old",
            Cause.ACCOUNT_CODE,
            "archived",
            "205 Old Fee Income (mapped from 201 Professional Fees) is archived",
        ),
        (
            FEES,
            "x-conv",
            Cause.ACCOUNT_CODE,
            "no Code",
            'has no Code (Actionstep\'s "reference #")',
        ),
        (FEES, "x-bank", Cause.ACCOUNT_TYPE, "bank account", "invoice lines cannot be coded to it"),
        (
            FEES,
            "x-costs",
            Cause.ACCOUNT_TYPE,
            "not income",
            "is an expense account (EXPENSE): what a client is billed belongs in a revenue account",
        ),
        (GST, None, Cause.MAPPING_MISSING, "unmapped", "is not mapped to a Xero TaxType"),
        (GST, "OLDTAX", Cause.TAX_NOT_ALLOWED, "unknown TaxType", "is not an active tax rate"),
        (GST, "INPUT", Cause.TAX_NOT_ALLOWED, "not for sales", "cannot be used on sales"),
        (BANK_ROW, None, Cause.MAPPING_MISSING, "unmapped", "payments cannot be recorded"),
        (
            BANK_ROW,
            "x-fees",
            Cause.ACCOUNT_TYPE,
            "not a bank account",
            "neither a bank account nor enabled for payments",
        ),
    ],
)
def test_each_mapping_problem_is_stated_in_words_an_accountant_understands(
    row: MappingKey, target: str | None, cause: Cause, short: str, words: str
) -> None:
    problem = row_problem(row, Mapping().with_target(row, target), CATALOG, CHART)
    assert problem is not None and problem.row == row
    assert (problem.cause, problem.short) == (cause, short)
    assert words in problem.message


def test_good_rows_have_no_problem_and_a_liability_account_with_payments_can_take_receipts() -> (
    None
):
    mapping = mapped(fees="x-fees", gst="OUTPUT", bank="x-gst")
    assert [row_problem(k, mapping, CATALOG, CHART) for k in (FEES, GST, BANK_ROW)] == [
        None,
        None,
        None,
    ]


def test_a_tax_type_is_checked_against_the_class_of_the_account_it_is_used_with() -> None:
    output, inp = CHART.tax_rates["OUTPUT"], CHART.tax_rates["INPUT"]
    fees, costs = CHART.accounts["x-fees"], CHART.accounts["x-costs"]
    assert output.allowed_on(fees) and not output.allowed_on(costs)
    assert inp.allowed_on(costs) and not inp.allowed_on(fees)
    typed_only = replace(costs, account_class=None)  # Xero sent no Class: the Type decides
    assert not output.allowed_on(typed_only) and typed_only.kind == "EXPENSE"


def test_rows_count_the_bills_they_block_and_say_who_set_them() -> None:
    mapping = mapped(fees="x-fees").with_target(DISB, "x-disb", CHART, Origin.AUTO)
    rows = {r.key: r for r in mapping_rows(CATALOG, mapping, CHART, {DISB: 0, GST: 4})}
    assert len(rows) == 4 + 3 + 1
    assert rows[FEES].origin is Origin.ADMIN and rows[DISB].origin is Origin.AUTO
    assert rows[GST].bills_blocked == 4 and rows[GST].problem is not None
    assert rows[FEES].target_label == "201 Legal Fees"


# -- what a chart refresh says changed ----------------------------------------------------------


def chart_with(account_id: str, **changes: object) -> Chart:
    accounts = dict(CHART.accounts)
    if changes.get("deleted"):
        del accounts[account_id]
    else:
        accounts[account_id] = replace(accounts[account_id], **changes)  # type: ignore[arg-type]
    return replace(CHART, accounts=accounts)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"status": "ARCHIVED"}, "archived (was active) since it was mapped"),
        ({"deleted": True}, "deleted from Xero since it was mapped (was 201 Legal Fees)"),
        ({"code": None}, "lost its Code (was 201) since it was mapped"),
        ({"code": "209"}, "Code 201 → 209 since it was mapped"),
        ({"type": "EXPENSE", "account_class": "EXPENSE"}, "type REVENUE → EXPENSE since"),
        ({"name": "Fee Income"}, "renamed from 'Legal Fees' since it was mapped"),
    ],
)
def test_a_refreshed_chart_flags_what_changed_since_the_row_was_mapped(
    changes: dict[str, object], said: str
) -> None:
    mapping = mapped(fees="x-fees")
    assert drift(FEES, mapping, CHART) is None
    later = chart_with("x-fees", **changes)
    assert said in (drift(FEES, mapping, later) or "")
    if not changes.get("deleted"):
        assert drift(FEES, mapping.confirmed(later), later) is None, "confirmed: not flagged"


def test_rows_mapped_before_their_account_was_pictured_are_pictured_as_they_are() -> None:
    old = Mapping(
        accounts={"1": "x-fees"}, bank_accounts={RECEIPTS: "x-bank"}, tax_codes={"10": "OUTPUT"}
    )
    assert set(old.unseen(CHART)) == {FEES, BANK_ROW}
    assert old.confirmed(CHART, old.unseen(CHART)).unseen(CHART) == []
    assert Mapping.from_json(old.to_json()) == old
    pictured = old.confirmed(CHART)
    assert Mapping.from_json(pictured.to_json()) == pictured


# -- auto-map -----------------------------------------------------------------------------------


def test_auto_map_proposes_by_exact_code_then_by_name_and_only_single_valid_matches() -> None:
    proposals = {p.subject: p for p in automap.propose(CATALOG, Mapping(), CHART)}
    assert {s: (p.new_label, p.reason) for s, p in proposals.items()} == {
        "201 Professional Fees": ("201 Legal Fees", "same Code 201"),
        "202 Disbursements Recovered": ("202 Disbursements Recovered", "same Code 202"),
        "GST GST on Income (10%)": ("OUTPUT GST on Income", "same name"),
        "FRE GST Free": ("EXEMPTOUTPUT GST Free Income", "same name"),
        "Payments received": ("090 Business Bank Account", "only office bank account"),
    }
    # Conveyancing Fees matches "Conveyancing Income" by name, but that account has no Code:
    # a proposal Xero would refuse is no proposal.
    assert "204 Conveyancing Fees" not in proposals


def test_auto_map_never_overwrites_a_row_a_person_or_a_file_set() -> None:
    by_person = mapped(fees="x-old")  # a poor choice (archived), but a person's
    imported = Mapping().with_target(DISB, "x-costs", CHART, Origin.IMPORT)
    for mapping in (by_person, imported):
        subjects = {p.subject for p in automap.propose(CATALOG, mapping, CHART)}
        assert "201 Professional Fees" not in subjects or mapping is imported
        assert "202 Disbursements Recovered" not in subjects or mapping is by_person
    # Its own earlier guess that has gone bad, auto-map may redo.
    guessed = Mapping().with_target(FEES, "x-old", CHART, Origin.AUTO)
    [redo] = [p for p in automap.propose(CATALOG, guessed, CHART) if p.key == FEES]
    assert (redo.old_label, redo.new_label) == ("205 Old Fee Income", "201 Legal Fees")
    accepted = automap.apply(guessed, [redo], CHART)
    assert accepted.target(FEES) == "x-fees" and accepted.origin(FEES) is Origin.AUTO


def test_names_compare_without_case_punctuation_rates_or_words_like_fees() -> None:
    assert automap.normalised("GST on Income (10%)") == automap.normalised("gst ON income")
    assert automap.normalised("Conveyancing Fees") == automap.normalised("Conveyancing Income")
    assert automap.normalised("Wattle & Co") == automap.normalised("wattle and co")
    assert automap.normalised("Fees") == ("fees",), "a name of generic words is kept whole"


# -- the mapping as a file ----------------------------------------------------------------------


def test_an_export_lists_every_row_in_a_stable_order_and_imports_back_unchanged() -> None:
    mapping = mapped(fees="x-fees", gst="OUTPUT", bank="x-bank")
    data = mapfile.export(CATALOG, mapping, CHART, ORG)
    assert [r["actionstep"] for r in data["accounts"]] == ["201", "202", "203", "204"]
    assert [r["actionstep"] for r in data["tax_codes"]] == ["FRE", "GST", "N-T"]
    assert data["accounts"][0] == {
        "actionstep": "201",
        "name": "Professional Fees",
        "xero_code": "201",
        "xero_name": "Legal Fees",
        "xero_account_id": "x-fees",
    }
    assert data["accounts"][1]["xero_code"] is None, "an unmapped row is a blank to fill in"
    plan = mapfile.plan_import(data, CATALOG, mapping, CHART, ORG)
    assert (plan.errors, plan.changes, plan.unchanged) == ([], [], 3)


def test_a_partial_file_changes_only_its_rows_and_never_unmaps() -> None:
    mapping = mapped(fees="x-fees", gst="OUTPUT")
    data = {
        "format": "axpush-mapping",
        "version": 1,
        "accounts": [
            {"actionstep": "202", "xero_code": "202"},
            {"actionstep": "201", "xero_code": None},
        ],
    }
    plan = mapfile.plan_import(data, CATALOG, mapping, CHART, ORG)
    assert plan.errors == []
    assert [(c.subject, c.new_label) for c in plan.changes] == [
        ("202 Disbursements Recovered", "202 Disbursements Recovered")
    ]
    after = plan.mapping(mapping, CHART)
    assert after.target(FEES) == "x-fees" and after.target(GST) == "OUTPUT"
    assert after.origin(DISB) is Origin.IMPORT


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"accounts": {"201": "201"}}, "accounts: must be a list of rows"),
        (
            {"accounts": [{"actionstep": "201", "xero_code": "201", "colour": "red"}]},
            "accounts[0]: unknown field 'colour'",
        ),
        (
            {"accounts": [{"actionstep": "201", "xero_code": 201}]},
            "accounts[0]: xero_code must be a string or null",
        ),
        (
            {"accounts": [{"actionstep": "999", "xero_code": "201"}]},
            "accounts[0]: Actionstep has no income account numbered '999'",
        ),
        (
            {"accounts": [{"actionstep": "201", "xero_code": "999"}]},
            "accounts[0]: Xero's chart has no account with Code 999",
        ),
        (
            {"accounts": [{"actionstep": "201", "xero_code": "202", "xero_account_id": "x-fees"}]},
            "accounts[0]: xero_code 202 is not the Code of that account, which is 201 Legal Fees",
        ),
        (
            {"accounts": [{"actionstep": "201", "xero_code": "205"}]},
            "accounts[0]: Xero account 205 Old Fee Income (mapped from 201 Professional Fees) is "
            "archived",
        ),
        (
            {
                "accounts": [
                    {"actionstep": "201", "xero_code": "201"},
                    {"actionstep": "201", "xero_code": "202"},
                ]
            },
            "accounts[1]: conflicts with accounts[0], which maps 201 Professional Fees elsewhere",
        ),
        (
            {"tax_codes": [{"actionstep": "GST", "xero_tax_type": "OUTPUT2"}]},
            "tax_codes[0]: Xero has no TaxType OUTPUT2",
        ),
        (
            {"tax_codes": [{"actionstep": "GST", "xero_tax_type": "INPUT"}]},
            "tax_codes[0]: TaxType INPUT (mapped from GST) cannot be used on sales",
        ),
        (
            {"payments_received": {"xero_code": "201"}},
            "payments_received: Xero account 201 Legal Fees, where payments received go, "
            "is neither",
        ),
        (
            {"organisation": {"name": "Old Firm", "id": "org-0"}},
            "the file was exported from 'Old Firm', but Xero here is 'Harbour & Finch'",
        ),
    ],
)
def test_a_bad_row_says_which_row_and_why_and_the_file_changes_nothing(
    data: dict[str, object], error: str
) -> None:
    whole: dict[str, object] = {"format": "axpush-mapping", "version": 1, **data}
    accounts = whole.setdefault("accounts", [])
    if isinstance(accounts, list):  # beside the bad row, a good one that must not be saved
        accounts.append({"actionstep": "202", "xero_code": "202"})
    mapping = mapped(fees="x-fees")
    plan = mapfile.plan_import(whole, CATALOG, mapping, CHART, ORG)
    assert any(error in e for e in plan.errors), plan.errors
    with pytest.raises(ValueError, match="changes nothing"):
        plan.mapping(mapping, CHART)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "the file must hold a JSON object"),
        ({"accounts": []}, 'not a mapping file: expected "format": "axpush-mapping"'),
        ({"format": "axpush-mapping", "version": 1, "extra": 1}, "unknown top-level field 'extra'"),
    ],
)
def test_a_file_that_is_not_a_mapping_file_is_refused(data: object, error: str) -> None:
    plan = mapfile.plan_import(data, CATALOG, Mapping(), CHART, ORG)
    assert any(error in e for e in plan.errors), plan.errors


def test_a_file_from_another_organisation_imports_by_code_on_purpose() -> None:
    data = {
        "format": "axpush-mapping",
        "version": 1,
        "organisation": {"name": "Old Firm", "id": "org-0"},
        "accounts": [
            {"actionstep": "202", "xero_code": "202", "xero_account_id": "old-org-account"}
        ],
    }
    assert mapfile.plan_import(data, CATALOG, Mapping(), CHART, ORG).errors
    plan = mapfile.plan_import(data, CATALOG, Mapping(), CHART, ORG, by_code=True)
    assert plan.errors == [] and plan.changes[0].new == "x-disb"
