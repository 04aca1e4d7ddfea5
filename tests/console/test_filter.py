"""The `/` filter takes what is typed right after it, however fast: a paste over SSH of
`/mediation` filters the list; it does not switch views at the `m` and the `t`."""

from __future__ import annotations

from support.pilot import demo_app, loaded, until
from textual import events

from tui.console.screens.bills import BillsScreen
from tui.console.widgets.filter_input import FilterInput
from tui.service.demo import Demo


async def test_a_burst_of_keys_after_slash_goes_into_the_filter(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        for typed in "/mediation":  # all queued before any is handled, as a paste is
            app.post_message(events.Key("slash" if typed == "/" else typed, typed))
        screen = app.screen
        assert isinstance(screen, BillsScreen)
        box = screen.query_one(FilterInput)
        await until(pilot, lambda: box.value == "mediation")
        await until(pilot, lambda: len(screen.keys) == 7)
        assert isinstance(app.screen, BillsScreen), "no view key was taken from the filter"
        burst: list[tuple[str, str | None]] = [("enter", None), ("slash", "/")]
        for key, character in burst + [(c, c) for c in "10150"]:  # `enter /10150` at once
            app.post_message(events.Key(key, character))
        await until(pilot, lambda: box.value == "10150" and len(screen.keys) == 1)
        await pilot.press("enter", "escape")  # from the list, esc clears the filter too
        await until(pilot, lambda: box.value == "" and len(screen.keys) == 220)
