"""The built-in demo: the sandbox served on loopback, and a throw-away profile connected to it;
and `axpush sandbox serve`, the sandbox on its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.errors import UsageError
from tui.core.mapping import Mapping
from tui.core.words import count
from tui.sandbox.demo_firm import DEFAULT_SEED, DEMO_FAULTS
from tui.service.connections import connect_sandbox
from tui.service.done import Done, LogLine
from tui.service.session import Session
from tui.store.profile import Profile, axpush_home

if TYPE_CHECKING:  # the server pulls in uvicorn and Starlette: loaded only when serving
    from tui.sandbox.server import SandboxServer
    from tui.sandbox.state import SandboxState

DEMO_BILLS = 220
MAX_BILLS = 100_000
"""The sandbox builds a firm of up to this many bills (a ten-year firm), in seconds."""

__all__ = [
    "DEFAULT_SEED",
    "DEMO_BILLS",
    "DEMO_FAULTS",
    "MAX_BILLS",
    "Demo",
    "SimulatedXero",
    "running_demo",
    "serving",
]

DEMO_PROFILE = "demo"


@dataclass(frozen=True, slots=True)
class SimulatedXero:
    """The demo only: what a person would do in Xero's web app to fix a failure, so that every
    step of the demo's tour can be done from the console. Everything it reports says it was
    the simulated Xero; connected to a real organisation, the console offers none of it."""

    state: SandboxState

    def give_code(self, account_id: str, wanted: str) -> Done:
        """Give a Xero account without Code one: `wanted` (the Actionstep account number) if no
        other account has it, else the next free number after it."""
        with self.state.lock:
            org = self.state.xero
            code = wanted
            while org.account_by_code(code) is not None:
                code = str(int(code) + 1) if code.isdigit() else code + "1"
            account = org.give_code(account_id, code)
        said = f"simulated Xero: account {account['Name']} now has Code {code}"
        return Done(
            "Simulated Xero",
            f"In the simulated Xero, {account['Name']} now has Code {code}. Refresh the chart "
            "(r in the Mapping view) and its bills turn ready.",
            (LogLine(said),),
        )

    def remove_payments(self, invoice_number: str) -> Done:
        """Delete the payments Xero shows on an invoice (a bank-feed match undone)."""
        with self.state.lock:
            org = self.state.xero
            invoice = org.invoice(invoice_number)
            if invoice is None:
                raise UsageError(f"the simulated Xero has no invoice {invoice_number}")
            removed = org.remove_payments(invoice)
        said = f"simulated Xero: {count(removed, 'payment')} removed from invoice {invoice_number}"
        return Done(
            "Simulated Xero",
            f"In the simulated Xero, {count(removed, 'payment')} removed from invoice "
            f"{invoice_number}. Push it again (p): Xero now takes the update.",
            (LogLine(said),),
        )


@dataclass(frozen=True, slots=True)
class Demo:
    state: SandboxState
    server: SandboxServer
    session: Session

    @property
    def profile(self) -> Profile:
        return self.session.profile

    @property
    def simulated_xero(self) -> SimulatedXero:
        return SimulatedXero(self.state)


def prepare_profile(session: Session, state: SandboxState, server: SandboxServer) -> None:
    """Connect the profile to the sandbox, through the same OAuth2 sign-in as any profile (the
    sandbox consents by itself), and give it the firm's starting mapping."""
    # Its own thread and loop: callers may be inside an event loop already (tests).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, connect_sandbox(session, server.base_url)).result()
    session.profile.save_mapping(Mapping(*state.firm.demo_mapping()))


@contextlib.contextmanager
def running_demo(
    seed: int = DEFAULT_SEED, home: Path | None = None, faults: str = ""
) -> Iterator[Demo]:
    """The sandbox on loopback and a demo profile in a temporary home (removed afterwards).
    A fault spec that cannot be read raises a UsageError saying where."""
    from tui.sandbox.server import SandboxServer
    from tui.sandbox.state import SandboxState

    with contextlib.ExitStack() as stack:
        state = SandboxState.demo(seed, faults=faults)
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="axpush-demo-")))
        server = stack.enter_context(SandboxServer(state))
        session = Session.open(DEMO_PROFILE, home=home)
        session.exports = axpush_home() / "demo-exports"  # the profile goes when the demo ends
        stack.callback(session.close)
        prepare_profile(session, state, server)
        yield Demo(state, server, session)


@contextlib.contextmanager
def serving(port: int, seed: int, faults: str, bills: int = 220) -> Iterator[str]:
    """The sandbox served on 127.0.0.1 (logging as it goes) until the block ends; yields its
    base URL."""
    from tui.sandbox.server import SandboxServer
    from tui.sandbox.state import SandboxState

    state = SandboxState.demo(seed, faults=faults, bills=bills)
    try:
        server = SandboxServer(state, port, quiet=False)
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    with server:
        yield server.base_url
