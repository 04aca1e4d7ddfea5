"""Xero's rate limits, respected from our side: at most 5 calls in flight per tenant, the
budgets Xero reports on every answer, and a pause (not a retry loop) once the day is used up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx

from tui.core.budget import Budget
from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import RemoteRateLimited

CONCURRENT = 5


class RateGate:
    def __init__(self, clock: Clock = REAL_CLOCK, concurrent: int = CONCURRENT) -> None:
        self._clock = clock
        self._concurrent = concurrent
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.budgets: dict[str, Budget] = {}

    def budget(self, tenant_id: str) -> Budget:
        return self.budgets.setdefault(tenant_id, Budget())

    @contextlib.asynccontextmanager
    async def slot(self, tenant_id: str) -> AsyncIterator[None]:
        """One of the tenant's call slots, after checking the day has not been used up."""
        budget = self.budget(tenant_id)
        now = self._clock.now()
        if budget.paused_until is not None:
            if now < budget.paused_until:
                raise day_limit(budget.paused_until, now)
            budget.paused_until = None
        semaphore = self._slots.setdefault(tenant_id, asyncio.Semaphore(self._concurrent))
        async with semaphore:
            yield

    def observe(self, tenant_id: str, response: httpx.Response) -> None:
        budget = self.budget(tenant_id)
        for header, attribute in (
            ("X-MinLimit-Remaining", "minute_left"),
            ("X-DayLimit-Remaining", "day_left"),
        ):
            value = response.headers.get(header, "")
            if value.isdigit():
                setattr(budget, attribute, int(value))

    def pause_for_the_day(self, tenant_id: str, retry_after: float) -> RemoteRateLimited:
        now = self._clock.now()
        until = now + timedelta(seconds=retry_after)
        self.budget(tenant_id).paused_until = until
        return day_limit(until, now)


def day_limit(until: datetime, now: datetime) -> RemoteRateLimited:
    local = until.astimezone().strftime("%a %H:%M")
    return RemoteRateLimited(
        f"Xero's daily call limit for this organisation is used up; pushing resumes after {local}",
        retry_after=(until - now).total_seconds(),
        problem="day",
    )
