"""JSON in and out with amounts as `Decimal`, never float, on every wire this project speaks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tui.core.money import to_json_number


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return to_json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    """UTF-8 JSON; Decimals become numbers with exactly their digits."""
    return json.dumps(data, default=_default, ensure_ascii=False).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    """Parse JSON, reading every non-integer number as a Decimal."""
    return json.loads(raw, parse_float=Decimal)


READ_ERRORS = (ValueError, TypeError, AttributeError, KeyError, ArithmeticError)
"""What reading data of an unexpected shape (someone else's JSON, a damaged file) can raise:
caught where a record or a file is read, so it is named and set aside, never a traceback."""
