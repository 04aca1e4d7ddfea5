"""Shared fixtures: an isolated AXPUSH_HOME for every test, and the sandbox on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.demo import Demo, running_demo
from tui.store.profile import HOME_ENV, Profile

settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

KINDS = ("unit", "contract", "integration", "console", "reliability", "bench")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its kind, the folder it lives in: `-m console` runs those."""
    for item in items:
        kind = item.path.parent.name
        if kind in KINDS:
            item.add_marker(getattr(pytest.mark, kind))


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


# -- every request the Xero client sends, validated against Xero's OpenAPI file ----------------

_validated: dict[str, int] = {}


@pytest.fixture(autouse=True)
def xero_requests_follow_the_spec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each sandbox made during a test keeps what it received; afterwards every request our
    Xero client sent (User-Agent axpush/...) is validated against xero_accounting.yaml."""
    states: list[SandboxState] = []
    original = SandboxState.__init__

    def tracked(self: SandboxState, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        states.append(self)

    monkeypatch.setattr(SandboxState, "__init__", tracked)
    yield
    from support.contracts import check_client_request

    for state in states:
        for received in list(state.received):
            if received.headers.get("user-agent", "").startswith("axpush/"):
                operation = check_client_request(received)
                _validated[operation] = _validated.get(operation, 0) + 1


_figures: list[str] = []


@pytest.fixture
def figures() -> list[str]:
    """Where a benchmark or a soak puts what it measured; printed at the end of the run."""
    return _figures


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _figures:
        terminalreporter.section("measured")
        for line in _figures:
            terminalreporter.write_line(line)
    if _validated:
        total = sum(_validated.values())
        terminalreporter.write_line(
            f"Xero client requests validated against xero_accounting.yaml: {total} requests, "
            f"{len(_validated)} operations ({', '.join(sorted(_validated))})"
        )
