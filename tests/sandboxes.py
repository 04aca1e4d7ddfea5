"""Sandboxes with their own settings, for the tests that need faults or tighter limits."""

from __future__ import annotations

from typing import Any

import httpx

from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState


def clean_sandbox(**settings: Any) -> SandboxServer:
    """The demo firm without its triage tour, with these faults or limits; use with `with`."""
    return SandboxServer(SandboxState.demo(tour=False, **settings))


async def admin(base_url: str, path: str, body: dict[str, object]) -> dict[str, Any]:
    """A change made by hand in Actionstep or in Xero, through the sandbox's admin API."""
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base_url}/_sandbox/{path}", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
