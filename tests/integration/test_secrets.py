"""No secret ever leaves tokens.json: not into another file of the profile, the history, a log
line, the push log, or what a command prints."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from support.sandbox_time import SandboxTime

from tui.core.mapping import Mapping
from tui.core.status import BillState
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service import pushing
from tui.service.session import Session
from tui.service.workspace import Workspace
from tui.store.profile import Profile


def run(*args: str, home: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env={**os.environ, "AXPUSH_HOME": str(home)},
    )
    return result.stdout + result.stderr


async def test_a_full_connect_and_push_leaves_no_secret_anywhere_else(
    isolated_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    faults = "PUT */Invoices=seq:ok,503,ok,lost; GET */Contacts=seq:500"
    with SandboxServer(SandboxState.demo(faults=faults)) as server:
        state = server.state
        printed = [run("connect", "--sandbox", server.base_url, home=isolated_home)]
        profile = Profile.named("default", home=isolated_home)
        profile.save_mapping(Mapping(*state.firm.demo_mapping()))
        time = SandboxTime(state)
        state.clock.advance(timedelta(minutes=45))  # both access tokens expire: refreshes
        workspace = await Workspace.connect(Session(profile, time))
        events: list[str] = []
        try:
            await workspace.load(events.append)
            ready = [b for b, r in workspace.rows.items() if r.state is BillState.READY]
            await pushing.push(workspace, ready, lambda event: events.append(event.line()))
            await pushing.push(workspace, ready, lambda event: events.append(event.line()))
        finally:
            await workspace.aclose()
        for command in (["status", "--json"], ["status"], ["doctor"], ["disconnect", "actionstep"]):
            printed.append(run(*command, home=isolated_home))
        profile.close()
        issued = set(state.identity.access_tokens) | set(state.identity.refresh_tokens)
    secrets = issued | {"sandbox-actionstep-secret"}
    assert len(issued) >= 6, "the sign-ins and refreshes issued these tokens"
    assert any(" retried " in line for line in events)
    assert any("failed" in line for line in events)
    places = {
        "the printed output": "\n".join(printed),
        "the push log": "\n".join(events),
        "the Python log": "\n".join(r.getMessage() for r in caplog.records),
    }
    for path in (isolated_home / "profiles" / "default").rglob("*"):
        if path.is_file() and path.name != "tokens.json":
            places[str(path.relative_to(isolated_home))] = path.read_text(errors="replace")
    assert any("history" in place for place in places)
    for place, text in places.items():
        leaked = [secret[:6] + "…" for secret in secrets if secret in text]
        assert not leaked, f"secrets in {place}: {leaked}"
    tokens = json.loads((isolated_home / "profiles" / "default" / "tokens.json").read_text())
    assert "sandbox-actionstep-secret" not in json.dumps(tokens), "disconnect forgot it too"
