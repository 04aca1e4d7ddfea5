"""A credit note is coded like the invoice it credits, in proportion, and adds up to the
credit to the cent whatever the split."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tui.core.credit import build_credit, shares
from tui.core.invoice import InvoiceDraft, InvoiceLine

money = st.decimals(min_value="0.01", max_value="99999.99", places=2)


def invoice(*lines: tuple[str, str, str, str]) -> InvoiceDraft:
    return InvoiceDraft(
        "801",
        "10001",
        "1201",
        date(2026, 7, 1),
        None,
        "AUD",
        "",
        tuple(
            InvoiceLine(f"line {i}", c, t, Decimal(a), Decimal(x))
            for i, (c, t, a, x) in enumerate(lines)
        ),
    )


@given(st.lists(money, min_size=1, max_size=8), money)
def test_shares_add_up_to_the_amount_and_never_stray_a_cent_from_the_proportion(
    weights: list[Decimal], amount: Decimal
) -> None:
    parts = shares(amount, weights)
    assert sum(parts) == amount
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - amount * weight / whole) < Decimal("0.01")


def test_a_credit_splits_fees_and_a_tax_free_disbursement_by_their_share() -> None:
    draft = invoice(("200", "OUTPUT", "200.00", "20.00"), ("210", "EXEMPTOUTPUT", "110.00", "0.00"))

    note = build_credit(draft, Decimal("100.00"), "10001-CR1", date(2026, 8, 1))

    assert note.total == Decimal("100.00") and note.number == "10001-CR1"
    assert [(n.account_code, n.tax_type, n.amount, n.tax) for n in note.lines] == [
        ("200", "OUTPUT", Decimal("60.61"), Decimal("6.06")),  # 66.67: 220 of 330
        ("210", "EXEMPTOUTPUT", Decimal("33.33"), Decimal("0.00")),  # 33.33: 110 of 330
    ]


@given(money)
def test_any_credit_up_to_the_invoice_total_adds_up_exactly(amount: Decimal) -> None:
    draft = invoice(
        ("200", "OUTPUT", "33333.33", "3333.33"),
        ("200", "EXEMPTOUTPUT", "66666.66", "0.00"),
        ("201", "OUTPUT", "0.01", "0.00"),
    )
    note = build_credit(draft, amount, "10001-CR1", date(2026, 8, 1))
    assert note.total == amount
    assert all(line.amount >= 0 and line.tax >= 0 for line in note.lines)


def test_a_rounding_line_below_zero_takes_no_share() -> None:
    draft = invoice(("200", "OUTPUT", "100.00", "10.00"), ("200", "NONE", "-0.01", "0.00"))
    note = build_credit(draft, Decimal("55.00"), "10001-CR1", date(2026, 8, 1))
    assert [(n.amount, n.tax) for n in note.lines] == [(Decimal("50.00"), Decimal("5.00"))]
