"""The console as an admin uses it, driven by Textual's Pilot against the demo over loopback."""

from __future__ import annotations

import asyncio

import pytest
from support.faults import FaultyTransport, calls_to, writes_to
from support.pilot import confirming, demo_app, loaded, push_all_ready, screen_text, until
from textual.widgets import Log, OptionList, Static

from tui.console.app import AxpushApp
from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.dialogs.help import HelpDialog
from tui.console.dialogs.picker import PickerDialog
from tui.console.screens.bills import BillsScreen
from tui.console.screens.mapping import MappingScreen
from tui.console.screens.push_log import PushLogScreen
from tui.console.widgets.virtual_table import VirtualTable
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.service.demo import Demo, running_demo
from tui.service.session import Session
from tui.store.profile import Profile


def summary_text(app: AxpushApp) -> str:
    return str(app.screen.query_one("#summary", Static).render())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_demo_opens_on_the_firms_bills(demo: Demo, size: tuple[int, int]) -> None:
    app = demo_app(demo)
    async with app.run_test(size=size) as pilot:
        await until(pilot, loaded(app))
        await pilot.pause()
        assert isinstance(app.screen, BillsScreen)
        assert app.workspace is not None
        table = app.screen.query_one("#bills", VirtualTable)
        assert table.row_count == len(app.workspace.rows) >= 200
        counts = app.workspace.counts()
        assert counts[BillState.READY] > 150 and counts[BillState.BLOCKED] >= 3
        assert f"ready {counts[BillState.READY]}" in summary_text(app)


async def test_pushing_all_ready_bills_puts_them_in_xero_and_shows_them_pushed(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        assert app.workspace is not None
        ready = [b for b, r in app.workspace.rows.items() if r.state is BillState.READY]
        paid_in_xero = {inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()}
        await push_all_ready(pilot, app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        numbers = {inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()}
        assert numbers == {app.workspace.rows[b].bill.number for b in ready}
        pushed = len(ready) - 1  # the bill paid in Xero, then edited, cannot go
        assert app.workspace.counts()[BillState.PUSHED] == pushed
        assert len(paid_in_xero) == 2
        table = app.screen.query_one("#bills", VirtualTable)
        assert str(table.get_cell(ready[0], "state")) == "pushed"
        await until(pilot, lambda: "create-invoice created" in screen_text(app))  # its history
        assert f"pushed {pushed}" in summary_text(app) and "failed 1" in summary_text(app)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, PushLogScreen))
        log = app.screen.query_one(Log)
        created = pushed - 1  # the one paid in Xero and unchanged since is adopted
        by_number = {inv["InvoiceNumber"]: inv for inv in demo.state.xero.invoices.values()}
        receipted = [
            r
            for r in app.workspace.rows.values()
            if r.state is BillState.PUSHED and r.bill.total_paid > 0
        ]
        for row in receipted:  # what Actionstep received is what Xero shows paid
            assert by_number[row.bill.number]["AmountPaid"] == row.bill.total_paid
        paid = len(receipted) - 1  # the adopted one was paid in Xero already
        assert paid > 0
        [written_off] = [r for r in app.workspace.rows.values() if r.bill.credited > 0]
        assert by_number[written_off.bill.number]["AmountCredited"] == written_off.bill.credited
        assert any(
            f"{created} created, 1 adopted, {paid} paid, 1 credited, 1 failed" in line
            for line in log.lines
        )
        assert any(line.split()[1] == "created" for line in log.lines)


