"""The sandbox's world: one Actionstep firm and one Xero organisation, behind one lock.

The ASGI apps read and change it from the server's thread; tests and the demo read it from
theirs. Every access goes through `lock`.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.sandbox.demo_firm import DEFAULT_SEED, DemoFirm, build_demo_firm


@dataclass
class SandboxClock:
    """Real time plus an offset that tests can advance, so a simulated hour takes no time."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


@dataclass
class SandboxState:
    firm: DemoFirm
    clock: SandboxClock = field(default_factory=SandboxClock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    xero_tokens: set[str] = field(default_factory=set)
    actionstep_tokens: set[str] = field(default_factory=set)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Xero invoices by InvoiceID, in Xero's JSON shape."""

    @classmethod
    def demo(cls, seed: int = DEFAULT_SEED) -> SandboxState:
        return cls(firm=build_demo_firm(seed))

    def issue_demo_tokens(self) -> tuple[str, str]:
        """Bearer tokens for (Xero, Actionstep), good until the sandbox stops. Stand-ins for the
        OAuth2 flows, which the demo does not need."""
        xero, actionstep = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self.lock:
            self.xero_tokens.add(xero)
            self.actionstep_tokens.add(actionstep)
        return xero, actionstep

    def invoice_by_number(self, number: str) -> dict[str, Any] | None:
        with self.lock:
            return next((inv for inv in self.invoices.values()
                         if inv.get("InvoiceNumber") == number), None)
