"""The detail pane under the bills table: a bill's lines, where they go in Xero, and why it
cannot go yet."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.console.widgets.history import history_lines
from tui.core.jobs import Attempt
from tui.core.models import Bill
from tui.core.money import format_money
from tui.core.status import BillRow, BillState
from tui.core.words import count
from tui.service.workspace import Workspace

STATE_STYLES = {
    BillState.PENDING: "dim",
    BillState.READY: "green",
    BillState.BLOCKED: "yellow",
    BillState.PUSHING: "cyan",
    BillState.PUSHED: "blue",
    BillState.CHANGED: "magenta",
    BillState.FAILED: "bold red",
}


def state_text(state: BillState) -> Text:
    return Text(state.value, style=STATE_STYLES[state])


HISTORY_SHOWN = 3


class BillDetail(Static):
    def show(
        self,
        row: BillRow | None,
        workspace: Workspace | None,
        attempts: Sequence[Attempt] | None = None,
    ) -> None:
        if row is None or workspace is None:
            self.update(Text("No bill selected.", style="dim"))
            return
        self.update(render_detail(row, workspace, attempts))


def _heading(bill: Bill) -> Text:
    text = Text()
    text.append(f"#{bill.number}", style="bold")
    text.append(f"  {bill.client_name}")
    if bill.matter:
        text.append(f"  · {bill.matter.reference or ''} {bill.matter.name}".rstrip(), style="dim")
    dates = " ".join(
        filter(
            None,
            [
                bill.invoice_date.isoformat() if bill.invoice_date else None,
                f"due {bill.due_date.isoformat()}" if bill.due_date else None,
            ],
        )
    )
    if dates:
        text.append(f"  · {dates}", style="dim")
    return text


def render_detail(
    row: BillRow, workspace: Workspace, attempts: Sequence[Attempt] | None = None
) -> RenderableType:
    bill = row.bill
    parts: list[RenderableType] = [_heading(bill)]
    status = Text()
    status.append(f"{format_money(bill.total_inc, bill.currency)} ", style="bold")
    status.append(
        f"(ex {format_money(bill.total_ex)}, tax {format_money(bill.total_tax)})  ", style="dim"
    )
    status.append(f"Actionstep: {bill.status.value}  ")
    status.append_text(state_text(row.state))
    if row.job and row.job.invoice_id:
        status.append(f"  Xero invoice {row.job.invoice_id}", style="dim")
    parts.append(status)
    if row.job is not None and row.job.paid:
        status.append(f"  paid in Xero {format_money(row.job.paid)}", style="dim")
    if row.job is not None and row.job.credited:
        status.append(
            f"  credited in Xero {format_money(row.job.credited)} "
            f"({count(row.job.credits, 'credit note')})",
            style="dim",
        )
    if row.state is BillState.CHANGED:
        parts.append(Text(f"→ {row.reason}", style="magenta"))
    for problem in row.problems:
        line = Text("✗ ", style="yellow")
        line.append(problem.message)
        if problem.row is not None:
            line.append("  (enter: open the mapping)", style="dim")
        parts.append(line)
    if row.state is BillState.FAILED and row.job is not None:
        cause = row.cause
        line = Text("✗ ", style="bold red")
        line.append(row.reason)
        parts.append(line)
        if cause is not None:
            parts.append(Text(f"  Fix: {cause.fix}", style="dim"))
    if row.job is not None:  # a bill that never went anywhere has no history to read
        parts += history_lines(attempts, HISTORY_SHOWN)
    parts.append(_lines_table(row, workspace))
    return Group(*parts)


def _lines_table(row: BillRow, workspace: Workspace) -> Table:
    """The Xero lines the bill becomes when it passes preflight; else its Actionstep lines."""
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim")
    invoice = row.verdict.invoice
    if invoice is not None:
        for heading in ("Xero line", "Account", "Tax"):
            table.add_column(heading)
        table.add_column("Amount", justify="right")
        table.add_column("Tax amt", justify="right")
        for xero_line in invoice.lines:
            table.add_row(
                xero_line.description,
                xero_line.account_code,
                xero_line.tax_type,
                format_money(xero_line.amount),
                format_money(xero_line.tax),
            )
        return table
    for heading in ("Actionstep line", "Account", "Tax code"):
        table.add_column(heading)
    table.add_column("Amount", justify="right")
    for line in row.bill.lines:
        account = workspace.catalog.accounts.get(line.account_id or "")
        code = workspace.catalog.tax_codes.get(line.tax_code_id or "")
        table.add_row(
            line.description[:40],
            account.label if account else "?",
            code.code if code else "?",
            format_money(line.amount),
        )
    return table
