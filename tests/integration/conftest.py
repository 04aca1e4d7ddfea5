"""What the integration tests share: the demo's firm opened as the console and `push` open it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tui.remote.transport import RetryPolicy
from tui.service.demo import Demo
from tui.service.session import Session
from tui.service.workspace import Workspace

NO_WAIT = RetryPolicy(attempts=2, base=0.0)
"""A failed call is tried once more at once: the tests choose every fault themselves."""


@pytest.fixture
async def workspace(demo: Demo) -> AsyncIterator[Workspace]:
    """The demo's profile, synced and evaluated."""
    opened = await Workspace.connect(Session(demo.profile, retry=NO_WAIT))
    await opened.load()
    yield opened
    await opened.aclose()
