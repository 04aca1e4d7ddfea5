"""The README's demo tour, key by key, as a newcomer follows it: every problem the demo firm
starts with can be fixed from the console, Xero-side fixes included (simulated Xero, `X`)."""

from __future__ import annotations

from support.pilot import confirming, demo_app, dialog_message, loaded, screen_text, until
from textual.widgets import OptionList

from tui.console.app import AxpushApp
from tui.console.dialogs.picker import PickerDialog
from tui.console.screens.mapping import MappingScreen
from tui.console.screens.triage import TriageScreen
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.sandbox.demo_firm import DEMO_FAULTS
from tui.service.demo import running_demo


async def push(pilot, app: AxpushApp, key: str) -> str:  # type: ignore[no-untyped-def]
    """Press a push key, confirm, wait for the end; returns what the confirmation said."""
    await pilot.press(key)
    await until(pilot, confirming(app))
    said = dialog_message(app)
    await pilot.press("y")
    await until(pilot, lambda: not app.pushing)
    return said


async def filter_to(pilot, screen: MappingScreen, words: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("escape", "slash", *words, "enter")
    await until(pilot, lambda: len(screen.keys) == 1)


async def test_the_whole_demo_tour_can_be_done_from_the_console(isolated_home: object) -> None:
    with running_demo(faults=DEMO_FAULTS) as demo:
        app = demo_app(demo)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await until(pilot, loaded(app))
            workspace = app.workspace
            assert workspace is not None

            def causes() -> dict[Cause | None, int]:
                found: dict[Cause | None, int] = {}
                for row in workspace.rows.values():
                    if row.state in (BillState.FAILED, BillState.BLOCKED):
                        found[row.cause] = found.get(row.cause, 0) + 1
                return found

            # 1. P: the second batch meets Xero offline for longer than the retries last.
            await push(pilot, app, "P")
            assert causes()[Cause.XERO_UNAVAILABLE] == 50
            assert any(" retried " in line for line in app.log_lines)
            # 2. f: once Xero is back, the failed bills go again.
            await push(pilot, app, "f")
            assert Cause.XERO_UNAVAILABLE not in causes()

            # 3. An account without Code: fixed in (simulated) Xero, then r refreshes the chart.
            await pilot.press("m")
            await until(pilot, lambda: isinstance(app.screen, MappingScreen))
            mapping = app.screen
            assert isinstance(mapping, MappingScreen)
            await filter_to(pilot, mapping, "Conveyancing")
            await until(pilot, lambda: "no Code" in screen_text(app))
            await pilot.press("X")
            await until(pilot, lambda: any(n.title == "Simulated Xero" for n in app._notifications))
            await pilot.press("r")
            await until(pilot, lambda: Cause.ACCOUNT_CODE not in causes())

            # 4. 215 Mediation Fees, unmapped: mapped to 260 Other Revenue.
            await filter_to(pilot, mapping, "Mediation")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PickerDialog))
            await pilot.press(*"260")
            await until(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
            await pilot.press("enter")
            await until(pilot, lambda: Cause.MAPPING_MISSING not in causes())

            # 5. GST on Purchases, refused on sales: mapped to OUTPUT (the same 10%).
            await filter_to(pilot, mapping, "Purchases")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PickerDialog))
            await pilot.press(*"OUTPUT", "enter")
            await until(pilot, lambda: Cause.TAX_NOT_ALLOWED not in causes())

            # 6. Push what is now ready.
            await pilot.press("b")
            said = await push(pilot, app, "P")
            assert "create 14 invoices" in said, said
            assert causes() == {Cause.ALREADY_SETTLED: 1}

            # 7. The bill paid in Xero then edited: its payment removed in (simulated) Xero,
            # then re-pushed; Xero takes the update.
            await pilot.press("t")
            await until(pilot, lambda: isinstance(app.screen, TriageScreen))
            triage = app.screen
            assert isinstance(triage, TriageScreen)
            [settled] = [r for r in workspace.rows.values() if r.cause is Cause.ALREADY_SETTLED]
            key, key_number = settled.bill.bill_id, settled.bill.number
            await until(pilot, lambda: key in triage.keys)
            triage.table.move_cursor(row=triage.keys.index(key))
            await until(pilot, lambda: triage.current_key() == key)
            await pilot.press("X")  # the payment goes, in the simulated Xero (not a notice
            # count: the first "Simulated Xero" notice may have timed out by now, or not)
            await until(
                pilot, lambda: (demo.state.xero.invoice(key_number) or {})["AmountPaid"] == 0
            )
            said = await push(pilot, app, "p")
            assert "update 1 invoice" in said, said
            assert causes() == {}, "nothing is left in triage"
            invoice = demo.state.xero.invoice(settled.bill.number)
            assert invoice is not None and invoice["Total"] == settled.bill.total_inc
