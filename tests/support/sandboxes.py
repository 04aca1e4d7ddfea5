"""Sandboxes with their own settings, for the tests that need faults or tighter limits."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from support.processes import axpush_pasting
from tui.core.settings import sandbox_settings
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.demo import Demo


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


async def demo_admin(demo: Demo, path: str, body: dict[str, object]) -> dict[str, Any]:
    """`admin`, on the demo's own sandbox."""
    return await admin(demo.server.base_url, path, body)


def settings_env(base_url: str) -> dict[str, str]:
    """`AXPUSH_XERO_*` variables that point a command's Xero sign-in at the sandbox."""
    xero = sandbox_settings(base_url).xero
    names = ("authorize_url", "token_url", "connections_url", "api_url", "client_id")
    return {"AXPUSH_XERO_" + name.upper(): str(getattr(xero, name)) for name in names}


def connect_another_organisation(
    sandbox: SandboxServer, home: Path, name: str, *flags: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """A second organisation appears in Xero and the admin connects the profile to it, over
    SSH with paste-back; returns the command's result and the environment it ran with."""
    added = httpx.post(
        f"{sandbox.base_url}/_sandbox/xero/organisations", json={"name": name, "class": "STANDARD"}
    )
    assert added.status_code == 200
    env = settings_env(sandbox.base_url)
    return axpush_pasting(
        "connect", "xero", "--tenant", name, "--paste", *flags, home=home, env=env
    ), env
