"""Shared fixtures: an isolated AXPUSH_HOME for every test, and the sandbox on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.demo import Demo, running_demo
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.store.profile import HOME_ENV, Profile


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever reads or writes the developer's real profiles."""
    home = tmp_path / "axpush-home"
    monkeypatch.setenv(HOME_ENV, str(home))
    return home


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """The demo firm's sandbox, served over real HTTP on 127.0.0.1, without the demo's triage
    tour (a clean slate to test the services' own rules)."""
    with SandboxServer(SandboxState.demo(tour=False)) as server:
        yield server


@pytest.fixture
def demo(isolated_home: Path) -> Iterator[Demo]:
    """The sandbox plus a demo profile connected to it, as `axpush demo` sets them up (triage
    tour included), without the demo's injected 503."""
    with running_demo(home=isolated_home) as running:
        yield running


@pytest.fixture
def profile(isolated_home: Path) -> Iterator[Profile]:
    opened = Profile.named("test", home=isolated_home)
    yield opened
    opened.close()
