"""A bill as Actionstep would send one, for tests that need a bill and nothing about it."""

from __future__ import annotations

from decimal import Decimal

from tui.core.models import Bill, BillStatus


def open_bill(bill_id: str, number: str, total: str = "110.00") -> Bill:
    """An Open AUD bill, nothing paid, no lines, client or matter."""
    amount = Decimal(total)
    zero = Decimal(0)
    return Bill(
        bill_id, number, BillStatus.OPEN, "AUD", None, None, amount, zero, amount, zero, None, None
    )
