"""Money as `Decimal`, with the rounding rules stated once.

Rules:
- Amounts are never floats. JSON numbers are parsed straight into `Decimal` and written back from
  `Decimal` (see `to_json_number`).
- A line's amount and its tax are each rounded half-up (away from zero) to the cent, as Actionstep
  does per line, before lines are collapsed per Xero account and TaxType. The sums of rounded lines
  are exact. Where they miss the bill's `totalInclusive` by no more than a cent per line
  (Actionstep keeps six decimals), a tax-free "Rounding" line closes the gap (see
  `invoice.with_rounding`); a bigger gap blocks the bill.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


LARGEST = Decimal(10) ** 12
"""No bill line or total reaches a trillion: anything larger is damaged data, refused before it
can overflow the cent arithmetic."""


def parse_amount(value: object) -> Decimal:
    """Read an amount from a JSON value (number already parsed as Decimal, int or numeric text)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as error:
            raise ValueError(f"not an amount: {value!r}") from error
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    if abs(result) >= LARGEST:
        raise ValueError(f"not a plausible amount: {str(value)[:40]!r}")
    return result


def to_json_number(amount: Decimal) -> float | int:
    """A Decimal as a JSON number that prints back to exactly the same digits.

    JSON has no decimal type, and the stdlib encoder cannot emit one, so amounts travel as floats
    whose shortest repr equals the Decimal (true for up to 15 significant digits). Anything that
    would not survive the trip raises instead of silently changing money.
    """
    if amount % 1 == 0:
        return int(amount)
    as_float = float(amount)
    if Decimal(repr(as_float)) != amount:
        raise ValueError(f"amount {amount} cannot be written as an exact JSON number")
    return as_float


def format_money(amount: Decimal, currency: str = "") -> str:
    """Thousands separators and two decimals, for screens: 12,345.60."""
    text = f"{cents(amount):,.2f}"
    return f"{currency} {text}".strip()


def plain_money(amount: Decimal) -> str:
    """For JSON and CSV: a plain decimal string to the cent, no separators: 12345.60."""
    return f"{cents(amount):.2f}"


def format_rate(percent: Decimal) -> str:
    """A tax rate as people write it: 10%, 12.5%, 0% (never 1E+1%)."""
    return f"{percent.normalize():f}%"
