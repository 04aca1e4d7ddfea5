"""The engine's outbox, on the profile's files, off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from tui.core.jobs import Attempt, Job
from tui.store.profile import Profile


class ProfileOutbox:
    """Implements `tui.core.ports.OutboxPort`; tells `on_change` about every job it stores."""

    def __init__(self, profile: Profile, on_change: Callable[[Sequence[Job]], None]) -> None:
        self._profile = profile
        self._on_change = on_change

    async def record_intent(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> list[Job]:
        stored = await asyncio.to_thread(self._profile.record_jobs, jobs, attempts)
        self._on_change(stored)
        return stored

    async def record_outcome(self, jobs: Sequence[Job], attempts: Sequence[Attempt]) -> None:
        stored = await asyncio.to_thread(self._profile.record_jobs, jobs, attempts)
        self._on_change(stored)
