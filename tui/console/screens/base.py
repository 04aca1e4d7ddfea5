"""What every view shares: access to the app's workspace, and for the list views, a keyed table
with a `/` filter whose cursor stays on the same row across rebuilds."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input

from tui.console.widgets.filter_input import FilterInput, filter_words
from tui.console.widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from tui.console.app import AxpushApp
    from tui.core.jobs import Attempt
    from tui.core.status import BillRow
    from tui.service.workspace import Workspace


HISTORY_REST = 0.12
"""Seconds the cursor rests on a bill before its history is read."""


class ViewScreen(Screen[None]):
    @property
    def axpush(self) -> AxpushApp:
        return cast("AxpushApp", self.app)

    @property
    def workspace(self) -> Workspace | None:
        return self.axpush.workspace


class TableView(ViewScreen):
    TABLE_ID: ClassVar[str]
    BINDINGS = [Binding("slash", "filter", "Filter", id="view.filter", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []
        """The row keys shown, in order; a rebuild fills it."""
        self._cursor_key: str | None = None
        """Where the cursor is going, until the table has moved it there."""

    @property
    def table(self) -> DataTable[str | Text] | VirtualTable:
        table = self.query_one(f"#{self.TABLE_ID}")
        assert isinstance(table, DataTable | VirtualTable)
        return table

    def on_mount(self) -> None:
        self.axpush.workspace_loaded.subscribe(self, lambda _: self.loaded_anew())
        self.axpush.bills_changed.subscribe(self, self.bills_changed)
        self.rebuild()

    def loaded_anew(self) -> None:
        """The workspace was (re)loaded, or failed to: by default the view rebuilds."""
        self.rebuild()

    def bills_changed(self, bill_ids: set[str]) -> None:
        """Some bills changed state: by default the view rebuilds (if it is in sight)."""
        self.rebuild_if_shown()

    def rebuild(self) -> None:
        raise NotImplementedError

    def rebuild_if_shown(self, *_: object) -> None:
        """For signals: out of sight, the next resume rebuilds anyway."""
        if self.is_current:
            self.rebuild()

    def clear_table(self) -> str | None:
        """Empty the table for a rebuild; returns the key the cursor was on, to put it back."""
        current = self.current_key()
        self.table.clear()
        self.keys = []
        return current

    def cursor_settled(self) -> None:
        """Called when the row under the cursor changes: show what depends on it."""

    def on_screen_resume(self) -> None:
        self.rebuild()

    def filter_words(self) -> list[str]:
        return filter_words(self.query_one(FilterInput).value)

    def current_key(self) -> str | None:
        if self._cursor_key is not None:
            return self._cursor_key
        row = self.table.cursor_row
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def place_cursor(self, key: str | None) -> None:
        """Put the cursor on `key` once the table has laid out its new rows (textual#3544)."""
        if key in self.keys:
            self._cursor_key = key
            self.call_after_refresh(self._move_cursor, key)

    def _move_cursor(self, key: str) -> None:
        if self._cursor_key == key and key in self.keys:
            self.table.move_cursor(row=self.keys.index(key))
        self._cursor_key = None
        self.cursor_settled()

    @on(DataTable.RowHighlighted)
    @on(VirtualTable.RowHighlighted)
    def _highlighted(self) -> None:
        if self._cursor_key is None:
            self.cursor_settled()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.rebuild()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_key(self, event: events.Key) -> None:
        self.query_one(FilterInput).catch(event)

    # -- a bill's history, for the views whose rows are bills -------------------------------------

    def current_bill(self) -> BillRow | None:
        return None

    def show_history(self, row: BillRow, attempts: list[Attempt]) -> None:
        """Draw `row`'s history once it is read; only called while `row` is still current."""

    @work(exclusive=True, group="bill-history", exit_on_error=False, description="Reading history")
    async def load_history(self, row: BillRow) -> None:
        """History lives in files on disk: read it off the loop once the cursor rests (a move
        within HISTORY_REST cancels this read before it starts: holding a key down reads
        nothing), then show it if the cursor has not moved on meanwhile."""
        workspace = self.workspace
        if workspace is None:
            return
        await asyncio.sleep(HISTORY_REST)
        attempts = await workspace.attempts_of(row.bill.bill_id)
        current = self.current_bill()
        if current is not None and current.bill.bill_id == row.bill.bill_id:
            self.show_history(current, attempts)


class DataTableView(TableView):
    """A list short enough for DataTable: the mapping's rows, triage's failures."""

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)
