"""Pushing bills to Xero, and recording a bill settled by hand: what `P`, `p`, `f` and `x` do in
the console and `axpush push` / `axpush resolve` do in a shell.

One pusher per profile: the OS lock (`store.pusher`) refuses a second with who holds it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from tui.core.engine import Emit, Engine, PushSummary, Task
from tui.core.errors import AxpushError, UsageError
from tui.core.events import EngineEvent, EventKind
from tui.core.jobs import JobState, Operation
from tui.core.money import ZERO, format_money
from tui.core.plan import FOLLOWS, resolve
from tui.core.problems import RECEIPTS
from tui.core.status import BillRow, BillState
from tui.core.triage import Cause
from tui.core.words import count
from tui.service.done import Done, LogLine
from tui.service.workspace import Workspace
from tui.store.outbox import ProfileOutbox
from tui.store.pusher import PusherLock


class WrongOrganisation(AxpushError):
    """Connected to a Xero organisation other than the bound one: nothing may go."""

    title = "Wrong organisation"


def guard(workspace: Workspace) -> None:
    """Refuse to push (or plan a push) to an organisation the profile is not bound to: every
    bill is blocked then, and saying "nothing to push" would hide why. Refuse too while the
    firm is still being read: some bills would be missing from the push."""
    block = workspace.organisation_block
    if block:
        raise WrongOrganisation(f"nothing can be pushed: {block}")
    if workspace.loading:
        raise UsageError(f"not yet: {workspace.loading.rstrip('…')}. Push once it is done")


TRANSIENT = frozenset({Cause.XERO_UNAVAILABLE, Cause.RATE_LIMITED, Cause.INTERRUPTED})
"""Failures that pass by themselves: `push --all` sends such bills again."""


def pushable(workspace: Workspace, bill_ids: Iterable[str]) -> list[str]:
    """Of these bills, those that can go now."""
    rows = workspace.rows
    return [b for b in bill_ids if b in rows and rows[b].pushable]


def due(workspace: Workspace) -> list[str]:
    """What `push --all` sends: ready bills, changes to bills already in Xero, and failed
    ones whose failure was passing (Xero offline, a rate limit, an interrupted push)."""
    return [
        bill_id
        for bill_id, row in workspace.rows.items()
        if row.pushable
        and (row.state in (BillState.READY, BillState.CHANGED) or row.cause in TRANSIENT)
    ]


def failed(workspace: Workspace, cause: Cause | None = None) -> list[str]:
    """Failed bills (with `cause`: failed or blocked ones of that cause)."""
    if cause is None:
        return [b for b, row in workspace.rows.items() if row.state is BillState.FAILED]
    return [
        b
        for b, row in workspace.rows.items()
        if row.state in (BillState.FAILED, BillState.BLOCKED) and row.cause is cause
    ]


@dataclass(frozen=True)
class Step:
    """One thing a push will do in Xero for one bill."""

    bill_id: str
    number: str
    client: str
    operation: Operation
    amount: Decimal
    """The invoice's total (create, update: its new total; void: what is voided), the
    payment's amount, the receipts reversed, or the credit."""


STEP_WORDS = {
    Operation.CREATE: ("create", "invoice"),
    Operation.UPDATE: ("update", "invoice"),
    Operation.VOID: ("void", "invoice"),
    Operation.REVERSE: ("reverse receipts on", "invoice"),
    Operation.CREDIT: ("credit", "invoice"),
    Operation.PAYMENT: ("record", "payment"),
}


@dataclass(frozen=True)
class PushPlan:
    """What a push of some bills will do, before it does it: what the confirmation shows and
    `push --dry-run` prints."""

    steps: tuple[Step, ...]
    blocked: tuple[BillRow, ...]
    """Bills asked for that cannot go now, with their causes."""
    currency: str

    @property
    def bills(self) -> list[str]:
        return list(dict.fromkeys(step.bill_id for step in self.steps))

    def kinds(self) -> list[tuple[Operation, int, Decimal]]:
        """Each kind of step with how many and how much, in the order the engine does them."""
        found = []
        for operation in STEP_WORDS:
            steps = [s for s in self.steps if s.operation is operation]
            if steps:
                found.append((operation, len(steps), sum((s.amount for s in steps), ZERO)))
        return found

    def lines(self) -> list[str]:
        """`create 2 invoices  AUD 13,752.59`, one line per kind of step."""
        return [
            f"{STEP_WORDS[op][0]} {count(n, STEP_WORDS[op][1])}  "
            f"{format_money(amount, self.currency)}"
            for op, n, amount in self.kinds()
        ]


