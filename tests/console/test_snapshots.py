"""What the admin sees at 80x24, the smallest terminal we support: the demo's Bills, Mapping and
Triage views, compared with reviewed snapshots (--snapshot-update after a deliberate change).

These are also the README's pictures of the console, so they cannot go stale: a change to a
screen fails here until the snapshot is reviewed and updated
(`python -m pytest tests/console/test_snapshots.py --snapshot-update`). The clock stands still
and the zone is UTC, so times on screen are the same on every machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support.pilot import demo_app, loaded, push_all_ready, until
from support.sandbox_time import FrozenTime
from textual.pilot import Pilot

from tui.console.app import AxpushApp
from tui.console.dialogs.picker import PickerDialog
from tui.console.screens.triage import TriageScreen
from tui.core.triage import Cause
from tui.service.demo import Demo

MORNING = datetime(2026, 7, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def app_of(demo: Demo) -> AxpushApp:
    return demo_app(demo, clock=FrozenTime(MORNING))


async def _loaded(pilot: Pilot[Any]) -> None:
    await until(pilot, loaded(pilot.app))  # type: ignore[arg-type]
    await pilot.pause()


def test_bills_view_at_80x24(demo: Demo, snap_compare: Any) -> None:
    assert snap_compare(app_of(demo), terminal_size=(80, 24), run_before=_loaded)


def test_mapping_view_shows_the_unmapped_row_at_80x24(demo: Demo, snap_compare: Any) -> None:
    async def open_mapping(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("m", "down", "down", "down", "down")
        await pilot.pause()

    assert snap_compare(app_of(demo), terminal_size=(80, 24), run_before=open_mapping)


def test_the_mapping_picker_at_80x24(demo: Demo, snap_compare: Any) -> None:
    async def open_picker(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("m", "down", "down", "down", "down", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, PickerDialog))
        await pilot.press(*"rev")
        await pilot.pause()

    assert snap_compare(app_of(demo), terminal_size=(80, 24), run_before=open_picker)


def test_triage_view_groups_the_blocked_bills_by_cause_at_80x24(
    demo: Demo, snap_compare: Any
) -> None:
    async def open_triage(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the history worker fills the detail
        await pilot.pause()

    assert snap_compare(app_of(demo), terminal_size=(80, 24), run_before=open_triage)


def test_triage_shows_a_failed_bill_with_its_fix_and_history_at_80x24(
    demo: Demo, snap_compare: Any
) -> None:
    async def open_failed_bill(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, AxpushApp)
        await _loaded(pilot)
        await push_all_ready(pilot, app)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TriageScreen))
        triage = app.screen
        assert isinstance(triage, TriageScreen) and app.workspace is not None
        [row] = [r for r in app.workspace.rows.values() if r.cause is Cause.ALREADY_SETTLED]
        await until(pilot, lambda: row.bill.bill_id in triage.keys)
        triage.table.move_cursor(row=triage.keys.index(row.bill.bill_id))
        await until(pilot, lambda: triage.current_key() == row.bill.bill_id)
        await app.workers.wait_for_complete()
        app.clear_notifications()  # the push's toast would cover the detail
        await pilot.pause()

    assert snap_compare(app_of(demo), terminal_size=(80, 24), run_before=open_failed_bill)
