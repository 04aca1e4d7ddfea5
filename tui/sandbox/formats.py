"""Wire formats the two services use: their dates, timestamps and JSON numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from tui.core.jsonio import dumps, loads

__all__ = ["actionstep_stamp", "dumps", "loads", "xero_date", "xero_date_string"]

SYDNEY = timezone(timedelta(hours=10))


def actionstep_stamp(moment: datetime) -> str:
    """Actionstep's timestamp: ISO 8601 with the firm's offset, e.g. 2026-07-01T19:00:00+10:00."""
    return moment.astimezone(SYDNEY).isoformat(timespec="seconds")


def xero_date(moment: datetime | date) -> str:
    """Xero's JSON date: /Date(milliseconds+0000)/."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def xero_date_string(day: date) -> str:
    """Xero's DateString companion: 2019-03-11T00:00:00."""
    return f"{day.isoformat()}T00:00:00"
