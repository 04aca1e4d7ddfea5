"""The sandbox's world: one Actionstep firm, its Xero organisation (and any others added), who is
signed in, the rate limits, the idempotency keys and the faults, behind one lock.

The ASGI apps read and change it from the server's thread; tests and the demo read it from
theirs. Every access goes through `lock`.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.clock import REAL_CLOCK
from tui.sandbox.demo_firm import DEFAULT_SEED, DemoFirm, build_demo_firm
from tui.sandbox.faults import FaultPlan
from tui.sandbox.holds import Holds
from tui.sandbox.idempotency import IdempotencyStore
from tui.sandbox.identity import ACTIONSTEP, XERO, Identity
from tui.sandbox.limits import Limits, RateLimiter
from tui.sandbox.xero_books import XeroOrg

RECEIVED_KEPT = 20_000


@dataclass(frozen=True)
class Received:
    """An Accounting API request as it arrived (kept for contract checks of the clients)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SandboxClock:
    """Real time plus an offset that tests can advance, so a simulated hour takes no time."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return REAL_CLOCK.now() + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


class SandboxState:
    def __init__(self, firm: DemoFirm, *, faults: str = "", limits: Limits | None = None) -> None:
        self.firm = firm
        self.clock = SandboxClock()
        self.lock = threading.RLock()
        firm.xero.now = self.clock.now
        self.orgs: dict[str, XeroOrg] = {firm.xero.tenant_id: firm.xero}
        self.consented: list[str] = [firm.xero.tenant_id]
        """The organisations the sandbox user connects when an app asks for consent."""
        self.identity = Identity(
            self.clock.now, lambda: list(self.consented), lambda: firm.xero.tenant_id
        )
        self.limits = RateLimiter(self.clock.now, limits)
        self.idempotency = IdempotencyStore(self.clock.now)
        self.faults = FaultPlan(faults, seed=firm.seed)
        self.holds = Holds()
        """Calls a test holds open at a point it chooses (see `holds`)."""
        self.actionstep_in_flight = 0
        self.actionstep_peak = 0
        """Actionstep reads being served at once, now and at most so far."""
        self.received: deque[Received] = deque(maxlen=RECEIVED_KEPT)
        """The latest Accounting API requests, newest last."""

    @classmethod
    def demo(
        cls,
        seed: int = DEFAULT_SEED,
        *,
        faults: str = "",
        limits: Limits | None = None,
        tour: bool = True,
        bills: int = 220,
    ) -> SandboxState:
        scale = max(1.0, bills / 220)  # a bigger firm has more clients and matters
        clients, matters = round(46 * scale), round(72 * scale)
        firm = build_demo_firm(seed, tour=tour, bills=bills, clients=clients, matters=matters)
        return cls(firm, faults=faults, limits=limits)

    @property
    def xero(self) -> XeroOrg:
        """The demo firm's own organisation."""
        return self.firm.xero

    def add_organisation(self, org: XeroOrg, *, consent: bool = True) -> None:
        """Another organisation the sandbox user can connect (a trial, or a replacement)."""
        with self.lock:
            org.now = self.clock.now
            self.orgs[org.tenant_id] = org
            if consent:
                self.consented.append(org.tenant_id)

    def issue_demo_tokens(self) -> tuple[str, str]:
        """Bearer tokens for (Xero, Actionstep) that last a year: what the demo uses in place of
        the OAuth2 flows."""
        with self.lock:
            return self.identity.demo_token(XERO), self.identity.demo_token(ACTIONSTEP)
