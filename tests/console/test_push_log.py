"""The Push log as an admin uses it after a push: what is left of Xero's call budget, narrowing
the log to one bill or to the failures, and saving what is shown to a file."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from support.pilot import demo_app, loaded, push_all_ready, screen_text, until
from textual.widgets import Log

from tui.console.screens.push_log import PushLogScreen
from tui.console.widgets.log_status import status_text
from tui.core.budget import Budget
from tui.service.demo import Demo

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_the_status_line_tells_a_slow_push_from_a_throttled_one() -> None:
    pushing = status_text((120, 195), 4.0, Budget(55, 4990), NOW, 0, 0, False).plain
    assert pushing == "pushing 120/195 · 30 bills/s · Xero calls left: 55 this minute, 4,990 today"
    low = status_text(None, None, Budget(3, 4990), NOW, 0, 0, False)
    assert low.plain.startswith("idle · Xero calls left: 3 this minute")
    assert any("yellow" in str(span.style) for span in low.spans), "a low budget stands out"
    paused = status_text(None, None, Budget(0, 0, NOW + timedelta(hours=5)), NOW, 0, 0, False)
    assert "paused: Xero's daily limit is used up until" in paused.plain
    unknown = status_text(None, None, None, NOW, 7, 40, True).plain
    assert (
        unknown == "idle · Xero calls left: not known until the first call · showing 7 of 40 lines"
    )


async def test_after_a_push_the_log_narrows_to_the_failures_and_saves_them(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        await push_all_ready(pilot, app)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, PushLogScreen))
        await until(pilot, lambda: "Xero calls left:" in screen_text(app))
        log = app.screen.query_one(Log)
        everything = list(app.log_lines)
        assert log.line_count == len(everything)

        failures = [line for line in everything if "failed" in line.lower()]
        assert failures, "the tour's paid-then-edited bill fails"
        await pilot.press("slash", *"failed", "enter")
        await until(pilot, lambda: log.line_count == len(failures))
        assert f"showing {len(failures)} of {len(everything)} lines" in screen_text(app)

        await pilot.press("e")
        await app.workers.wait_for_complete()
        # the demo's profile is removed when it quits: its exports go where they stay
        assert (
            demo.session.exports is not None
            and demo.profile.root not in demo.session.exports.parents
        )
        [saved] = demo.session.exports.glob("push-log-*.txt")
        assert saved.read_text().splitlines() == failures
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600

        await pilot.press("slash", "escape")
        await until(pilot, lambda: log.line_count == len(app.log_lines) >= len(everything))
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y > 0)  # back at the newest


async def test_a_push_of_ten_thousand_bills_is_shown_whole_from_its_first_line(
    demo: Demo,
) -> None:
    """A long push (here 25,000 lines, as a push of 10,000 bills with payments writes) stays
    whole in the Push log: the first line is still there to scroll back to."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, PushLogScreen))
        lines = [f"09:00:00 created  #{10000 + n:<8} bill {n:,} of 25,000" for n in range(25_000)]
        for first in range(0, len(lines), 500):  # in batches, as the engine's events arrive
            app.log_lines.extend(lines[first : first + 500])
            app.log_written.publish(lines[first : first + 500])
        log = app.screen.query_one(Log)
        await until(pilot, lambda: log.line_count >= 25_000)
        assert log.lines[-25_000:] == lines
        await pilot.press("home")
        await until(pilot, lambda: log.scroll_y == 0 and log.max_scroll_y > 24_000)
