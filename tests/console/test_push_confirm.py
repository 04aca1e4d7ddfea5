"""What the admin confirms is what goes: the bills the list shows, each kind of change in Xero
with its amount, and a word about what the filter hides."""

from __future__ import annotations

from decimal import Decimal

from support.pilot import confirming, demo_app, loaded, push_all_ready, screen_text, until

from tui.console.screens.bills import BillsScreen
from tui.console.widgets.virtual_table import VirtualTable
from tui.core.jobs import Operation
from tui.core.status import BillState
from tui.sandbox.actionstep_books import ActionstepBooks
from tui.service.demo import Demo


async def test_p_pushes_what_the_filter_shows_and_says_what_it_hides(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        bills = app.screen
        assert isinstance(bills, BillsScreen)
        table = bills.query_one("#bills", VirtualTable)
        await pilot.press("space")  # selects 10001, and moves down a row
        assert bills.selected == {bills.keys[0]} and table.cursor_row == 1
        await pilot.press("slash", *"10150", "enter")
        await until(pilot, lambda: len(bills.keys) == 1)
        await pilot.press("p")
        await until(pilot, confirming(app))
        text = screen_text(app)
        assert "Push 1 bill to Xero organisation" in text and "#10150" in text
        assert "create 1 invoice" in text and "#10001" not in text
        assert "1 more selected bill is hidden by the filter and not pushed" in text
        await pilot.press("y")
        await until(pilot, lambda: not app.pushing)
        assert app.workspace is not None
        rows = {row.bill.number: row for row in app.workspace.rows.values()}
        assert rows["10150"].state is BillState.PUSHED
        assert rows["10001"].state is BillState.READY, "hidden, so not pushed"


async def test_the_confirmation_names_each_change_in_xero_with_its_amount(demo: Demo) -> None:
    """One bill edited, one deleted and one part-paid in Actionstep after their push, and the
    demo's bill whose receipt bounced once its payment was in Xero: the dialog says an update,
    a void, a reversal and a payment, each with its amount, not a sum of totals."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await push_all_ready(pilot, app)
        books = ActionstepBooks(demo.state.firm.actionstep, demo.state.clock.now)
        with demo.state.lock:
            books.add_fee(801, "Further attendance", Decimal("100"))
            books.set_status(802, "Deleted")
            books.pay(803, Decimal("500.00"))
        await pilot.press("r")
        await until(
            pilot,
            lambda: app.workspace is not None and app.workspace.counts()[BillState.CHANGED] == 4,
        )
        assert app.workspace is not None
        [reversal] = [
            r.due
            for r in app.workspace.rows.values()
            if r.due is not None and r.due.operation is Operation.REVERSE
        ]
        await pilot.press("P")
        await until(pilot, confirming(app))
        text = screen_text(app)
        assert "Push 4 bills" in text
        assert "update 1 invoice" in text and "void 1 invoice" in text
        assert f"reverse receipts on 1 invoice  AUD {reversal.amount or 0:,.2f}" in text
        assert "record 1 payment  AUD 500.00" in text


async def test_every_action_is_in_the_command_palette_by_its_name(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("ctrl+p")
        await pilot.press(*"push every ready")
        await until(pilot, lambda: "ready or changed bill" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, confirming(app))
        assert "Push 195 bills" in screen_text(app)