async def test_a_blocked_bill_opens_its_mapping_row_and_mapping_it_makes_it_ready(
    demo: Demo,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        assert app.workspace is not None
        blocked = sorted(
            (
                r
                for r in app.workspace.rows.values()
                if r.state is BillState.BLOCKED and "Mediation" in r.brief
            ),
            key=lambda r: r.bill.number,
        )
        assert len(blocked) == 7
        await pilot.press("slash", *"mediation", "enter")
        table = app.screen.query_one("#bills", VirtualTable)
        await until(pilot, lambda: table.row_count == len(blocked))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        mapping = app.screen
        assert isinstance(mapping, MappingScreen)
        await until(
            pilot,
            lambda: (
                (row := mapping._current()) is not None and row.source_label == "215 Mediation Fees"
            ),
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"other rev")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count == 1)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: all(
                app.workspace.rows[r.bill.bill_id].state  # type: ignore[union-attr]
                is BillState.READY
                for r in blocked
            ),
        )
        await app.workers.wait_for_complete()
        assert app.workspace is not None
        other_revenue = app.workspace.chart.account_by_code("260")
        assert other_revenue is not None
        assert demo.profile.mapping().accounts["4005"] == other_revenue.account_id
        [change] = demo.profile.mapping_changes()
        assert (change.how, change.subject, change.old_label, change.new_label) == (
            "set",
            "215 Mediation Fees",
            "",
            "260 Other Revenue",
        )
        assert change.who == app.workspace.who
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BillsScreen))
        assert not any("Mediation" in r.brief for r in app.workspace.rows.values())


async def test_question_mark_shows_the_keys_of_the_view(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog))
        text = screen_text(app)
        for words in ("Push every ready or changed bill", "Filter", "Mapping view", "blocked"):
            assert words in text
        assert text.index("Select the bill") < text.index("Mapping view"), "the view's keys first"
        assert "Cursor up" not in text and "^q" not in text, "only axpush's own keys"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, BillsScreen))


async def test_a_profile_with_no_connection_says_what_to_do(isolated_home: object) -> None:
    profile = Profile.named("fresh")

    app = AxpushApp(Session(profile))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.load_error is not None)
        await pilot.pause()
        assert "not connected" in summary_text(app) and "axpush demo" in summary_text(app)


async def test_a_second_push_waits_and_quitting_mid_push_asks_first(demo: Demo) -> None:
    held = FaultyTransport(hold=[writes_to("/Invoices")])
    app = demo_app(demo, held)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("P")
        await until(pilot, confirming(app))
        await pilot.press("y")
        await until(pilot, lambda: any(r.url.path.endswith("/Invoices") for r in held.seen))
        assert app.pushing
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("already running" in n.message for n in app._notifications)
        await pilot.press("q")
        await until(pilot, confirming(app))
        await pilot.press("n")  # keep going
        held.release.set()
        await until(pilot, lambda: not app.pushing)
        assert app.workspace is not None
        assert app.workspace.counts()[BillState.PUSHED] == len(demo.state.xero.invoices) - 1


async def test_when_actionstep_is_down_the_console_says_so_and_r_retries(demo: Demo) -> None:
    down = FaultyTransport(refuse=[calls_to("/actionstep/")])
    app = demo_app(demo, down)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.load_error is not None)
        await pilot.pause()
        assert "Could not load: Actionstep could not be reached" in summary_text(app)
        assert "Press r to try again" in summary_text(app)
        assert any(n.severity == "error" for n in app._notifications)
        down.refuse.clear()
        await pilot.press("r")
        await until(pilot, loaded(app))
        await pilot.pause()
        assert app.load_error is None and "220 bills" in summary_text(app)


