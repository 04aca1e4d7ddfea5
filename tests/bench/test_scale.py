"""The scale curve, on demand: `python -m pytest -m bench tests/bench/test_scale.py`.

For a firm of 1,000 and 10,000 bills (and 100,000 with `AXPUSH_SCALE=1000,10000,100000`), the
real command line against the sandbox over loopback, each command its own process: CPU and
wall time, peak memory (the process's own `ru_maxrss`, from `wait4`), and the size of what the
profile keeps. History is then grown to ten attempts a bill (a million at 100,000) to measure
`log --bill` and `log --csv`. What it asserts is only what makes a figure mean anything (the
command succeeded, the push pushed); the goals are read from the figures, not timed here.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from support.soak import soak
from textual.pilot import Pilot
from textual.strip import Strip

from tui.console.app import AxpushApp
from tui.console.screens.bills import BillsScreen
from tui.core.jobs import Attempt, Outcome
from tui.core.mapping import Mapping
from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service import syncing
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.store.profile import Profile

pytestmark = pytest.mark.bench

SIZES = [int(n) for n in os.environ.get("AXPUSH_SCALE", "1000,10000").split(",")]
ROUNDS = 10
"""Attempts a bill has in the grown history."""


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    output: str


PEAK = """
import atexit, os, runpy, sys
def peak():
    with open("/proc/self/status") as status, open(os.environ["AXPUSH_BENCH_PEAK"], "w") as out:
        out.write(next(l.split()[1] for l in status if l.startswith("VmHWM:")))
