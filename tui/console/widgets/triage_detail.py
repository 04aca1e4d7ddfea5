"""The pane under the triage table: for a cause, what it means and the fix; for a bill, its
reason, the fix, where it is in Xero, and its history."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from tui.console.widgets.history import history_lines
from tui.core.jobs import Attempt
from tui.core.money import format_money
from tui.core.status import BillRow, BillState
from tui.core.triage import Cause
from tui.core.words import count

HISTORY_SHOWN = 6


def cause_detail(cause: Cause, rows: Sequence[BillRow]) -> RenderableType:
    pushable = sum(1 for r in rows if r.pushable)
    failed = sum(1 for r in rows if r.state is BillState.FAILED)
    counts = Text(
        f"{count(len(rows), 'bill')}: {failed:,} failed in Xero, {len(rows) - failed:,} blocked "
        f"before sending · {pushable} can be re-pushed now",
        style="dim",
    )
    return Group(
        Text(cause.heading, style="bold"),
        Text(f"Fix: {cause.fix}"),
        counts,
        Text("P: re-push the group · o: open the mapping row at fault", style="dim"),
    )


def bill_detail(
    row: BillRow, link: str | None, attempts: Sequence[Attempt] | None
) -> RenderableType:
    bill = row.bill
    heading = Text()
    heading.append(f"#{bill.number}", style="bold")
    heading.append(f"  {bill.client_name}  {format_money(bill.total_inc, bill.currency)}")
    heading.append(f"  Actionstep: {bill.status.value}", style="dim")
    parts: list[RenderableType] = [
        heading,
        Text(f"✗ {row.reason}", style="bold red" if row.state is BillState.FAILED else "yellow"),
    ]
    if row.cause is not None:
        parts.append(Text(f"Fix: {row.cause.fix}"))
    keys = ["p: re-push" if row.pushable else "fix it, then it can go", "x: mark resolved in Xero"]
    if any(p.row is not None for p in row.problems):
        keys.insert(1, "o: open the mapping row")
    if link:
        parts.append(Text(f"Xero: {link}", style="cyan", overflow="fold"))
        keys.insert(1, "y: copy the Xero link")
    parts.append(Text(" · ".join(keys), style="dim"))
    parts += history_lines(attempts, HISTORY_SHOWN)
    return Group(*parts)


class TriageDetail(Static):
    def show(self, content: RenderableType | None) -> None:
        self.update(
            content
            if content is not None
            else Text(
                "Nothing needs attention: every bill is ready, pushed or a draft.", style="green"
            )
        )
