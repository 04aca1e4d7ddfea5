"""Bills from Actionstep into the profile's cache: what `axpush sync` does, and what a push or
the console does before it evaluates.

A sync reads the bills changed since the last one and writes the cache files they fall in; the
rest of the cache is not read, so a sync that finds nothing new costs the same at 100,000 bills
as at 1,000.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tui.core.errors import NotConnected
from tui.core.models import Bill, Catalog
from tui.remote.actionstep.client import EVERY_STATUS, ActionstepClient
from tui.service.connections import open_links
from tui.service.session import Session
from tui.store.profile import Profile

Progress = Callable[[str], None]

SYNC_OVERLAP = timedelta(minutes=10)
"""How far before the last sync's newest change the next one starts reading: a bill saved
while the last sync ran is not missed."""


@dataclass(frozen=True)
class SyncSummary:
    fetched: int
    changed: int
    full: bool
    bills: tuple[Bill, ...] = ()
    """The bills read (what the cache now holds for them)."""


async def sync(
    session: Session, *, full: bool = False, progress: Progress = lambda _message: None
) -> SyncSummary:
    """Sync the profile's bills from Actionstep, needing nothing from Xero."""
    links = await open_links(session)
    try:
        if not links.state.actionstep.rest_url:
            raise NotConnected(
                f"profile {session.name!r} is not connected to Actionstep yet: run "
                "`axpush connect actionstep`"
            )
        actionstep = links.actionstep_client()
        try:
            catalog = await actionstep.catalog()
            return await sync_bills(
                session.profile, actionstep, catalog, full=full, progress=progress
            )
        finally:
            await actionstep.aclose()
    finally:
        await links.aclose()


async def sync_bills(
    profile: Profile,
    actionstep: ActionstepClient,
    catalog: Catalog,
    *,
    full: bool = False,
    progress: Progress = lambda _message: None,
) -> SyncSummary:
    """Bills changed since the last sync (less SYNC_OVERLAP), or all of them with `full`, into
    the cache; a bill read again unchanged costs a comparison, not a write."""
    cursor = None if full else await asyncio.to_thread(profile.sync_cursor)
    since = cursor - SYNC_OVERLAP if cursor else None
    progress(
        "Reading every bill from Actionstep…"
        if since is None
        else f"Reading the bills changed in Actionstep since {since:%Y-%m-%d %H:%M}…"
    )
    fetched = await actionstep.bills(catalog, EVERY_STATUS, modified_since=since, progress=progress)
    stamps = [b.modified for b in fetched if b.modified is not None]
    latest = max([*stamps, *([cursor] if cursor else [])], default=None)
    server_now = actionstep.server_time
    if latest is not None and server_now is not None and latest > server_now:
        latest = server_now  # a record stamped in the future must not hide later edits
    changed = await asyncio.to_thread(
        profile.save_bills, fetched, latest, replace_all=since is None
    )
    return SyncSummary(len(fetched), changed, full=since is None, bills=tuple(fetched))
