"""Sandboxes with their own settings, for the tests that need faults or tighter limits."""

from __future__ import annotations

from typing import Any

from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState


def clean_sandbox(**settings: Any) -> SandboxServer:
    """The demo firm without its triage tour, with these faults or limits; use with `with`."""
    return SandboxServer(SandboxState.demo(tour=False, **settings))
