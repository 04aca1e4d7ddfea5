"""Driving the console as an admin would, with Textual's Pilot, against the demo over loopback."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static

from support.faults import FaultyTransport
from support.sandbox_time import SandboxTime
from tui.console.app import AxpushApp
from tui.console.dialogs.confirm import ConfirmDialog
from tui.core.clock import Clock
from tui.service.demo import Demo
from tui.service.session import Session


def demo_app(
    demo: Demo, transport: FaultyTransport | None = None, clock: Clock | None = None
) -> AxpushApp:
    """The console as `axpush demo` opens it (simulated Xero included), on the sandbox's clock
    (so retries and waits cost no time) unless given another, optionally through a faulty
    transport."""
    session = Session(
        demo.profile, clock or SandboxTime(demo.state), transport, exports=demo.session.exports
    )
    return AxpushApp(
        session,
        context="demo",
        simulated_xero=demo.simulated_xero,
    )


async def until(pilot: Pilot[None], condition: Callable[[], bool], limit: float = 20) -> None:
    """Let the app run until `condition` holds (no fixed sleeps)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


def loaded(app: AxpushApp) -> Callable[[], bool]:
    return lambda: (
        app.workspace is not None and bool(app.workspace.rows) and app.workspace.loading is None
    )


def confirming(app: AxpushApp) -> Callable[[], bool]:
    """A confirmation is in front with its message mounted: a dialog pushed is not yet
    composed, and reading it then races its compose."""
    return lambda: (
        isinstance(app.screen, ConfirmDialog) and bool(app.screen.query(".dialog-message"))
    )


async def push_all_ready(pilot: Pilot[None], app: AxpushApp) -> None:
    """P, confirm, and wait for the push to end."""
    await pilot.press("P")
    await until(pilot, confirming(app))
    await pilot.press("y")
    await until(pilot, lambda: not app.pushing)


def screen_text(app: AxpushApp) -> str:
    """What the terminal shows, as plain text (from Textual's own screenshot)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def dialog_message(app: AxpushApp) -> str:
    """What the confirmation in front says, unwrapped."""
    return str(app.screen.query_one(".dialog-message", Static).render())
