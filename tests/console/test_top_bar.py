"""The top bar: a warning about the organisation always wins the space, and the views are
one click away."""

from __future__ import annotations

import pytest
from support.pilot import demo_app, loaded, until

from tui.console.screens.mapping import MappingScreen
from tui.console.widgets.top_bar import TopBar, bar_text, warnings
from tui.service.demo import Demo

NAME = "Harbour & Finch Lawyers (new organisation)"


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_connected_to_the_wrong_trial_organisation_the_warning_is_never_cut_off(
    width: int,
) -> None:
    full = warnings("TRIAL", trial=True, blocked=True, short=False)
    short = warnings("TRIAL", trial=True, blocked=True, short=True)
    text = bar_text("bills", width, NAME, full, short, "profile default").plain
    assert len(text) <= width, text
    assert "[TRIAL]" in text, text
    assert "blocked" in text and ("WRONG ORG" in text or "NOT THE BOUND" in text)
    if width >= 120:
        assert NAME in text and "NOT THE BOUND ORGANISATION" in text


def test_on_a_wide_terminal_everything_shows_and_narrower_the_views_shrink_first() -> None:
    wide = bar_text("triage", 160, NAME, [], [], "demo sandbox").plain
    assert "b:Bills" in wide and "c:Connections" in wide and NAME in wide and "demo" in wide
    narrow = bar_text("triage", 60, "Harbour & Finch Lawyers", [], [], "demo sandbox").plain
    assert "t:Triage" in narrow and "b:Bills" not in narrow and "Harbour & Finch Lawyers" in narrow


async def test_clicking_a_view_name_in_the_top_bar_opens_it(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, loaded(app))
        text = app.screen.query_one(TopBar).render()
        offset = str(text).index("m:Mapping") + 2
        await pilot.click(TopBar, offset=(offset, 0))
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