async def test_p_while_the_firm_is_still_loading_says_so_and_pushes_nothing(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        gate = demo.state.holds.arm("GET", "*/bills")  # the reload's sync waits at Actionstep
        await pilot.press("r")
        assert await asyncio.to_thread(gate.wait_arrived)
        await pilot.press("P")
        await until(pilot, lambda: any(n.title == "Still loading" for n in app._notifications))
        [told] = [n.message for n in app._notifications if n.title == "Still loading"]
        assert told.startswith("Syncing the bills changed in Actionstep")
        assert isinstance(app.screen, BillsScreen) and not app.pushing
        gate.release()
        await until(pilot, loaded(app))
        await pilot.press("P")
        await until(pilot, confirming(app))


async def test_an_outage_longer_than_the_retries_fails_then_f_re_pushes(
    isolated_home: object,
) -> None:
    with running_demo(faults="PUT */Invoices=seq:ok,503,503,503,503") as demo:
        app = demo_app(demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, loaded(app))
            assert app.workspace is not None
            await push_all_ready(pilot, app)
            failed = [r for r in app.workspace.rows.values() if r.state is BillState.FAILED]
            causes = {r.cause for r in failed}
            assert causes == {Cause.XERO_UNAVAILABLE, Cause.ALREADY_SETTLED}
            assert sum(r.cause is Cause.XERO_UNAVAILABLE for r in failed) == 50  # a batch
            offline = next(r for r in failed if r.cause is Cause.XERO_UNAVAILABLE)
            assert "The Organisation is Offline" in offline.reason
            await pilot.press("f")
            await until(pilot, confirming(app))
            await pilot.press("y")
            await until(pilot, lambda: not app.pushing)
            still = [r for r in app.workspace.rows.values() if r.state is BillState.FAILED]
            assert [r.cause for r in still] == [Cause.ALREADY_SETTLED]


async def test_a_trial_organisation_is_named_and_confirmed_once(demo: Demo) -> None:
    demo.state.xero.organisation["Class"] = "TRIAL"
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(app))
        await pilot.pause()
        assert "[TRIAL]" in screen_text(app)
        await pilot.press("P")
        await until(pilot, confirming(app))
        assert "is a TRIAL Xero organisation" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, BillsScreen))
        assert len(demo.state.xero.invoices) == 2, "nothing was pushed"
        await pilot.press("P")
        await until(pilot, confirming(app))
        await pilot.press("y")  # use it
        await until(
            pilot, lambda: isinstance(app.screen, ConfirmDialog) and "Push " in screen_text(app)
        )
        await pilot.press("y")
        await until(
            pilot,
            lambda: (
                not app.pushing
                and app.workspace is not None
                and app.workspace.counts()[BillState.PUSHED] > 0
            ),
        )
        await app.workers.wait_for_complete()
    assert demo.profile.connection().binding.trial_confirmed


async def test_signing_in_again_from_the_connections_view_over_ssh(demo: Demo) -> None:
    """c, x: the URL to open elsewhere is shown; pasting back where the browser ended signs in
    again, and the bills are read again with the new tokens."""
    import httpx
    from textual.widgets import Input, TextArea

    from tui.console.dialogs.sign_in import PasteBackDialog
    from tui.console.screens.connections import ConnectionsScreen

    before = demo.profile.token("xero")
    app = demo_app(demo)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
        await until(pilot, lambda: "organisation" in screen_text(app))
        assert "connected" in screen_text(app) and "calls left" in screen_text(app)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PasteBackDialog))
        url = app.screen.query_one("#sign-in-url", TextArea).text
        async with httpx.AsyncClient() as browser:  # the admin's own machine
            ended_on = (await browser.get(url)).headers["location"]
        app.screen.query_one("#sign-in-paste", Input).value = ended_on
        await pilot.press("enter")
        await until(pilot, lambda: any(n.title == "Signed in" for n in app._notifications))
        await until(pilot, loaded(app))
    after = demo.profile.token("xero")
    assert before is not None and after is not None
    assert after["access_token"] != before["access_token"]


async def test_with_xeros_daily_limit_used_up_the_bills_still_show_with_the_pause(
    demo: Demo,
) -> None:
    """The day's calls are spent: the console opens on Actionstep's bills and the chart as
    last read, says Xero is paused and until when, and pushes nothing."""
    first = demo_app(demo)
    async with first.run_test(size=(120, 40)) as pilot:
        await until(pilot, loaded(first))  # the chart is read, and kept
    with demo.state.lock:
        demo.state.limits.exhaust(demo.state.xero.tenant_id, "day")
    again = demo_app(demo)
    async with again.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, loaded(again))
        assert again.load_error is None and again.workspace is not None
        assert len(again.workspace.rows) == 220
        await until(pilot, lambda: "daily call limit" in summary_text(again))
        assert "pushing resumes after" in summary_text(again)
        assert again.workspace.counts()[BillState.READY] > 0
        before = len(demo.state.xero.invoices)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(again.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: not again.pushing)
        assert len(demo.state.xero.invoices) == before, "nothing was pushed while paused"


async def test_at_60_columns_the_bills_keep_their_state_and_reason(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(60, 24)) as pilot:
        await until(pilot, loaded(app))
        await pilot.pause()
        text = screen_text(app)
        assert " ready" in text and " blocked " in text, "the state is spelled out"
        assert "204 Conv" in text, "the reason is still there"
        header = next(line for line in text.splitlines() if "Bill" in line and "Total" in line)
        assert "Date" not in header and "State" in header, "the date gave way first"
