"""Bills (home): every Actionstep bill and where it stands; select, push, see why not."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Footer, Static

from tui.console.flows.push import confirm_push
from tui.console.screens.base import TableView
from tui.console.screens.bill_list import BillList
from tui.console.widgets.bill_detail import BillDetail, state_text
from tui.console.widgets.filter_input import FilterInput
from tui.console.widgets.top_bar import TopBar
from tui.console.widgets.virtual_table import Column, VirtualTable
from tui.core.jobs import Attempt
from tui.core.money import format_money
from tui.core.status import BillRow, BillState
from tui.core.words import count
from tui.service import pushing
from tui.service.workspace import Workspace

COLUMNS = (
    ("sel", " "),
    ("number", "Bill"),
    ("date", "Date"),
    ("client", "Client"),
    ("total", "Total"),
    ("state", "State"),
    ("reason", "Why"),
)
SUMMARY_ORDER = (
    BillState.READY,
    BillState.CHANGED,
    BillState.BLOCKED,
    BillState.FAILED,
    BillState.PUSHING,
    BillState.PUSHED,
    BillState.PENDING,
)
MARK = "●"
ORDERED_AT_ONCE = 10_000
"""Bills the list orders on the event loop when a load ends (about 0.1 s); a larger firm's is
ordered in a thread, as 100,000 take about a second."""
ARRIVALS_DRAWN = 0.5
"""Seconds between counts of the bills read while a large firm's parts are still arriving."""
NARROW = 80
NARROW_COLUMNS = tuple(column for column in COLUMNS if column[0] != "date")