atexit.register(peak)
sys.argv = ["axpush", *sys.argv[1:]]
runpy.run_module("tui", run_name="__main__")
"""
"""Runs axpush and notes its own peak memory (VmHWM: the process's, not the parent's it was
forked from, which `ru_maxrss` would count)."""


def axpush(home: Path, *args: str, to: Path | None = None) -> Run:
    """One command in its own process: its CPU time (from wait4) and its peak memory."""
    out = to or home / "out.txt"
    peak = home / "peak.txt"
    with out.open("w") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", PEAK, *args],
            stdout=sink,
            stderr=subprocess.PIPE,
            env={**os.environ, "AXPUSH_HOME": str(home), "AXPUSH_BENCH_PEAK": str(peak)},
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    assert process.stderr is not None
    errors = process.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), f"axpush {' '.join(args)} ended {code}: {errors[-2000:]}"
    text = out.read_text() if to is None else ""
    return Run(wall, usage.ru_utime + usage.ru_stime, int(peak.read_text()) / 1024, text)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6


def grow_history(profile: Profile, bill_ids: list[str], rounds: int) -> int:
    """Each bill pushed `rounds` times more, a month apart, in batches of 2,000."""
    start = datetime(2017, 1, 1, tzinfo=UTC)
    written = 0
    for round_ in range(rounds):
        at = start + timedelta(days=31 * round_)
        for first in range(0, len(bill_ids), 2000):
            batch = bill_ids[first : first + 2000]
            profile.append_history(
                [
                    Attempt(
                        bill,
                        bill,
                        at,
                        "ann@host",
                        "create-invoice",
                        Outcome.CREATED,
                        f"inv-{bill}-{round_}",
                        Decimal("1234.50"),
                        sent="3 lines: 200 Fees 1,000.00 GST; 400 Disbursements 234.50; total",
                    )
                    for bill in batch
                ]
            )
            written += len(batch)
    return written


@pytest.mark.parametrize("bills", SIZES)
def test_the_scale_curve(bills: int, tmp_path: Path, figures: list[str]) -> None:
    home = tmp_path / "home"
    built = time.perf_counter()
    state = SandboxState.demo(
        tour=False, bills=bills, limits=Limits(per_minute=10**7, per_day=10**9)
    )
    built = time.perf_counter() - built
    with SandboxServer(state) as server:
        session = Session.open("default", home=home)
        asyncio.run(connect_sandbox(session, server.base_url))
        session.profile.save_mapping(Mapping(*state.firm.demo_mapping()))
        session.close()

        full = axpush(home, "sync", "--full")
        push = axpush(home, "push", "--all", "--no-sync", "--json")
        pushed = json.loads(push.output)["created"]
        assert pushed > bills // 2, "most of the firm was pushed"
        again = axpush(home, "sync")
        assert "0 new or changed" in again.output
        root = home / "profiles" / "default"
        sizes = {name: size_mb(root / name) for name in ("bills", "outbox", "history")}

        profile = Profile(root)
        ids = sorted(profile.cached_bills())
        grown = time.perf_counter()
        attempts = grow_history(profile, ids, ROUNDS) + pushed
        grown = time.perf_counter() - grown
        profile.close()
        one = ids[len(ids) // 2]
        axpush(home, "log", "--bill", one)  # the first asks for the index: built once here
        log_bill = axpush(home, "log", "--bill", one)
        profile = Profile(root)
        lookup = time.perf_counter()
        found = profile.attempts_named(ids[len(ids) // 3])
        lookup = time.perf_counter() - lookup
        profile.close()
        assert len(found) >= ROUNDS
        log_csv = axpush(home, "log", "--csv", to=tmp_path / "log.csv")
        startup = axpush(home, "log", "--since", "1d", "--bill", "no-such-bill")

    figures.append(
        f"scale {bills:,} bills (sandbox firm built in {built:.1f} s): "
        f"full sync {full.wall:.1f} s wall, {full.cpu / bills * 1000:.2f} ms CPU/bill, "
        f"{full.peak_mb:.0f} MB | push --all {pushed:,} bills {push.wall:.1f} s wall, "
        f"{push.cpu / pushed * 1000:.2f} ms CPU/bill, {push.peak_mb:.0f} MB | "
        f"incremental sync, nothing changed: {again.wall:.2f} s wall ({again.cpu:.2f} s CPU; "
        f"the rest is the sandbox answering), {again.peak_mb:.0f} MB | "
        f"files: bills {sizes['bills']:.1f} MB, outbox {sizes['outbox']:.1f} MB, "
        f"history {sizes['history']:.1f} MB"
    )
    figures.append(
        f"scale {bills:,} bills, history of {attempts:,} attempts (grown in {grown:.0f} s): "
        f"one bill's attempts {lookup * 1000:.0f} ms; log --bill {log_bill.wall:.2f} s "
        f"({log_bill.peak_mb:.0f} MB; a command that reads next to nothing: "
        f"{startup.wall:.2f} s) | log --csv {log_csv.wall:.1f} s, "
        f"{log_csv.peak_mb:.0f} MB, {(tmp_path / 'log.csv').stat().st_size / 1e6:.0f} MB written"
    )


def test_the_kill_9_soak_at_ten_thousand_bills(tmp_path: Path, figures: list[str]) -> None:
    """The suite's soak (faults, lost answers, ten kill -9 with a call in flight, the firm
    changing meanwhile), at a firm of 10,000 bills finalised in waves of 800: every bill in
    Xero exactly once."""
    started = time.perf_counter()
    soak(tmp_path / "home", figures, bills=10_000, wave=800)
    figures.append(
        f"soak, 10,000 bills: settled, each in Xero once, in {time.perf_counter() - started:.0f} s"
    )


@pytest.mark.parametrize("bills", SIZES)
async def test_the_console_at_scale(bills: int, tmp_path: Path, figures: list[str]) -> None:
    """The console over a synced firm: time to the first screen with bills (the profile and
    Xero's chart read, the first part of the firm evaluated and drawn), to every bill in (and
    the longest the event loop was held meanwhile), to the whole list drawn in order; then
    each key of a filter typed, and its clearing, until the list is drawn with the result."""
    unlimited = Limits(per_minute=10**7, per_day=10**9)
    state = SandboxState.demo(tour=False, bills=bills, limits=unlimited)
    with SandboxServer(state) as server:
        session = Session.open("default", home=tmp_path / "home")
        await connect_sandbox(session, server.base_url)
        session.profile.save_mapping(Mapping(*state.firm.demo_mapping()))
        await syncing.sync(session, full=True)
        app = AxpushApp(session)
        started = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, BillsScreen)
            while not screen.keys:
                await pilot.pause(0.01)
            first = time.perf_counter() - started
            stalls: list[float] = []  # how long the loop is held while the rest arrives
            while app.workspace is None or app.workspace.loading is not None:
                asked = time.perf_counter()
                await asyncio.sleep(0.02)
                stalls.append(time.perf_counter() - asked - 0.02)
            every = time.perf_counter() - started
            while any(worker.is_running for worker in app.workers):
                await pilot.pause(0.01)  # the list ordered and its filter text made, in a thread
            drawn = time.perf_counter() - started
            await pilot.press("slash")
            keys = [await until_drawn(pilot, screen, typed) for typed in "1234"]
            found = len(screen.keys)
            cleared = await until_drawn(pilot, screen, "escape")
        session.close()
    figures.append(
        f"console, {bills:,} bills: first screen with bills {first:.2f} s | every bill in "
        f"{every:.1f} s, drawn in order {drawn:.1f} s; the loop held at most "
        f"{max(stalls, default=0) * 1000:.0f} ms meanwhile | filter '1234' "
        f"key by key {', '.join(f'{k * 1000:.0f}' for k in keys)} ms ({found:,} shown) | "
        f"clear {cleared * 1000:.0f} ms"
    )


async def until_drawn(pilot: Pilot[None], screen: BillsScreen, key: str) -> float:
    """Seconds from a key sent to the last line of the list drawn for it. Pilot waits for
    idle after a key (40 ms or more of its own pauses); that wait is not counted."""
    table = screen.table
    drawn: list[float] = []
    render_line = table.render_line

    def timed(y: int) -> Strip:
        strip = render_line(y)
        drawn.append(time.perf_counter())
        return strip

    table.render_line = timed  # type: ignore[method-assign]
    pressed = time.perf_counter()
    await pilot.press(key)
    del table.render_line  # the class's own again
    assert drawn, f"{key} redrew nothing"
    return drawn[-1] - pressed
