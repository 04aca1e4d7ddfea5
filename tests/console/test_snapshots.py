"""What the admin sees at 80x24, the smallest terminal we support: the demo's Bills, Mapping and
Triage views, compared with reviewed snapshots (--snapshot-update after a deliberate change)."""

from __future__ import annotations

from typing import Any

from support.pilot import demo_app, loaded, until
from textual.pilot import Pilot

from tui.service.demo import Demo


async def _loaded(pilot: Pilot[Any]) -> None:
    await until(pilot, loaded(pilot.app))  # type: ignore[arg-type]
    await pilot.pause()


def test_bills_view_at_80x24(demo: Demo, snap_compare: Any) -> None:
    assert snap_compare(demo_app(demo), terminal_size=(80, 24), run_before=_loaded)


def test_mapping_view_shows_the_unmapped_row_at_80x24(demo: Demo, snap_compare: Any) -> None:
    async def open_mapping(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("m", "down", "down", "down", "down")
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=(80, 24), run_before=open_mapping)


def test_triage_view_groups_the_blocked_bills_by_cause_at_80x24(
    demo: Demo, snap_compare: Any
) -> None:
    async def open_triage(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the history worker fills the detail
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=(80, 24), run_before=open_triage)