class BillsScreen(TableView):
    AUTO_FOCUS = "#bills"
    TABLE_ID = "bills"
    BINDINGS = [
        Binding(
            "space",
            "toggle_select",
            "Select",
            id="bills.select",
            tooltip="Select the bill (and move down)",
        ),
        Binding(
            "p",
            "push_selected",
            "Push",
            id="bills.push",
            tooltip="Push the selected bills shown (or the one under the cursor)",
        ),
        Binding(
            "P",
            "push_ready",
            "Push all",
            id="bills.push_all",
            tooltip="Push every ready or changed bill",
        ),
        Binding(
            "f",
            "push_failed",
            "Re-push failed",
            id="bills.push_failed",
            show=False,
            tooltip="Re-push the failed bills that pass preflight now",
        ),
        Binding("r", "reload", "Reload from Actionstep and Xero", id="bills.reload", show=False),
    ]

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#bills", VirtualTable)

    def __init__(self) -> None:
        super().__init__()
        self.selected: set[str] = set()
        self._columns: tuple[tuple[str, str], ...] = COLUMNS
        self._widest_of: tuple[object, int, dict[str, int]] = (None, -1, {})
        self._list = BillList()
        self._arrivals: Timer | None = None

    def on_resize(self) -> None:
        self._fit_columns(self.workspace)

    def compose(self) -> ComposeResult:
        yield TopBar("bills")
        yield Static(id="summary")
        yield FilterInput("filter bills: number, client, state or reason words — esc clears")
        yield VirtualTable(id="bills", zebra_stripes=True)
        yield BillDetail(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # TableView's on_mount runs too: Textual calls each class's handler down the MRO (a
        # super() call here would subscribe every signal twice).
        self.axpush.bills_arrived.subscribe(self, self._arrived)

    def loaded_anew(self) -> None:
        """Once a firm is in, its list is drawn: at once for up to ORDERED_AT_ONCE bills, else
        ordered in a thread first, with the first bills in sight meanwhile (and the summary
        saying the load is done)."""
        workspace = self.workspace
        if workspace is None or self.axpush.load_error or len(workspace.rows) <= ORDERED_AT_ONCE:
            self.rebuild()
        else:
            self._show_summary()
            self._prepare_list()

    def _arrived(self, _bill_ids: set[str]) -> None:
        """A part of the firm is in: the first bills are drawn at once; while the rest arrive,
        the summary counts them (at most every ARRIVALS_DRAWN seconds) and the list waits for
        the load's end, as each redraw would order every bill read so far."""
        if not self.is_current:
            return
        if not self.keys:
            self.rebuild()
        elif self._arrivals is None:
            self._arrivals = self.set_timer(ARRIVALS_DRAWN, self._count_arrivals)

    def _count_arrivals(self) -> None:
        self._arrivals = None
        if self.is_current:
            self._show_summary()

    @work(thread=True, exclusive=True, group="bill-list", exit_on_error=False)
    def _prepare_list(self) -> None:
        """Order the bills and make their filter text off the loop, so that neither drawing
        the list nor the first keystroke of a filter waits for 100,000 of them; then draw."""
        workspace = self.workspace
        if workspace is not None:
            version = workspace.rows_version  # read first: the copy is at least as new
            self._list.prepare(dict(workspace.rows), version)  # copied at once, under the GIL
            self.app.call_from_thread(self.rebuild_if_shown)

    def bills_changed(self, bill_ids: set[str]) -> None:
        self.update_rows(bill_ids)

    # -- rendering ------------------------------------------------------------------------------

    def _fit_columns(self, workspace: Workspace | None) -> None:
        """Columns as wide as their widest cell (read once per load, not per filter). Below 80
        columns the date goes and the client narrows, so the state and the reason keep their
        room."""
        table = self.table
        width = self.size.width
        self._columns = COLUMNS if width >= NARROW else NARROW_COLUMNS
        widest = self._widest(workspace)
        client = 28 if width >= 100 else 20 if width >= NARROW else 14
        widths = {"sel": 1, "date": 10, "client": client, "reason": 0, **widest}
        columns = [
            Column(key, label, max(widths[key], len(label)) if widths[key] else 0)
            for key, label in self._columns
        ]
        columns[[key for key, _ in self._columns].index("total")] = Column(
            "total", "Total", max(widths["total"], 5), "right"
        )
        if columns != table.columns:
            table.set_columns(columns)

    def _widest(self, workspace: Workspace | None) -> dict[str, int]:
        rows = workspace.rows if workspace else {}
        if self._widest_of[0] is not rows or self._widest_of[1] != len(rows):
            values = rows.values()
            self._widest_of = (
                rows,
                len(rows),
                {
                    "number": max((len(r.bill.number) for r in values), default=4),
                    "total": max((len(format_money(r.bill.total_inc)) for r in values), default=5),
                    "state": max((len(s.value) for s in BillState), default=5),
                },
            )
        return self._widest_of[2]

    def _cells(self, bill_id: str) -> list[str | Text]:
        workspace = self.workspace
        row = workspace.rows.get(bill_id) if workspace else None
        if row is None:
            return ["" for _ in self._columns]
        bill = row.bill
        cells: dict[str, str | Text] = {
            "sel": MARK if bill.bill_id in self.selected else " ",
            "number": bill.number,
            "date": bill.invoice_date.isoformat() if bill.invoice_date else "",
            "client": bill.client_name,
            "total": Text(format_money(bill.total_inc), justify="right"),
            "state": state_text(row.state),
            "reason": row.brief,
        }
        return [cells[key] for key, _ in self._columns]

    def rebuild(self) -> None:
        """Redraw the table from the workspace, keeping the cursor on the same bill. Only the
        list of keys is made here; a row's cells are made when it comes into sight."""
        workspace = self.workspace
        table = self.table
        current = self.current_key()
        self._fit_columns(workspace)
        if workspace is None or not workspace.rows:
            self.keys = []
            table.set_rows([], self._cells)
            table.loading = workspace is None and self.axpush.load_error is None
            self._show_summary()
            self.cursor_settled()
            return
        table.loading = False
        order = self._list.keys(workspace.rows, self.filter_words(), workspace.rows_version)
        self.keys = order
        table.set_rows(order, self._cells)
        self.place_cursor(current)
        self._show_summary()
        self.cursor_settled()

    def update_rows(self, bill_ids: set[str]) -> None:
        """Refresh the cells of changed bills in place (no rebuild: the cursor stays)."""
        workspace = self.workspace
        if workspace is None or not self.is_current:  # the resume rebuilds it
            return
        table = self.table
        table.refresh_keys(bill_ids)
        self._show_summary()
        if self.current_key() in bill_ids:
            self.cursor_settled()

    def _show_summary(self) -> None:
        summary = self.query_one("#summary", Static)
        workspace = self.workspace
        if self.axpush.load_error:
            summary.update(Text(self.axpush.load_error, style="bold red"))
            return
        if workspace is None or not workspace.rows:
            summary.update(Text("Loading bills from Actionstep…", style="dim"))
            return
        counts = workspace.counts()
        text = Text(f"⏸ {workspace.paused}\n", style="bold yellow") if workspace.paused else Text()
        text.append(f"{count(len(workspace.rows), 'bill')}: ")
        shown = [s for s in SUMMARY_ORDER if counts.get(s) or s is BillState.READY]
        for index, state in enumerate(shown):
            if index:
                text.append(" · ", style="dim")
            text.append_text(state_text(state))
            text.append(f" {counts.get(state, 0):,}")
        if self.selected:
            text.append(f"   {len(self.selected):,} selected", style="bold")
        if len(self.keys) != len(workspace.rows):
            text.append(f"   showing {len(self.keys):,}", style="dim")
        if workspace.loading:
            text.append(f"   {workspace.loading}", style="dim")
        progress = self.axpush.push_progress
        if progress is not None:
            text.append(f"   pushing {progress[0]}/{progress[1]}…", style="bold cyan")
        summary.update(text)

    def _current_row(self) -> BillRow | None:
        bill_id = self.current_key()
        workspace = self.workspace
        return workspace.rows.get(bill_id) if workspace and bill_id else None

    def cursor_settled(self) -> None:
        row = self._current_row()
        self.query_one(BillDetail).show(row, self.workspace)
        if row is not None and row.job is not None:
            self.load_history(row)

    def current_bill(self) -> BillRow | None:
        return self._current_row()

    def show_history(self, row: BillRow, attempts: list[Attempt]) -> None:
        self.query_one(BillDetail).show(row, self.workspace, attempts)

    # -- actions ----------------------------------------------------------------------------------

    def action_toggle_select(self) -> None:
        bill_id = self.current_key()
        if bill_id is None:
            return
        self.selected.symmetric_difference_update({bill_id})
        self.update_rows({bill_id})
        table = self.table
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_push_selected(self) -> None:
        """The selected bills the list shows, else the one under the cursor. Selected bills a
        filter hides are not pushed, and the confirmation says so."""
        if not self.selected:
            self._confirm_push([i for i in [self.current_key()] if i], "selected")
            return
        shown = set(self.keys)
        ids = sorted(self.selected & shown) or [i for i in [self.current_key()] if i]
        confirm_push(
            self,
            ids,
            "selected",
            self.selected.difference_update,
            hidden=len(self.selected - shown),
        )

    def action_push_ready(self) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        self._confirm_push(pushing.due(workspace), "ready")

    def action_push_failed(self) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        ids = [b for b, row in workspace.rows.items() if row.state is BillState.FAILED]
        self._confirm_push(ids, "failed")

    def _confirm_push(self, ids: list[str], which: str) -> None:
        confirm_push(self, ids, which, self.selected.difference_update)

    @on(VirtualTable.RowSelected, "#bills")
    def _open_blocking_row(self) -> None:
        """Enter on a bill blocked by the mapping opens the mapping at the row at fault."""
        row = self._current_row()
        if row is None:
            return
        fixable = [p.row for p in row.problems if p.row is not None]
        if fixable:
            self.axpush.open_mapping_row(fixable[0])
        else:
            self.notify("This bill has no mapping problem.", severity="information")

    def action_reload(self) -> None:
        if self.axpush.pushing:
            self.notify("Wait for the push to finish before reloading.", severity="warning")
            return
        self.axpush.load_workspace()
