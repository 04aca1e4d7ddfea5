"""A table for lists too long to lay out: a firm's 100,000 bills.

DataTable measures every cell of every row it is given and keeps a Row object per row, which
costs seconds at 100,000 rows, and again on every filter. This table holds only the row keys in
order, asks for a row's cells when the row comes into sight (and keeps them until told the row
changed), and has columns of fixed width, so a filter or a new order is a new list of keys: the
cost of a redraw is the rows on the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text
CELL_PADDING = 1
"""Spaces either side of a cell, as DataTable draws them."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    """Cells wider than this are cut; 0 takes what the other columns leave."""
    justify: str = "left"


class VirtualTable(ScrollView, can_focus=True):
    """Rows by key, drawn only when in sight; a cursor that moves by row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First row", show=False, id="rows.first"),
        Binding("end", "last", "Last row", show=False, id="rows.last"),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--even-row",
    }
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        & > .virtual-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .virtual-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .virtual-table--even-row { background: $surface-darken-1 40%; }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class RowHighlighted(Message):
        def __init__(self, table: VirtualTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowSelected(RowHighlighted):
        """Enter, or a click on the row under the cursor."""

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = False) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns: list[Column] = []
        self.keys: list[str] = []
        self._index: dict[str, int] | None = {}
        """Row by key, made when first asked (a keystroke of a filter shows a new list of up
        to 100,000 keys, and most lists are never asked)."""
        self._cells_of: Callable[[str], Sequence[Cell]] = lambda _key: ()
        self._cells: dict[str, Sequence[Cell]] = {}
        self._zebra = zebra_stripes

    # -- what it shows ------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self._cells.clear()
        self.refresh()

    def set_rows(self, keys: Sequence[str], cells_of: Callable[[str], Sequence[Cell]]) -> None:
        """Show these rows, in this order; `cells_of(key)` is asked when a row comes into sight.
        The cursor stays on its row number (the caller puts it back on a key)."""
        self.keys = list(keys)
        self._index = None
        self._cells_of = cells_of
        self._cells.clear()
        self.virtual_size = Size(self._width(), len(self.keys) + 1)
        if self.cursor_row >= len(self.keys):
            self.cursor_row = max(0, len(self.keys) - 1)
        self.refresh()

    def refresh_keys(self, keys: Collection[str]) -> None:
        """These rows changed: their cells are asked for again."""
        for key in keys:
            self._cells.pop(key, None)
        self.refresh()

    def clear(self) -> None:
        self.set_rows([], self._cells_of)

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def cursor_key(self) -> str | None:
        return self.keys[self.cursor_row] if 0 <= self.cursor_row < len(self.keys) else None

    def row_of(self, key: str) -> int | None:
        if self._index is None:
            self._index = {key: row for row, key in enumerate(self.keys)}
        return self._index.get(key)

    def get_cell(self, key: str, column: str) -> Cell:
        """What the table shows (or would show) in one cell."""
        at = next(i for i, c in enumerate(self.columns) if c.key == column)
        return self._row_cells(key)[at]

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self.keys) - 1))

    # -- the cursor ---------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowHighlighted(self, key))

    def _scroll_to_cursor(self) -> None:
        rows = max(1, self.scrollable_content_region.height - 1)  # the header stays
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.keys) - 1)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    async def _on_click(self, event: events.Click) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.keys):
            if row == self.cursor_row:
                self.action_select()
            self.move_cursor(row=row)

    def _on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self._width(), len(self.keys) + 1)
        self._scroll_to_cursor()

    # -- drawing ------------------------------------------------------------------------------

    def _width(self) -> int:
        fixed = sum(c.width + 2 * CELL_PADDING for c in self.columns if c.width)
        return max(fixed, self.scrollable_content_region.width)

    def _widths(self) -> list[int]:
        """Each column's width on screen; the flexible one takes the rest (at least 10)."""
        width = self.scrollable_content_region.width
        fixed = sum(c.width + 2 * CELL_PADDING for c in self.columns if c.width)
        flexible = max(10, width - fixed - 2 * CELL_PADDING)
        return [c.width or flexible for c in self.columns]

    def _row_cells(self, key: str) -> Sequence[Cell]:
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = self._cells_of(key)
        return cells

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            labels: Sequence[Cell] = [c.label for c in self.columns]
            return self._strip(labels, style, width, scroll_x)
        row = round(self.scroll_y) + y - 1
        if row >= len(self.keys):
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if self._zebra and row % 2 == 0:
            style += self.get_component_rich_style("virtual-table--even-row")
        if row == self.cursor_row:
            style += self.get_component_rich_style("virtual-table--cursor")
        return self._strip(self._row_cells(self.keys[row]), style, width, scroll_x)

    def _strip(self, cells: Sequence[Cell], style: Style, width: int, scroll_x: int) -> Strip:
        line = Text(style=style, no_wrap=True, overflow="crop", end="")
        pad = " " * CELL_PADDING
        for column, size, cell in zip(self.columns, self._widths(), cells, strict=False):
            text = cell if isinstance(cell, Text) else Text(cell)
            text = text.copy()
            text.truncate(size, overflow="ellipsis")
            justify = text.justify or column.justify
            room = size - text.cell_len
            before = room if justify == "right" else 0
            line.append(pad + " " * before)
            line.append_text(text)
            line.append(" " * (room - before) + pad)
        return Strip(line.render(self.app.console)).crop_extend(scroll_x, scroll_x + width, style)
