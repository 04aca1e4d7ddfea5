"""Time that follows the sandbox's clock: the clients' waits (Retry-After, backoff) advance it
instead of sleeping, so an hour of simulated time costs nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tui.sandbox.state import SandboxState


class SandboxTime:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.state.clock.now()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        with self.state.lock:
            self.state.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


class FrozenTime:
    """A clock that stands still but for the waits it is asked for: what screens show is the
    same on every run (snapshots, screenshots)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        await asyncio.sleep(0)
