"""Push log: what the engine does, live, all of a long push (the Log widget draws only what
is in sight); history on disk keeps every attempt. `/` narrows it to the lines with every word
typed (a bill number, "failed"); `e` saves what is shown to a file."""

from __future__ import annotations

import time

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Log, ProgressBar, Static

from tui.console.screens.base import ViewScreen
from tui.console.widgets.filter_input import FilterInput, filter_words, matches
from tui.console.widgets.log_status import status_text
from tui.console.widgets.top_bar import TopBar
from tui.service import exports

LOG_MEMORY = 500_000
"""Log lines the Push log holds: all of a push of 100,000 bills with their payments (about
250,000 lines, some 40 MB); the Log widget draws only the lines in sight. History on disk
keeps every attempt."""
STATUS_SECONDS = 1.0
"""How often the status line is redrawn while nothing is logged (budgets, throughput)."""


class PushLogScreen(ViewScreen):
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="log.filter", show=False),
        Binding("e", "export", "Export", id="log.export"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar("log")
        with Horizontal(id="log-status"):
            yield Static("idle", id="log-state")
            yield ProgressBar(id="log-progress", show_eta=False)
        yield FilterInput(
            "show only lines with all these words: a bill number, failed, paid… — esc clears"
        )
        yield Log(id="log", max_lines=LOG_MEMORY, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._refill()
        self.axpush.log_written.subscribe(self, self._written)
        self.set_interval(STATUS_SECONDS, self._status)

    def _words(self) -> list[str]:
        return filter_words(self.query_one(FilterInput).value)

    def _shown(self) -> list[str]:
        words = self._words()
        return [line for line in self.axpush.log_lines if not words or matches(words, line)]

    def _refill(self) -> None:
        log = self.query_one(Log)
        log.clear()
        log.write_lines(self._shown())
        log.scroll_end(animate=False)  # the newest lines, as before the filter
        self._status()

    def _written(self, lines: list[str]) -> None:
        words = self._words()
        self.query_one(Log).write_lines(
            [line for line in lines if not words or matches(words, line)]
        )
        self._status()

    def _status(self) -> None:
        app = self.axpush
        progress = app.push_progress
        elapsed = time.monotonic() - app.push_started if app.push_started else None
        workspace = self.workspace
        self.query_one("#log-state", Static).update(
            status_text(
                progress,
                elapsed,
                workspace.rate_budget if workspace else None,
                app.session.clock.now(),
                self.query_one(Log).line_count,
                len(app.log_lines),
                bool(self._words()),
            )
        )
        bar = self.query_one(ProgressBar)
        bar.display = progress is not None
        if progress is not None:
            bar.update(total=progress[1], progress=progress[0])

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._refill()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(Log).focus()

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_key(self, event: events.Key) -> None:
        self.query_one(FilterInput).catch(event)

    def action_export(self) -> None:
        lines = self._shown()
        if not lines:
            self.notify(
                "Nothing to export: the log is empty"
                + (" for this filter." if self._words() else "."),
                severity="warning",
            )
            return
        filtered = bool(self._words())
        session = self.axpush.session
        self.axpush.perform(
            "Exporting the log",
            lambda: exports.export_log(session, lines, filtered=filtered),
            group="export",
        )
