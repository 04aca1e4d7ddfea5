"""Xero's rate limits per tenant, on the sandbox's clock (Xero developer guide, "API rate limits").

At most 5 calls in flight, 60 a minute and 5,000 a day per tenant, and 10,000 a minute across the
app. Windows are fixed and start with the tenant's first call, so they reset at different times
for different tenants, as Xero's do. Every answer carries what is left; a refused call gets a 429
with `Retry-After` and `X-Rate-Limit-Problem`. Refused calls are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass
class Limits:
    concurrent: int = 5
    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10_000


@dataclass
class _Window:
    length: timedelta
    started: datetime | None = None
    count: int = 0

    def roll(self, now: datetime) -> None:
        if self.started is None or now - self.started >= self.length:
            self.started, self.count = now, 0

    def seconds_left(self, now: datetime) -> int:
        if self.started is None:
            return 0
        return max(1, math.ceil((self.started + self.length - now).total_seconds()))


@dataclass
class _Tenant:
    minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    day: _Window = field(default_factory=lambda: _Window(DAY))
    in_flight: int = 0


@dataclass(frozen=True)
class Refusal:
    problem: str
    """minute, day or concurrent (Xero's X-Rate-Limit-Problem)."""
    retry_after: int


class RateLimiter:
    def __init__(self, now: Callable[[], datetime], limits: Limits | None = None) -> None:
        self._now = now
        self.limits = limits or Limits()
        self._tenants: dict[str, _Tenant] = {}
        self._app = _Window(MINUTE)

    def _tenant(self, tenant_id: str) -> _Tenant:
        return self._tenants.setdefault(tenant_id, _Tenant())

    def acquire(self, tenant_id: str) -> Refusal | None:
        """Count a call that is about to be served, or say why it may not be."""
        now = self._now()
        tenant = self._tenant(tenant_id)
        tenant.minute.roll(now)
        tenant.day.roll(now)
        self._app.roll(now)
        if tenant.day.count >= self.limits.per_day:
            return Refusal("day", tenant.day.seconds_left(now))
        if tenant.minute.count >= self.limits.per_minute:
            return Refusal("minute", tenant.minute.seconds_left(now))
        if self._app.count >= self.limits.app_per_minute:
            return Refusal("appminute", self._app.seconds_left(now))
        if tenant.in_flight >= self.limits.concurrent:
            return Refusal("concurrent", 1)
        tenant.minute.count += 1
        tenant.day.count += 1
        self._app.count += 1
        tenant.in_flight += 1
        return None

    def release(self, tenant_id: str) -> None:
        tenant = self._tenant(tenant_id)
        tenant.in_flight = max(0, tenant.in_flight - 1)

    def headers(self, tenant_id: str | None) -> dict[str, str]:
        """What is left, as Xero reports it on every answer (/connections: the app's only)."""
        now = self._now()
        self._app.roll(now)
        headers = {"X-AppMinLimit-Remaining": str(self.limits.app_per_minute - self._app.count)}
        if tenant_id is not None:
            tenant = self._tenant(tenant_id)
            tenant.minute.roll(now)
            tenant.day.roll(now)
            headers["X-MinLimit-Remaining"] = str(self.limits.per_minute - tenant.minute.count)
            headers["X-DayLimit-Remaining"] = str(self.limits.per_day - tenant.day.count)
        return headers

    def exhaust(self, tenant_id: str, problem: str) -> None:
        """Use up a tenant's minute or day budget (for scripted scenarios)."""
        now = self._now()
        tenant = self._tenant(tenant_id)
        window = tenant.day if problem == "day" else tenant.minute
        window.roll(now)
        window.count = self.limits.per_day if problem == "day" else self.limits.per_minute
