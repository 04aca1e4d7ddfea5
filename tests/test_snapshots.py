"""What the admin sees at 80x24, the smallest terminal we support: the demo's Bills and Mapping
views, compared with reviewed snapshots (pytest --snapshot-update after a deliberate change)."""

from __future__ import annotations

from typing import Any

from test_app import demo_app, loaded, until
from textual.pilot import Pilot

from tui.demo import Demo


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
