"""The kill -9 soak and what it stands on: pushers as real processes, the firm changing in
Actionstep meanwhile, and the exactly-once check. The suite runs it at 600 bills
(`tests/reliability`), the benchmarks at 10,000 (`tests/bench`)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tui.core.jobs import Outcome
from tui.core.mapping import Mapping
from tui.core.models import BillStatus
from tui.core.status import BillState
from tui.sandbox.actionstep_books import ActionstepBooks
from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.service.workspace import Workspace
from tui.store.profile import Profile

FAST = {"AXPUSH_RETRY_BASE_SECONDS": "0.01"}
CENT = Decimal("0.01")


def pusher(home: Path, *args: str, unread: bool = False) -> subprocess.Popen[str]:
    """`axpush push` in its own process. `unread`: nobody will read what it prints (it is to
    be killed), so it goes to a file; a pipe left unread would fill and stop the pusher."""
    command = [sys.executable, "-m", "tui", "push", *args]
    env = {**os.environ, "AXPUSH_HOME": str(home), **FAST}
    if not unread:
        return subprocess.Popen(
            command,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    with (home / "unread-pusher.log").open("a") as log:  # the child keeps its own copy
        return subprocess.Popen(
            command, text=True, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env
        )


def running(process: subprocess.Popen[str]) -> Callable[[], bool]:
    return lambda: process.poll() is None


def connected_profile(server: SandboxServer, home: Path) -> Profile:
    profile = Profile.named("default", home=home)
    asyncio.run(connect_sandbox(Session(profile), server.base_url))
    profile.save_mapping(Mapping(*server.state.firm.demo_mapping()))
    return profile


async def final_rows(profile: Profile) -> Workspace:
    workspace = await Workspace.connect(Session(profile))
    await workspace.load()
    await workspace.aclose()
    return workspace


def assert_exactly_once(state: SandboxState, workspace: Workspace) -> Counter[BillState]:
    """Xero holds each pushed bill once, as Actionstep has it now: the bill's totals, what
    Actionstep received as paid (no payment twice, none left of a reversed receipt), what it
    credited (no credit note twice), voided where the bill was deleted."""
    numbers = Counter(inv["InvoiceNumber"] for inv in state.xero.invoices.values())
    assert all(n == 1 for n in numbers.values()), [k for k, n in numbers.items() if n > 1]
    notes = Counter(n["CreditNoteNumber"] for n in state.xero.credit_notes.values())
    assert all(n == 1 for n in notes.values()), [k for k, n in notes.items() if n > 1]
    by_number = {row.bill.number: row for row in workspace.rows.values()}
    for invoice in state.xero.invoices.values():
        row = by_number[invoice["InvoiceNumber"]]
        assert row.state is BillState.PUSHED, (row.bill.number, row.state, row.reason)
        assert row.job is not None and row.job.invoice_id == invoice["InvoiceID"]
        if row.bill.status is BillStatus.DELETED:
            assert invoice["Status"] == "VOIDED", row.bill.number
            continue
        xero = tuple(
            invoice[name] for name in ("Total", "TotalTax", "AmountPaid", "AmountCredited")
        )
        bill = row.bill
        actionstep = (bill.total_inc, bill.total_tax, bill.total_paid, bill.credited)
        assert xero == actionstep, (bill.number, xero, actionstep)
        assert invoice["AmountDue"] == bill.total_due, bill.number
    return Counter(row.state for row in workspace.rows.values())


def change(
    state: SandboxState, rng: random.Random, finalised: list[int], untouchable: set[int]
) -> None:
    """What the firm does in Actionstep meanwhile: receipts, an edit, a deletion, a credit and
    a receipt reversed. Only unpaid bills are edited or deleted (Xero refuses both once a
    payment or credit is in)."""
    books = ActionstepBooks(state.firm.actionstep, state.clock.now)
    bills = state.firm.actionstep["bills"]
    with state.lock:
        unpaid = [
            b
            for b in finalised
            if b not in untouchable and bills[b]["totalPaid"] == 0 and bills[b]["status"] == "Open"
        ]
        for bill_id in rng.sample(unpaid, min(2, len(unpaid))):
            books.add_fee(bill_id, "Further attendance", Decimal(rng.randrange(50, 400)))
        for bill_id in rng.sample(unpaid, min(1, len(unpaid))):
            books.set_status(bill_id, "Deleted")
            untouchable.add(bill_id)
        open_ = [b for b in finalised if bills[b]["status"] == "Open"]
        for bill_id in rng.sample(open_, min(6, len(open_))):
            due = Decimal(bills[bill_id]["totalDue"])
            books.pay(bill_id, due if rng.random() < 0.5 else (due / 3).quantize(Decimal("0.01")))
            untouchable.add(bill_id)
        live = [b for b in finalised if bills[b]["status"] in ("Open", "Closed")]
        still_due = [b for b in live if Decimal(bills[b]["totalDue"]) > 1]
        for bill_id in rng.sample(still_due, min(2, len(still_due))):
            books.credit(bill_id, (Decimal(bills[bill_id]["totalDue"]) / 4).quantize(CENT))
            untouchable.add(bill_id)
        receipted = [b for b in live if Decimal(bills[b]["totalPaid"]) > 1]
        for bill_id in rng.sample(receipted, min(2, len(receipted))):
            books.unpay(bill_id, (Decimal(bills[bill_id]["totalPaid"]) / 2).quantize(CENT))


def finalise(state: SandboxState, bill_ids: list[int]) -> None:
    """The firm finalises these drafts in Actionstep now (the next sync sees them)."""
    from tui.sandbox.formats import actionstep_stamp

    with state.lock:
        for bill_id in bill_ids:
            bill = state.firm.actionstep["bills"][bill_id]
            bill["status"] = "Open"
            bill["modifiedTimestamp"] = actionstep_stamp(state.clock.now())


KILL_POINTS = (
    ("PUT", "*/Invoices", 0),
    ("PUT", "*/Invoices", 1),
    ("POST", "*/Invoices", 0),
    ("PUT", "*/Payments", 0),
    ("PUT", "*/Contacts", 0),
    ("GET", "*/Invoices", 0),
    ("PUT", "*/CreditNotes", 0),
    ("PUT", "*/Allocations", 0),
    ("POST", "*/Payments/*", 0),
)
"""Where a pusher is killed: held at the sandbox on the (skip+1)-th call of that kind, which is
after the engine recorded its intent and before any answer arrives."""


def soak(isolated_home: Path, figures: list[str], *, bills: int, wave: int) -> None:
    """`bills` bills (600 in the suite; 10,000 on demand in `tests/bench`) finalised in waves
    while pushers run under 20%+ faults (lost answers among them) and are killed with a call in
    flight, ten times, while the firm receipts, edits and deletes bills already pushed; then
    everything settles.

    Each kill lands where the test chooses: the sandbox holds the chosen call open, the test
    kills the pusher, then lets Xero commit that call (its answer lost) or drop it (it never
    arrived). No timing is guessed, so a fast machine and a slow one test the same thing."""
    faults = (
        "PUT */Invoices=lost:0.3,503:0.1,reset:0.05,500:0.05; "
        "POST */Invoices=lost:0.3,503:0.1; PUT */Payments=lost:0.3,503:0.1,reset:0.05; "
        "PUT */Contacts=lost:0.2,503:0.1; GET /xero/*=500:0.15,503:0.15; "
        "PUT */CreditNotes=lost:0.3,503:0.1; PUT */Allocations=lost:0.3,503:0.1; "
        "POST */Payments/*=lost:0.3,503:0.1"
    )
    # Rate limits are another test's subject: here they would only make the soak wait.
    state = SandboxState.demo(
        tour=False, bills=bills, faults=faults, limits=Limits(per_minute=10**7, per_day=10**9)
    )
    records = state.firm.actionstep["bills"]
    waiting = [i for i, b in records.items() if b["status"] in ("Open", "Closed")]
    for bill_id in waiting:
        records[bill_id]["status"] = "Draft"
    rng = random.Random(5)
    # How long one pusher may take to reach a kill point or to finish: it reads the whole firm
    # first, under faults.
    patience = max(300.0, bills * 0.1)
    landed: Counter[str] = Counter()
    with SandboxServer(state) as server:
        profile = connected_profile(server, isolated_home)
        kills = runs = 0
        finalised: list[int] = []
        untouchable: set[int] = set()
        while kills < 10:
            change(state, rng, finalised, untouchable)
            now = [waiting.pop() for _ in range(min(wave, len(waiting)))]
            finalise(state, now)
            finalised += now
            method, pattern, skip = rng.choice(KILL_POINTS)
            gate = state.holds.arm(method, pattern, skip=skip)
            process = pusher(isolated_home, "--all", unread=True)
            runs += 1
            if gate.wait_arrived(patience, alive=running(process)):
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=60)
                committed = rng.random() < 0.5
                gate.release(process=committed)  # Xero commits it (answer lost), or never saw it
                gate.wait_finished()
                kills += 1
                landed[
                    f"{method} {pattern.lstrip('*/')} #{skip + 1}"
                    f" {'committed' if committed else 'dropped'}"
                ] += 1
            else:
                process.wait(timeout=patience)  # this run made no such call: it finished
            state.holds.disarm(gate)
            assert runs < 40, "the pushers keep finishing before reaching a kill point"
        finalise(state, waiting)
        for _ in range(8):  # then let it finish; failed-for-a-passing-reason bills go again
            done = pusher(isolated_home, "--all", "--json")
            out, err = done.communicate(timeout=patience)
            assert done.returncode in (0, 1) and out.strip(), err
            report = json.loads(out)
            if "error" in report:  # the push as a whole met a fault (the chart's read): again
                continue
            if report["failed"] == 0 and not report["bills"]:
                break  # nothing failed, and nothing was left to do
        state.faults.set("")  # what Xero holds is read back without faults
        workspace = asyncio.run(final_rows(profile))
        faulty = sum(1 for _, _, fault in state.faults.injected if not fault.startswith("slow"))
        received = sum(1 for r in state.received if "/api.xro/" in r.url)
    figures.append(
        f"soak, {bills:,} bills: {kills} kill -9 with a call in flight, in {runs} runs: "
        + ", ".join(f"{n} at {where}" for where, n in sorted(landed.items()))
    )
    counts = assert_exactly_once(state, workspace)
    reconciled = [a for a in profile.history() if a.action == "reconcile"]
    assert reconciled, "at least one kill landed between a batch's intent and its outcome"
    assert counts[BillState.READY] == 0 and counts[BillState.FAILED] == 0, counts
    assert counts[BillState.PUSHED] >= bills * 0.8
    assert counts[BillState.PUSHED] + counts[BillState.BLOCKED] + counts[BillState.PENDING] == len(
        workspace.rows
    )
    assert all(
        row.cause is not None for row in workspace.rows.values() if row.state is BillState.BLOCKED
    )
    assert faulty >= 0.2 * received, (faulty, received)
    assert any(fault == "lost" for _, _, fault in state.faults.injected)
    actions = Counter(a.action for a in profile.history() if a.outcome is not Outcome.FAILED)
    expected = ("update-invoice", "void-invoice", "create-payment", "create-credit-note")
    assert all(actions[action] for action in (*expected, "delete-payment")), actions
