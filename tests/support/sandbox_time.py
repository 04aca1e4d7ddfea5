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