def plan(workspace: Workspace, bill_ids: Iterable[str]) -> PushPlan:
    """What pushing these bills will do: for each that can go, its create, update, void,
    reversal, credit or payment, and what follows in the same push (`follow_ups`)."""
    steps: list[Step] = []
    blocked: list[BillRow] = []
    for bill_id in bill_ids:
        row = workspace.rows.get(bill_id)
        if row is None:
            continue
        if not row.pushable or row.due is None:
            if row.state in (BillState.BLOCKED, BillState.FAILED):
                blocked.append(row)
            continue
        bill, job, operation = row.bill, row.job, row.due.operation
        step = partial(Step, bill_id, bill.number, bill.client_name)
        if operation is Operation.VOID:
            steps.append(step(operation, (job.total if job else None) or bill.total_inc))
            continue
        if operation in (Operation.CREATE, Operation.UPDATE):
            if (
                operation is Operation.CREATE
                and job
                and job.found_id
                and job.cause is Cause.ALREADY_SETTLED
            ):
                operation = Operation.UPDATE  # the invoice an earlier push found, reverted
            steps.append(step(operation, bill.total_inc))
        else:
            steps.append(step(operation, row.due.amount or ZERO))
        steps += [step(op, amount) for op, amount in follow_ups(row)]
    currency = workspace.organisation.base_currency if workspace.organisation else ""
    return PushPlan(tuple(steps), tuple(blocked), currency)


def follow_ups(row: BillRow) -> list[tuple[Operation, Decimal]]:
    """What the engine does next for this bill in the same push, once its due step is done:
    a credit, then a payment, as far as Actionstep shows them. After a reversal, what is paid
    again is known only once Xero says which payments go (whole ones, newest first): the plan
    leaves it out and the log tells it."""
    assert row.due is not None
    bill, job, first = row.bill, row.job, row.due.operation
    after = FOLLOWS.index(first) if first in FOLLOWS else -1
    found: list[tuple[Operation, Decimal]] = []
    credited = job.credited if job else ZERO
    if after < FOLLOWS.index(Operation.CREDIT) and bill.credited > credited:
        found.append((Operation.CREDIT, bill.credited - credited))
    owed = bill.total_paid - (job.paid if job else ZERO)
    payable = owed > 0 and row.payment_problem is None
    if payable and first is not Operation.REVERSE and after < FOLLOWS.index(Operation.PAYMENT):
        found.append((Operation.PAYMENT, owed))
    return found


def find_bill(workspace: Workspace, wanted: str) -> str:
    """A bill's id from its Actionstep number or id."""
    by_number = {row.bill.number: b for b, row in workspace.rows.items()}
    bill_id = by_number.get(wanted) or (wanted if wanted in workspace.rows else None)
    if bill_id is None:
        raise UsageError(f"no bill {wanted!r} (give the Actionstep bill number or id)")
    return bill_id


def _task(workspace: Workspace, row: BillRow) -> Task:
    assert row.due is not None
    bank = workspace.mapping.bank_accounts.get(RECEIPTS) if row.payment_problem is None else None
    return Task(row.bill, row.due.operation, row.verdict.invoice, row.job, row.due.amount, bank)


async def push(
    workspace: Workspace, bill_ids: Sequence[str] | None, emit: Emit, *, open_day: bool = False
) -> PushSummary:
    """Push these bills (those still pushable), or, given None, all that are due. Raises
    PusherBusy, naming the holder, while another push runs for the profile. Jobs an interrupted
    push left `sending` are looked up in Xero first. `emit` hears every step. `open_day`: the
    admin agreed to date documents Xero's lock dates would refuse on the first open day."""

    def tasks() -> list[Task]:
        chosen = due(workspace) if bill_ids is None else pushable(workspace, bill_ids)
        return [_task(workspace, workspace.rows[bill_id]) for bill_id in chosen]

    return await run_tasks(workspace, tasks, emit, open_day=open_day)


