"""Money is Decimal end to end, rounded half-up to the cent, and written to JSON exactly."""

from decimal import Decimal

import pytest

from tui.core.jsonio import dumps, loads
from tui.core.money import cents, format_money, format_rate, parse_amount, to_json_number


def test_half_cents_round_away_from_zero() -> None:
    assert cents(Decimal("0.005")) == Decimal("0.01")
    assert cents(Decimal("2.345")) == Decimal("2.35")
    assert cents(Decimal("-2.345")) == Decimal("-2.35")
    assert cents(Decimal("2.344999")) == Decimal("2.34")


def test_amounts_are_read_from_json_as_decimals_not_floats() -> None:
    data = loads(b'{"total": 1234.56, "count": 3, "tiny": 0.1}')
    assert data["total"] == Decimal("1234.56") and isinstance(data["total"], Decimal)
    assert data["tiny"] == Decimal("0.1")
    assert parse_amount("  12.30 ") == Decimal("12.30")


@pytest.mark.parametrize("bad", [None, True, "twelve", "NaN", "Infinity", [], {}])
def test_what_is_not_an_amount_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_amount(bad)


def test_amounts_written_to_json_keep_exactly_their_digits() -> None:
    for text in ["0.10", "1234567.89", "99999999999.99", "0.01", "40"]:
        amount = Decimal(text)
        assert loads(dumps({"a": amount}))["a"] == amount
    assert to_json_number(Decimal("40.00")) == 40.0


def test_an_amount_json_cannot_carry_exactly_is_refused() -> None:
    with pytest.raises(ValueError):
        to_json_number(Decimal("0.12345678901234567890"))


def test_screens_show_thousands_and_two_decimals() -> None:
    assert format_money(Decimal("1234567.5"), "AUD") == "AUD 1,234,567.50"
    assert format_money(Decimal("0")) == "0.00"


def test_tax_rates_read_as_people_write_them() -> None:
    assert [format_rate(Decimal(v)) for v in ("10", "10.0000", "12.5", "0", "0.00")] == [
        "10%",
        "10%",
        "12.5%",
        "0%",
        "0%",
    ]
