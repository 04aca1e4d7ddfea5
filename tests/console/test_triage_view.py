"""The Triage view as an admin uses it: failures grouped by cause, each with its fix, and one key
to act (re-push, open the mapping, copy the Xero link, mark resolved)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from support.pilot import (
    confirming,
    demo_app,
    dialog_message,
    loaded,
    push_all_ready,
    screen_text,
    until,
)
from textual.widgets import OptionList

from tui.console.app import AxpushApp
from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.dialogs.picker import PickerDialog
from tui.console.dialogs.resolve import ResolveDialog
from tui.console.screens.mapping import MappingScreen
from tui.console.screens.triage import GROUP, TriageScreen
from tui.core.jobs import Outcome
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.sandbox.actionstep_books import ActionstepBooks
from tui.sandbox.formats import xero_date
from tui.service import pushing
from tui.service.demo import Demo, running_demo


async def open_triage(pilot, app: AxpushApp) -> TriageScreen:  # type: ignore[no-untyped-def]
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, TriageScreen))
    screen = app.screen
    assert isinstance(screen, TriageScreen)
    return screen


async def cursor_to(pilot, screen: TriageScreen, key: str) -> None:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: key in screen.keys)
    screen.table.move_cursor(row=screen.keys.index(key))
    await until(pilot, lambda: screen.current_key() == key)


async def test_an_outage_lands_in_triage_as_xero_unavailable_and_p_re_pushes_the_group(
    isolated_home: object,
) -> None:
    with running_demo(faults="PUT */Invoices=seq:ok,503,503,503,503") as demo:
        app = demo_app(demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, loaded(app))
            await push_all_ready(pilot, app)
            triage = await open_triage(pilot, app)
            group = GROUP + Cause.XERO_UNAVAILABLE.value
            await cursor_to(pilot, triage, group)
            text = screen_text(app)
            assert "Xero unavailable" in text and "50 bills" in text
            assert Cause.XERO_UNAVAILABLE.fix in text.replace("\n", " ") or "Fix:" in text

            await pilot.press("P")
            await until(pilot, confirming(app))
            assert "Push 50 bills" in screen_text(app)
            await pilot.press("y")
            await until(pilot, lambda: not app.pushing)
            await until(pilot, lambda: group not in triage.keys)

            assert app.workspace is not None
            numbers = [inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()]
            assert len(numbers) == len(set(numbers)), "nothing doubled"
            left = {cause for cause, _ in app.workspace.triage()}
            assert Cause.XERO_UNAVAILABLE not in left


async def test_a_bill_paid_in_xero_then_edited_shows_the_fix_links_to_xero_and_is_resolved(
    demo: Demo,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await push_all_ready(pilot, app)
        assert app.workspace is not None
        [settled] = [r for r in app.workspace.rows.values() if r.cause is Cause.ALREADY_SETTLED]
        bill_id, number = settled.bill.bill_id, settled.bill.number
        theirs = next(i for i in demo.state.xero.invoices.values() if i["InvoiceNumber"] == number)
        triage = await open_triage(pilot, app)
        await cursor_to(pilot, triage, bill_id)
        await until(pilot, lambda: "History" in screen_text(app))
        text = screen_text(app)
        assert f"invoice {number} is paid in Xero" in text and "Fix:" in text
        assert "create-invoice failed" in text

        await pilot.press("y")
        await pilot.pause()
        link = app.clipboard
        assert link.startswith("https://go.xero.com/organisationlogin/default.aspx?shortcode=")
        assert theirs["InvoiceID"] in link

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ResolveDialog))
        await pilot.press("enter")  # no reason given: refused, still asking
        await pilot.pause()
        assert isinstance(app.screen, ResolveDialog)
        await pilot.press(*"credit note CN-0042 applied in Xero", "enter")
        await until(
            pilot,
            lambda: (
                app.workspace.rows[bill_id].state  # type: ignore[union-attr]
                is BillState.PUSHED
            ),
        )
        await app.workers.wait_for_complete()
        await until(pilot, lambda: bill_id not in triage.keys)

        [resolution] = [
            a
            for a in demo.profile.history()
            if a.bill_id == bill_id and a.outcome is Outcome.RESOLVED
        ]
        assert resolution.message == "credit note CN-0042 applied in Xero"
        assert resolution.who == app.workspace.who and resolution.at is not None
        assert bill_id not in pushing.due(app.workspace), "not pushed again"
        assert "marked resolved" in app.workspace.rows[bill_id].reason


async def test_an_account_without_code_opens_its_mapping_row_and_the_fix_clears_the_group(
    demo: Demo,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        assert app.workspace is not None
        blocked = [
            r.bill.bill_id for r in app.workspace.rows.values() if r.cause is Cause.ACCOUNT_CODE
        ]
        assert len(blocked) == 4
        triage = await open_triage(pilot, app)
        group = GROUP + Cause.ACCOUNT_CODE.value
        await cursor_to(pilot, triage, group)
        assert "Account without Code" in screen_text(app)

        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        mapping = app.screen
        assert isinstance(mapping, MappingScreen)
        await until(
            pilot,
            lambda: (row := mapping._current()) is not None and "Conveyancing" in row.source_label,
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"legal fees")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count == 1)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: all(
                app.workspace.rows[b].state  # type: ignore[union-attr]
                is BillState.READY
                for b in blocked
            ),
        )
        await open_triage(pilot, app)
        await until(pilot, lambda: group not in triage.keys)
        assert "Account without Code" not in screen_text(app)


async def test_after_quitting_mid_push_triage_says_the_answer_may_be_in_xero_and_p_recovers(
    demo: Demo,
) -> None:
    """The admin quits while a batch is at Xero, and Xero commits it anyway. Restarted, the
    console says what is true: each bill was sent and its answer never came, history shows
    the attempt, and re-pushing the group finds the invoices in Xero, counted as the log says."""
    gate = demo.state.holds.arm("PUT", "*/Invoices")
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("P")
        await until(pilot, confirming(app))
        await pilot.press("y")
        await until(pilot, lambda: gate.full)  # the first batch of 50 is at Xero
        await pilot.press("q")
        await until(pilot, confirming(app))
        await pilot.press("y")
    gate.release(process=True)  # Xero commits the batch; its answer goes nowhere
    await asyncio.to_thread(gate.wait_finished)
    demo.state.holds.disarm(gate)
    in_xero = {inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()}

    again = demo_app(demo)
    async with again.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, loaded(again))
        assert again.workspace is not None
        sent = [r for r in again.workspace.rows.values() if r.cause is Cause.INTERRUPTED]
        assert len(sent) == 50 and {r.bill.number for r in sent} <= in_xero
        assert all("it may be in Xero" in r.reason for r in sent)
        triage = await open_triage(pilot, again)
        group = GROUP + Cause.INTERRUPTED.value
        await cursor_to(pilot, triage, group)
        assert "Answer not received" in screen_text(again) and "50 bills" in screen_text(again)
        await cursor_to(pilot, triage, sent[0].bill.bill_id)
        await until(pilot, lambda: "History" in screen_text(again))
        assert "sending" in screen_text(again) and "not yet received" in screen_text(again)

        await cursor_to(pilot, triage, group)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(again.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: not again.pushing)
        await until(pilot, lambda: any(n.title == "Push finished" for n in again._notifications))
        [finished] = [n for n in again._notifications if n.title == "Push finished"]
        adopted = sum(1 for line in again.log_lines if " adopted " in line)
        assert adopted == 50 and "50 adopted" in finished.message, (finished.message, adopted)
    numbers = [inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()]
    assert len(numbers) == len(set(numbers)), "nothing doubled"


async def test_a_payment_refused_for_xeros_lock_date_goes_on_the_first_open_day_once_agreed(
    demo: Demo,
) -> None:
    """The accountant locked the books past the day a receipt was entered: Xero refuses the
    payment. Triage names the lock and its fix; `d` asks, naming the first open day, and the
    payment goes dated on it."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await push_all_ready(pilot, app)
        assert app.workspace is not None
        bill_id = next(
            b
            for b, row in sorted(app.workspace.rows.items())
            if row.state is BillState.PUSHED
            and row.bill.total_paid == 0
            and row.job
            and not row.job.voided
            and row.bill.status.value == "Open"
        )
        lock = demo.state.clock.now().date() + timedelta(days=3)
        with demo.state.lock:
            ActionstepBooks(demo.state.firm.actionstep, demo.state.clock.now).pay(
                int(bill_id), Decimal("25.00")
            )
            demo.state.xero.organisation["PeriodLockDate"] = xero_date(lock)
        await pilot.press("r")
        await until(
            pilot, lambda: app.workspace is not None and bill_id in pushing.due(app.workspace)
        )
        await pilot.press("P")
        await until(pilot, confirming(app))
        await pilot.press("y")
        await until(pilot, lambda: not app.pushing)
        workspace = app.workspace
        assert workspace is not None and workspace.rows[bill_id].cause is Cause.PERIOD_LOCKED

        triage = await open_triage(pilot, app)
        await cursor_to(pilot, triage, bill_id)
        assert Cause.PERIOD_LOCKED.label in screen_text(app)
        await pilot.press("d")
        await until(pilot, confirming(app))
        open_day = lock + timedelta(days=1)
        assert f"on {open_day:%d %b %Y}, the day after Xero's lock date" in dialog_message(app)
        await pilot.press("y")
        await until(pilot, lambda: not app.pushing)

        row = workspace.rows[bill_id]
        assert row.state is BillState.PUSHED, row.reason
        [payment] = [
            p for p in demo.state.xero.payments.values() if p["Reference"] == f"axpush:{bill_id}:1"
        ]
        assert payment["Date"] == xero_date(open_day)
