"""What Xero last said is left of an organisation's call budgets: the rate gate keeps it, the
Push log and `axpush status` show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Budget:
    minute_left: int | None = None
    day_left: int | None = None
    paused_until: datetime | None = None
    """Set when Xero said the day's limit is reached: no call goes out before then."""
