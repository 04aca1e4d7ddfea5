"""Triage: every bill that needs a person, grouped by cause, with the fix and one key to act."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from tui.console.dialogs.resolve import ResolveDialog
from tui.console.flows.push import confirm_push
from tui.console.screens.base import DataTableView
from tui.console.widgets.filter_input import FilterInput, matches
from tui.console.widgets.rows import RowTable
from tui.console.widgets.text import clip
from tui.console.widgets.top_bar import TopBar
from tui.console.widgets.triage_detail import TriageDetail, bill_detail, cause_detail
from tui.core.jobs import Attempt
from tui.core.money import format_money
from tui.core.status import BillRow, BillState
from tui.core.triage import Cause
from tui.core.words import count
from tui.service import pushing

COLUMNS = (("bill", "Bill"), ("client", "Client"), ("total", "Total"), ("why", "Why"))
GROUP = "cause:"


class TriageScreen(DataTableView):
    AUTO_FOCUS = "#triage"
    TABLE_ID = "triage"
    BINDINGS = [
        Binding(
            "p",
            "repush",
            "Push",
            id="triage.repush",
            tooltip="Re-push the bill (on a cause: the group)",
        ),
        Binding(
            "P",
            "repush_group",
            "Group",
            id="triage.repush_group",
            tooltip="Re-push the whole cause group",
        ),
        Binding(
            "o",
            "open_mapping",
            "Mapping",
            id="triage.mapping",
            tooltip="Open the mapping row at fault",
        ),
        Binding(
            "y", "copy_link", "Link", id="triage.link", tooltip="Copy the Xero link of the invoice"
        ),
        Binding(
            "x",
            "resolve",
            "Resolved",
            id="triage.resolve",
            tooltip="Mark resolved in Xero (asks why)",
        ),
        Binding(
            "d",
            "open_day",
            "Open day",
            id="triage.open_day",
            tooltip="Re-push, dating what Xero's lock date refuses on the first open day (asks)",
        ),
        Binding(
            "X",
            "simulate",
            "Fix in Xero",
            id="triage.simulate",
            tooltip="Demo only: remove the payments on the invoice, as in Xero's web app",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._groups: dict[Cause, list[BillRow]] = {}
        self._cause_of: dict[str, Cause] = {}

    def compose(self) -> ComposeResult:
        yield TopBar("triage")
        yield Static(id="triage-summary")
        yield FilterInput("filter: bill number, client, cause or reason words — esc clears")
        table = RowTable(id="triage", cursor_type="row")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield TriageDetail(id="triage-detail")
        yield Footer(compact=True)

    # -- rendering ------------------------------------------------------------------------------

    def rebuild(self) -> None:
        workspace = self.workspace
        table = self.table
        current = self.clear_table()
        self._groups, self._cause_of = {}, {}
        if workspace is None or not workspace.rows:
            table.loading = workspace is None and self.axpush.load_error is None
            self._summary(0, 0)
            self.cursor_settled()
            return
        table.loading = False
        words = self.filter_words()
        for cause, rows in workspace.triage():
            shown = [
                r
                for r in rows
                if not words
                or matches(
                    words, r.bill.number, r.bill.client_name, r.reason, cause.heading, cause.value
                )
            ]
            if not shown:
                continue
            self._groups[cause] = shown
            group_key = GROUP + cause.value
            table.add_row(
                Text("▼ " + count(len(shown), "bill"), style="bold"),
                "",
                "",
                Text(cause.label, style="bold yellow"),
                key=group_key,
            )
            self.keys.append(group_key)
            self._cause_of[group_key] = cause
            for row in shown:
                table.add_row(
                    f"  {row.bill.number}",
                    clip(row.bill.client_name, 24),
                    Text(format_money(row.bill.total_inc), justify="right"),
                    Text(
                        clip(row.brief, 90 if self.size.width >= 120 else 34),
                        style="red" if row.state is BillState.FAILED else "",
                    ),
                    key=row.bill.bill_id,
                )
                self.keys.append(row.bill.bill_id)
                self._cause_of[row.bill.bill_id] = cause
        bills = sum(len(rows) for rows in self._groups.values())
        self._summary(bills, len(self._groups))
        first_bill = next((k for k in self.keys if not k.startswith(GROUP)), None)
        self.place_cursor(current if current in self.keys else first_bill)
        self.cursor_settled()

    def _summary(self, bills: int, causes: int) -> None:
        summary = self.query_one("#triage-summary", Static)
        if self.axpush.load_error:
            summary.update(Text(self.axpush.load_error, style="bold red"))
        elif self.workspace is None:
            summary.update(Text("Loading…", style="dim"))
        elif not bills:
            summary.update(Text("Nothing needs attention.", style="green"))
        else:
            counts = self.workspace.counts()
            summary.update(
                Text(
                    f"{count(bills, 'bill')} {'needs' if bills == 1 else 'need'} attention, "
                    f"{count(causes, 'cause')} · "
                    f"{counts.get(BillState.FAILED, 0):,} failed in Xero, "
                    f"{counts.get(BillState.BLOCKED, 0):,} blocked before sending"
                )
            )

    def _row(self) -> BillRow | None:
        key = self.current_key()
        workspace = self.workspace
        if key is None or workspace is None or key.startswith(GROUP):
            return None
        return workspace.rows.get(key)

    def _group(self) -> tuple[Cause, list[BillRow]] | None:
        key = self.current_key()
        cause = self._cause_of.get(key) if key else None
        return (cause, self._groups[cause]) if cause is not None else None

    def cursor_settled(self) -> None:
        self.refresh_bindings()  # X only where it applies
        detail = self.query_one(TriageDetail)
        row, group, workspace = self._row(), self._group(), self.workspace
        if row is not None and workspace is not None:
            detail.show(bill_detail(row, workspace.xero_link(row.bill.bill_id), None))
            self.load_history(row)
        elif group is not None:
            detail.show(cause_detail(*group))
        else:
            detail.show(None)

    def current_bill(self) -> BillRow | None:
        return self._row()

    def show_history(self, row: BillRow, attempts: list[Attempt]) -> None:
        workspace = self.workspace
        if workspace is not None:
            self.query_one(TriageDetail).show(
                bill_detail(row, workspace.xero_link(row.bill.bill_id), attempts)
            )

    # -- actions ----------------------------------------------------------------------------------

    def action_repush(self) -> None:
        row, group = self._row(), self._group()
        if row is not None:
            confirm_push(self, [row.bill.bill_id], "this")
        elif group is not None:
            self.action_repush_group()

    def action_repush_group(self) -> None:
        group = self._group()
        if group is not None:
            confirm_push(self, [r.bill.bill_id for r in group[1]], "group")

    def action_open_day(self) -> None:
        row, group = self._row(), self._group()
        rows = [row] if row is not None else (group[1] if group else [])
        confirm_push(self, [r.bill.bill_id for r in rows], "this", open_day=True)

    def action_open_mapping(self) -> None:
        group = self._group()
        row = self._row()
        candidates = [row] if row is not None else (group[1] if group else [])
        for candidate in candidates:
            fixable = [p.row for p in candidate.problems if p.row is not None]
            if fixable:
                self.axpush.open_mapping_row(fixable[0])
                return
        self.notify(
            "The mapping cannot fix this one: see the fix in the detail.", severity="information"
        )

    @on(DataTable.RowSelected, "#triage")
    def _selected(self) -> None:
        self.action_open_mapping()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`X` only in the demo, on a bill whose invoice was paid in Xero; `d` only on a bill
        (or the group) refused for Xero's period lock."""
        if action == "open_day":
            group = self._group()
            return group is not None and group[0] is Cause.PERIOD_LOCKED
        if action == "simulate":
            row = self._row()
            paid = row is not None and row.cause is Cause.ALREADY_SETTLED and "paid" in row.reason
            return self.axpush.simulated_xero is not None and paid
        return True

    def action_simulate(self) -> None:
        row, simulated = self._row(), self.axpush.simulated_xero
        if row is None or simulated is None:
            return
        number = row.bill.number
        self.axpush.perform(
            "Simulated Xero",
            lambda: asyncio.to_thread(simulated.remove_payments, number),
            group="simulate",
        )

    def action_copy_link(self) -> None:
        row, workspace = self._row(), self.workspace
        if row is None or workspace is None:
            return
        link = workspace.xero_link(row.bill.bill_id)
        if link is None:
            self.notify(
                "Xero has no invoice for this bill that axpush knows of.", severity="information"
            )
            return
        self.app.copy_to_clipboard(link)
        self.notify(link, title="Xero link copied (also shown in the detail)")

    def action_resolve(self) -> None:
        row, workspace = self._row(), self.workspace
        if row is None or workspace is None:
            self.notify(
                "Choose a bill first: a resolution is recorded one bill at a time.",
                severity="information",
            )
            return
        bill_id = row.bill.bill_id

        def decided(why: str | None) -> None:
            if why:
                self.axpush.perform_on_workspace(
                    "Marking resolved",
                    lambda ws: pushing.mark_resolved(ws, bill_id, why),
                    group="resolve",
                )

        self.app.push_screen(ResolveDialog(f"#{row.bill.number}", workspace.who), decided)
