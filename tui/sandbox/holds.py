"""Calls held open on purpose: the points where a test kills, races or times out, chosen by the
test instead of guessed with a sleep.

A test arms a gate for the next matching call(s); each one that arrives waits at the gate,
after its fault draw and rate-limit slot and before Xero processes it. The test waits until the
calls are there (`wait_arrived`), does what it came for (kill -9 the client, start a second
pusher, call again), then releases them: processed, as a call whose client is gone but which
Xero still commits, or dropped, as one that never reached Xero. `wait_finished` then says the
sandbox is done with them, so nothing they do can race what the test does next.

Gates are released from the test's thread; held calls wait on the server's event loop.
"""

from __future__ import annotations

import asyncio
import fnmatch
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class HoldTimeout(AssertionError):
    """The held calls did not arrive (or finish) within the test's limit."""


@dataclass
class Gate:
    """Holds up to `count` calls matching `method` and the path glob, after skipping `skip`."""

    method: str | None
    pattern: str
    count: int = 1
    skip: int = 0
    seen: int = 0
    held: list[str] = field(default_factory=list)
    """The paths of the calls held so far."""
    process: bool = True
    """On release: True, the held calls are processed (committed, even if their client has
    gone); False, they are dropped unprocessed."""
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _released: threading.Event = field(default_factory=threading.Event)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)
    _finished: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method in (None, method.upper()) and fnmatch.fnmatchcase(path, self.pattern)

    @property
    def full(self) -> bool:
        return len(self.held) >= self.count

    def take(self, path: str) -> bool:
        """Count a matching call; True when this one is to be held."""
        self.seen += 1
        if self.seen <= self.skip or self.full:
            return False
        with self._arrived:
            self.held.append(path)
            self._arrived.notify_all()
        return True

    async def wait(self) -> bool:
        """In the server: wait at the gate; True when the call is to be processed."""
        event = asyncio.Event()
        with self._arrived:
            if self._released.is_set():
                return self.process
            self._waiters.append((asyncio.get_running_loop(), event))
        await event.wait()
        return self.process

    def done(self) -> None:
        """In the server: a held call has been processed or dropped."""
        with self._arrived:
            self._finished += 1
            self._arrived.notify_all()

    # -- the test's side ---------------------------------------------------------------------

    def wait_arrived(
        self, limit: float = 120.0, *, alive: Callable[[], bool] | None = None
    ) -> bool:
        """Block until every call the gate holds has arrived. With `alive`, stop early and
        return False once it says the client has stopped without reaching the gate."""
        deadline = time.monotonic() + limit
        with self._arrived:
            while not self.full:
                if alive is not None and not alive():
                    return self.full
                if time.monotonic() > deadline:
                    raise HoldTimeout(
                        f"{self.count} call(s) to {self.pattern} did not arrive "
                        f"in {limit:g} s ({len(self.held)} did)"
                    )
                self._arrived.wait(0.05)
        return True

    def release(self, *, process: bool = True) -> None:
        with self._arrived:
            self.process = process
            self._released.set()
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def wait_finished(self, limit: float = 60.0) -> None:
        """Block until the sandbox is done with every call it held."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self._finished >= len(self.held), limit):
                raise HoldTimeout(f"held calls to {self.pattern} did not finish in {limit:g} s")


class Holds:
    """The armed gates; the first that matches a call decides whether it is held."""

    def __init__(self) -> None:
        self._gates: list[Gate] = []
        self._lock = threading.Lock()

    def arm(self, method: str | None, pattern: str, *, count: int = 1, skip: int = 0) -> Gate:
        gate = Gate(method.upper() if method else None, pattern, count=count, skip=skip)
        with self._lock:
            self._gates.append(gate)
        return gate

    def disarm(self, gate: Gate) -> None:
        """Stop holding new calls at this gate (and let go of any it holds, unprocessed)."""
        with self._lock:
            if gate in self._gates:
                self._gates.remove(gate)
        if not gate._released.is_set():
            gate.release(process=False)

    def take(self, method: str, path: str) -> Gate | None:
        with self._lock:
            for gate in self._gates:
                if gate.matches(method, path) and not gate.full:
                    return gate if gate.take(path) else None
        return None
