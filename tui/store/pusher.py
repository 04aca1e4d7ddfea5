"""One pusher per profile: the console, a cron job and a second admin cannot push at once.

An OS file lock (released by the OS when the holder dies, even by kill -9) plus a small file
naming the holder, so whoever is refused is told who holds it and since when.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import Busy
from tui.store.profile import current_user
from tui.store.storage import write_atomically


class PusherBusy(Busy):
    """Another process is pushing for this profile."""

    def __init__(self, owner: dict[str, Any]) -> None:
        who = owner.get("who") or "another process"
        host = owner.get("host") or "?"
        since = owner.get("since") or "?"
        super().__init__(
            f"another push is running for this profile: {who} on {host}, "
            f"pid {owner.get('pid', '?')}, since {since}; wait for it to finish"
        )
        self.owner = owner


class PusherLock:
    def __init__(self, profile_root: Path, clock: Clock = REAL_CLOCK) -> None:
        self._clock = clock
        self._lock = FileLock(
            str(profile_root / ".pusher.lock"), timeout=0, thread_local=False, mode=0o600
        )
        self._owner = profile_root / ".pusher.json"

    def acquire(self) -> None:
        """Take the lock at once or raise PusherBusy naming the holder."""
        try:
            self._lock.acquire()
        except Timeout:
            raise PusherBusy(self._read_owner()) from None
        owner = {
            "who": current_user(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": self._clock.now().astimezone().isoformat(timespec="seconds"),
        }
        write_atomically(self._owner, json.dumps(owner).encode())

    def release(self) -> None:
        try:
            self._owner.unlink(missing_ok=True)
        finally:
            self._lock.release()

    def _read_owner(self) -> dict[str, Any]:
        try:
            data = json.loads(self._owner.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def __enter__(self) -> PusherLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
