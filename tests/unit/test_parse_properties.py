"""Whatever Actionstep sends in whatever field, reading it yields a model or a named rejection:
never an exception, never a control character in a model's text.

Bounded in the default suite; `HYPOTHESIS_PROFILE=thorough python -m pytest -m unit` runs many
more examples."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tui.core.models import Bill, Catalog, Contact, Line, Matter, TaxCode
from tui.core.text import unsafe
from tui.remote.actionstep.parse import (
    parse_catalog,
    parse_contact,
    parse_matter,
    read_bill,
    read_line,
)

HOSTILE_TEXT = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "Evil \x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b]0;pwned\x07 Pty",
            "\u202eKCOTS\u202c 10001",
            '=HYPERLINK("http://x")',
            "1e30",
            "-1e400",
            "NaN",
            "2026-07-01T09:00:00",
            "",
        ]
    ),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | HOSTILE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
BILL_FIELDS = [
    "id",
    "ourReference",
    "status",
    "currency",
    "invoiceDate",
    "dueDate",
    "totalExclusive",
    "totalSalesTax",
    "totalInclusive",
    "totalPaid",
    "modifiedTimestamp",
    "links",
]
LINE_FIELDS = [
    "id",
    "description",
    "billableAmount",
    "quantity",
    "unitPrice",
    "unitPriceIncludesTax",
    "links",
]
CATALOG = Catalog({}, {"1": TaxCode("1", "GST", "GST on Income", Decimal(10))})


def records(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={name: JSON for name in fields}) | st.dictionaries(
        st.text(max_size=8), JSON, max_size=4
    )


def texts_of(model: object) -> list[str]:
    """Every text a model holds, however deep."""
    if isinstance(model, str):
        return [model]
    if isinstance(model, tuple):
        return [text for item in model for text in texts_of(item)]
    if isinstance(model, (Bill, Contact, Matter, Line)):
        return [text for f in fields(model) for text in texts_of(getattr(model, f.name))]
    return []


@given(records(BILL_FIELDS), st.lists(records(LINE_FIELDS), max_size=3))
def test_any_bill_record_is_a_bill_or_a_named_rejection(
    record: dict[str, Any], raw_lines: list[dict[str, Any]]
) -> None:
    lines: list[Line] = []
    problems: list[str] = []
    for raw in raw_lines:
        for kind in ("timeentries", "disbursements"):
            line, problem = read_line(kind, raw, CATALOG)
            assert line is not None or problem, "a line that cannot be read says why"
            if line is not None:
                lines.append(line)
            if problem:
                problems.append(problem)
    bill = read_bill(record, contacts={}, matters={}, lines=lines, line_problems=problems)
    if bill is None:
        return  # no id: nothing to name, nothing to push
    assert not any(unsafe(t) for t in texts_of(bill)), texts_of(bill)
    assert bill.modified is None or bill.modified.tzinfo is not None
    if problems:
        assert bill.data_problems, "a bad line blocks its bill"


@given(records(["id", "displayName", "companyName", "firstName", "lastName", "email"]))
def test_any_participant_is_a_contact_or_nothing_and_its_text_is_clean(
    record: dict[str, Any],
) -> None:
    contact = parse_contact(record)
    assert contact is None or not any(unsafe(t) for t in texts_of(contact))
    matter = parse_matter(record)
    assert matter is None or not any(unsafe(t) for t in texts_of(matter))


@given(
    st.lists(records(["id", "accountNumber", "name"]), max_size=4),
    st.lists(records(["id", "code", "description", "percentage"]), max_size=4),
)
def test_any_catalog_reads_and_keeps_only_plausible_tax_rates(
    accounts: list[dict[str, Any]], codes: list[dict[str, Any]]
) -> None:
    catalog = parse_catalog(accounts, codes)
    assert all(Decimal(0) <= code.rate <= 100 for code in catalog.tax_codes.values())
    for account in catalog.accounts.values():
        assert not unsafe(account.name) and not unsafe(account.number)


def test_the_escape_sequences_of_a_hostile_name_do_not_survive() -> None:
    record = {"id": 7, "displayName": "Evil \x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b]0;pwned\x07 Pty"}
    contact = parse_contact(record)
    assert contact is not None and contact.name == "Evil ]52;c;SGVsbG8=[2J]0;pwned Pty"
