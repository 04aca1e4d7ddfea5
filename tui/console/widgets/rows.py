"""The table every list view uses: one row per item, Home and End to the first and last."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable


class RowTable(DataTable[str | Text]):
    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False, id="rows.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="rows.last"),
    ]
