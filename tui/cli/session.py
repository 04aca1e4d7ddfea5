"""What every command that talks to the services shares: an opened workspace, and how a
remote failure becomes an exit code."""

from __future__ import annotations

import sys

from tui.cli import EXIT_FAILED, EXIT_PAUSED, EXIT_RECONNECT
from tui.core.errors import ReconnectNeeded, RemoteError, RemoteRateLimited
from tui.service.workspace import Workspace
from tui.store.profile import Profile


def remote_exit(error: RemoteError) -> int:
    if isinstance(error, ReconnectNeeded):
        return EXIT_RECONNECT
    if isinstance(error, RemoteRateLimited) and error.problem == "day":
        return EXIT_PAUSED
    return EXIT_FAILED


async def opened(profile: Profile, *, sync: bool, full: bool = False) -> Workspace:
    """The profile's workspace, loaded (and synced when asked); the caller closes it."""
    workspace = await Workspace.connect(profile)
    try:
        await workspace.load(sync=False)
        if sync:
            await workspace.sync(full=full)
    except BaseException:
        await workspace.aclose()
        raise
    for damaged in profile.set_aside:
        print(f"axpush: warning: {damaged.describe()}", file=sys.stderr)
    return workspace
