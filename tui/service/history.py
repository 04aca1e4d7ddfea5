"""Every attempt recorded in a profile's history: what `axpush log` prints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tui.core.jobs import Attempt, as_read, read_stream
from tui.service.session import Session


def stream(
    session: Session, *, since: datetime | None = None, bill: str | None = None
) -> Iterator[Attempt]:
    """Attempts since `since` (all by default), of one bill (by number or id) if given, oldest
    first, as a person reads them (`as_read`). One bill's come from the files the history's
    index names; all of them are read one file at a time, so memory stays flat however long
    the history. Blocking: history is on disk."""
    profile = session.profile
    if bill:
        found: Iterator[Attempt] = iter(as_read(profile.attempts_named(bill)))
    else:
        month = since.strftime("%Y-%m") if since is not None else None
        found = read_stream(profile.history_stream(since_month=month))
    return (a for a in found if since is None or a.at >= since)


def attempts(
    session: Session, *, since: datetime | None = None, bill: str | None = None
) -> list[Attempt]:
    """`stream`, as a list."""
    return list(stream(session, since=since, bill=bill))
