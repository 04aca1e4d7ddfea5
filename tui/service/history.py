"""Every attempt recorded in a profile's history: what `axpush log` prints."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tui.core.jobs import Attempt, as_read
from tui.service.session import Session


def attempts(
    session: Session, *, since: datetime | None = None, bill: str | None = None
) -> list[Attempt]:
    """Attempts since `since` (all by default), of one bill (by number or id) if given, oldest
    first, as a person reads them (`as_read`). Blocking: history is on disk."""
    profile = session.profile
    months = profile.history_months()
    if since is not None:
        months = [m for m in months if m >= since.strftime("%Y-%m")]
    found: list[Attempt] = []
    for month in months:
        found += profile.history(month)
    return as_read(
        [
            a
            for a in found
            if (since is None or a.at >= since) and (not bill or bill in (a.number, a.bill_id))
        ]
    )


async def attempts_async(
    session: Session, *, since: datetime | None = None, bill: str | None = None
) -> list[Attempt]:
    return await asyncio.to_thread(attempts, session, since=since, bill=bill)
