"""What every command that works on bills shares: a loaded workspace, opened and closed around
the command's work, with any damaged profile file reported."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tui.core.text import terminal_safe
from tui.service.session import Session
from tui.service.workspace import Workspace

T = TypeVar("T")


def say(message: str) -> None:
    """A line for the person at the terminal, with nothing in it the terminal would obey."""
    print(terminal_safe(message), flush=True)


def warn(message: str) -> None:
    print(f"axpush: {terminal_safe(message)}", file=sys.stderr, flush=True)


class Progress:
    """How far a long read has got, on one line of standard error that rewrites itself; only
    when standard error is a terminal (a cron job's log gets the result alone)."""

    def __init__(self) -> None:
        self._shown = False
        self._live = sys.stderr.isatty()

    def __call__(self, message: str) -> None:
        if self._live:
            sys.stderr.write(f"\r\x1b[K{terminal_safe(message)}")
            sys.stderr.flush()
            self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def with_workspace(
    session: Session,
    work: Callable[[Workspace], Awaitable[T]],
    *,
    sync: bool = False,
    full: bool = False,
) -> T:
    """Run `work` on the profile's workspace, loaded (and synced from Actionstep first when
    asked)."""

    async def run() -> T:
        workspace = await Workspace.opened(session, sync=sync, full=full)
        try:
            return await work(workspace)
        finally:
            await workspace.aclose()

    return asyncio.run(run())
