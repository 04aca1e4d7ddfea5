"""The built-in demo: the sandbox served on loopback, and a throw-away profile connected to it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tui.core.mapping import Mapping
from tui.sandbox.demo_firm import DEFAULT_SEED
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.connections import connect_sandbox
from tui.store.profile import Profile

DEMO_PROFILE = "demo"


@dataclass(frozen=True, slots=True)
class Demo:
    state: SandboxState
    server: SandboxServer
    profile: Profile


def prepare_profile(profile: Profile, state: SandboxState, server: SandboxServer) -> None:
    """Connect the profile to the sandbox, through the same OAuth2 sign-in as any profile (the
    sandbox consents by itself), and give it the firm's starting mapping."""
    # Its own thread and loop: callers may be inside an event loop already (tests).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, connect_sandbox(profile, server.base_url)).result()
    profile.save_mapping(Mapping(*state.firm.demo_mapping()))


@contextlib.contextmanager
def running_demo(
    seed: int = DEFAULT_SEED, home: Path | None = None, faults: str = ""
) -> Iterator[Demo]:
    """The sandbox on loopback and a demo profile in a temporary home (removed afterwards)."""
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="axpush-demo-")))
        state = SandboxState.demo(seed, faults=faults)
        server = stack.enter_context(SandboxServer(state))
        profile = Profile.named(DEMO_PROFILE, home=home)
        stack.callback(profile.close)
        prepare_profile(profile, state, server)
        yield Demo(state, server, profile)