def first_open_day(workspace: Workspace) -> str:
    """The first day Xero's lock dates leave open, in words, for a question to the admin."""
    organisation = workspace.organisation
    day = organisation.first_open_day if organisation else None
    if day is None:
        return "Xero shows no lock date: the documents keep their own dates"
    return f"{day:%d %b %Y}, the day after Xero's lock date"


async def run_tasks(
    workspace: Workspace,
    tasks_now: Callable[[], list[Task]],
    emit: Emit,
    *,
    open_day: bool = False,
) -> PushSummary:
    """The engine's work for one push, however its tasks are chosen: the pusher lock taken,
    jobs reread (another process may have pushed), interrupted ones looked up in Xero, then
    `tasks_now()` done. Used by `push` and by re-coding (`recode`)."""
    guard(workspace)
    profile, clock = workspace.profile, workspace.session.clock
    lock = PusherLock(profile.root, clock)
    await asyncio.to_thread(lock.acquire)
    outbox = ProfileOutbox(profile, workspace.jobs_stored)
    workspace.xero.on_wait = lambda said: emit(EngineEvent(clock.now(), EventKind.RETRIED, said))
    chosen: list[str] = []
    try:
        not_before = None
        if open_day:  # the lock date as it is now: an accountant may have moved it meanwhile
            workspace.organisation = await workspace.xero.organisation()
            not_before = workspace.organisation.first_open_day
        engine = Engine(
            workspace.xero, outbox, emit, who=workspace.who, clock=clock, not_before=not_before
        )
        workspace.jobs_reread(await asyncio.to_thread(profile.jobs))  # another's pushes
        rows = workspace.rows
        stuck = [
            (
                job,
                workspace.bills.get(job.bill_id),
                rows[job.bill_id].verdict.invoice if job.bill_id in rows else None,
            )
            for job in workspace.jobs.values()
            if job.state is JobState.SENDING
        ]
        summary = PushSummary()
        await engine.reconcile(stuck, summary)
        tasks = tasks_now()
        chosen = [task.bill.bill_id for task in tasks]
        workspace.pushing.update(chosen)
        workspace.evaluate(chosen, jobs_only=True)
        return await engine.push(tasks, summary)
    finally:
        workspace.xero.on_wait = lambda _said: None
        workspace.pushing.difference_update(chosen)
        workspace.evaluate(chosen, jobs_only=True)
        await asyncio.to_thread(lock.release)


async def mark_resolved(workspace: Workspace, bill_id: str, why: str) -> Done:
    """An admin settled this bill by hand in Xero: record who, when and why, and stop pushing
    it until Actionstep changes it again. Refused while a push runs, and for a bill that is
    neither failed nor blocked."""
    why = why.strip()
    if not why:
        raise UsageError("say why: the reason is kept in history")
    row = workspace.rows.get(bill_id)
    if row is None or row.state not in (BillState.FAILED, BillState.BLOCKED):
        state = row.state.value if row else "unknown"
        number = row.bill.number if row else bill_id
        raise UsageError(
            f"bill {number} is {state}: only a failed or blocked bill is marked resolved"
        )
    profile = workspace.profile
    lock = PusherLock(profile.root, workspace.session.clock)
    await asyncio.to_thread(lock.acquire)
    try:
        workspace.jobs_reread(await asyncio.to_thread(profile.jobs))
        job, attempt = resolve(
            row.bill, workspace.jobs.get(bill_id), workspace.session.clock.now(), workspace.who, why
        )
        stored = await asyncio.to_thread(profile.record_jobs, [job], [attempt])
        workspace.jobs_stored(stored)
    finally:
        await asyncio.to_thread(lock.release)
    number = row.bill.number
    return Done(
        "Marked resolved",
        f"#{number}: recorded, with your reason. It is not pushed again unless Actionstep "
        "changes it.",
        (LogLine(f"#{number} marked resolved in Xero by {workspace.who}: {why}"),),
        frozenset({bill_id}),
    )
