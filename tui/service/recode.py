"""Re-coding invoices already in Xero after a mapping correction.

A change of mapping alone never touches an invoice already pushed: the bill did not change. When
the mapping was wrong (a fee booked to the wrong account, a tax code mapped GST-free), the admin
can ask for those invoices to be put right: each is read back from Xero, and where its lines book
otherwise than the bill does under today's mapping, an update is offered, old -> new, first as a
plan (a dry run), then pushed like any update. Xero refuses to change a paid, credited or
period-locked invoice; those go to triage with Xero's reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tui.core.engine import Emit, PushSummary, Task
from tui.core.jobs import Operation
from tui.core.mapping_check import uses_row
from tui.core.models import BillStatus
from tui.core.money import format_money
from tui.core.problems import RECEIPTS, MappingKey
from tui.core.status import BillRow
from tui.core.words import count
from tui.service.pushing import run_tasks
from tui.service.workspace import Workspace

Line = tuple[str, str, Decimal, Decimal]
VOID_STATUSES = frozenset({"VOIDED", "DELETED"})


def lines_text(lines: Iterable[Line]) -> str:
    """`201/OUTPUT 2,516.00 + 251.60; 202/EXEMPTOUTPUT 120.00`"""
    return "; ".join(
        f"{code}/{tax_type} {format_money(amount)}" + (f" + {format_money(tax)}" if tax else "")
        for code, tax_type, amount, tax in sorted(lines)
    )


@dataclass(frozen=True)
class Recode:
    bill_id: str
    number: str
    client: str
    before: tuple[Line, ...]
    """The invoice's lines as Xero has them."""
    after: tuple[Line, ...]
    """The lines the bill makes under today's mapping."""
    paid: bool
    """Xero shows payments or credits on it: it will refuse the change."""

    def describe(self) -> str:
        note = "  (paid in Xero: it will refuse)" if self.paid else ""
        return f"#{self.number}: {lines_text(self.before)} → {lines_text(self.after)}{note}"


@dataclass(frozen=True)
class RecodePlan:
    recodes: tuple[Recode, ...]
    unchanged: int
    """Invoices read back that already book what the mapping says."""
    left: tuple[tuple[str, str], ...]
    """(number, why) of bills in Xero that cannot be re-coded now (blocked by preflight)."""

    @property
    def summary(self) -> str:
        paid = sum(1 for r in self.recodes if r.paid)
        text = (
            f"{count(len(self.recodes), 'invoice')} in Xero book otherwise than the mapping now "
            f"says; {self.unchanged:,} already agree"
        )
        if paid:
            text += f"; {count(paid, 'invoice')} paid in Xero will be refused and go to triage"
        if self.left:
            text += f"; {count(len(self.left), 'bill')} cannot be re-coded now"
        return text


def candidates(workspace: Workspace, keys: Sequence[MappingKey] = ()) -> list[BillRow]:
    """Bills whose invoices are in Xero as pushed (nothing else due), using one of these rows
    (any row when none is given)."""
    found = []
    for row in workspace.rows.values():
        job, bill = row.job, row.bill
        if job is None or not job.in_xero or job.voided or row.due is not None:
            continue
        if bill.status not in (BillStatus.OPEN, BillStatus.CLOSED):
            continue
        if keys and not any(uses_row(bill, key) for key in keys):
            continue
        found.append(row)
    return sorted(found, key=lambda r: r.bill.number)


async def plan(workspace: Workspace, keys: Sequence[MappingKey] = ()) -> RecodePlan:
    """Read the candidates' invoices back from Xero (a page per 40 numbers) and compare what
    their lines book with the bill under today's mapping. Sends nothing."""
    rows = candidates(workspace, keys)
    found = await workspace.xero.invoices_by_number([row.bill.number for row in rows])
    by_id = {inv.invoice_id: inv for inv in found if inv.status not in VOID_STATUSES}
    recodes: list[Recode] = []
    left: list[tuple[str, str]] = []
    unchanged = 0
    for row in rows:
        draft, job = row.verdict.invoice, row.job
        invoice = by_id.get(job.invoice_id or "") if job else None
        if draft is None:
            left.append((row.bill.number, row.reason or "blocked by preflight"))
            continue
        if invoice is None or invoice.lines is None:
            left.append((row.bill.number, "its invoice could not be read back from Xero"))
            continue
        if invoice.coding == draft.coding:
            unchanged += 1
            continue
        after = tuple((ln.account_code, ln.tax_type, ln.amount, ln.tax) for ln in draft.lines)
        paid = invoice.amount_paid > 0 or invoice.status == "PAID"
        recodes.append(
            Recode(
                row.bill.bill_id, row.bill.number, row.bill.client_name, invoice.lines, after, paid
            )
        )
    return RecodePlan(tuple(recodes), unchanged, tuple(left))


async def apply(workspace: Workspace, planned: RecodePlan, emit: Emit) -> PushSummary:
    """Update the planned invoices to the bill under today's mapping, as the push updates an
    edited bill's invoice (intent recorded first, looked up after a crash)."""
    wanted = {recode.bill_id for recode in planned.recodes}

    def tasks() -> list[Task]:
        bank = workspace.mapping.bank_accounts.get(RECEIPTS)
        chosen = [
            row
            for row in candidates(workspace)
            if row.bill.bill_id in wanted and row.verdict.invoice is not None
        ]
        return [
            Task(row.bill, Operation.UPDATE, row.verdict.invoice, row.job, bank_account_id=bank)
            for row in chosen
        ]

    return await run_tasks(workspace, tasks, emit)
