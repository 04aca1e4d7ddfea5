"""Push log: what the engine does, live. The widget keeps the last lines only; history on disk
keeps every attempt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Log, ProgressBar, Static

from tui.screens.base import ViewScreen
from tui.widgets.top_bar import TopBar

VISIBLE_LINES = 5000


class PushLogScreen(ViewScreen):
    AUTO_FOCUS = "#log"

    def compose(self) -> ComposeResult:
        yield TopBar("log")
        with Horizontal(id="log-status"):
            yield Static("idle", id="log-state")
            yield ProgressBar(id="log-progress", show_eta=False)
        yield Log(id="log", max_lines=VISIBLE_LINES, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Log).write_lines(self.axpush.log_lines)
        self.axpush.log_written.subscribe(self, self._written)
        self._status()

    def _written(self, lines: list[str]) -> None:
        self.query_one(Log).write_lines(lines)
        self._status()

    def _status(self) -> None:
        progress = self.axpush.push_progress
        bar = self.query_one(ProgressBar)
        state = self.query_one("#log-state", Static)
        if progress is None:
            state.update("idle · every attempt is also kept in the profile's history")
            bar.display = False
            return
        done, total = progress
        state.update("pushing")
        bar.display = True
        bar.update(total=total, progress=done)
