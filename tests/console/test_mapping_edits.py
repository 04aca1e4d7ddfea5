"""Mapping changes as an admin makes them: what is typed exactly is what is chosen, a change
that alters a tax rate or an account's class says so first, an unmap asks, and `u` undoes."""

from __future__ import annotations

from support.pilot import confirming, demo_app, dialog_message, loaded, push_all_ready, until
from textual.widgets import OptionList

from tui.console.app import AxpushApp
from tui.console.dialogs.picker import PickerDialog
from tui.console.screens.mapping import MappingScreen
from tui.core.problems import MappingKey, MappingKind
from tui.service.demo import Demo

INP = MappingKey(MappingKind.TAX, "4")  # "GST on Purchases (10%)", mapped to INPUT
GST = MappingKey(MappingKind.TAX, "1")  # "GST on Income (10%)", mapped to OUTPUT


async def open_row(pilot, app: AxpushApp, words: str) -> MappingScreen:  # type: ignore[no-untyped-def]
    await pilot.press("m")
    await until(pilot, lambda: isinstance(app.screen, MappingScreen))
    screen = app.screen
    assert isinstance(screen, MappingScreen)
    await pilot.press("slash", *words, "enter")
    await until(pilot, lambda: len(screen.keys) == 1)
    return screen


async def test_typing_output_chooses_output_not_exemptoutput(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await until(pilot, loaded(app))
        await open_row(pilot, app, "GST on Purchases")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"OUTPUT")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count == 2)  # OUTPUT and EXEMPTOUTPUT
        highlighted = options.highlighted
        assert highlighted is not None
        assert options.get_option_at_index(highlighted).id == "OUTPUT", "the exact match first"
        await pilot.press("enter")  # 10% for 10%: nothing to ask
        await until(pilot, lambda: demo.profile.mapping().tax_codes.get("4") == "OUTPUT")


async def test_a_change_of_tax_rate_says_old_new_and_the_bills_before_it_is_saved(
    demo: Demo,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, loaded(app))
        await open_row(pilot, app, "GST on Income")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"EXEMPTOUTPUT", "enter")
        await until(pilot, confirming(app))
        text = dialog_message(app)
        assert "OUTPUT GST on Income → EXEMPTOUTPUT GST Free Income" in text
        assert "the tax rate from 10% to 0%" in text and "not yet in Xero use this row" in text
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        assert demo.profile.mapping().tax_codes["1"] == "OUTPUT", "nothing saved"


async def test_del_asks_before_unmapping_and_u_puts_it_back(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, loaded(app))
        mapping = await open_row(pilot, app, "Payments received")
        before = demo.profile.mapping().bank_accounts["receipts"]
        await pilot.press("delete")
        await until(pilot, confirming(app))
        assert "Unmap Payments received" in dialog_message(app)
        await pilot.press("y")
        await until(pilot, lambda: "receipts" not in demo.profile.mapping().bank_accounts)
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await pilot.press("u")
        await until(pilot, lambda: demo.profile.mapping().bank_accounts.get("receipts") == before)
        await pilot.press("escape", "end")
        await until(pilot, lambda: mapping.table.cursor_row == mapping.table.row_count - 1)
        await pilot.press("home")
        await until(pilot, lambda: mapping.table.cursor_row == 0)


async def test_r_recodes_the_invoices_already_in_xero_after_a_correction(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, loaded(app))
        await push_all_ready(pilot, app)
        await open_row(pilot, app, "Consulting")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"260", "enter")  # Other Revenue: the same class and tax
        await until(
            pilot,
            lambda: (
                app.workspace is not None
                and "4002" in app.workspace.mapping.accounts
                and app.workspace.chart.accounts[app.workspace.mapping.accounts["4002"]].code
                == "260"
            ),
        )
        await pilot.press("R")
        await until(pilot, confirming(app))
        question = dialog_message(app)
        assert "book otherwise than the mapping now says" in question and "→" in question
        await pilot.press("y")

        def recoded() -> bool:
            """The open invoices now book to 260. (Waiting for this, not for a "Push finished"
            notice: the first push's may still be showing.)"""
            return any(
                line["AccountCode"] == "260"
                for inv in demo.state.xero.invoices.values()
                for line in inv["LineItems"]
            )

        await until(pilot, recoded)
        await until(pilot, lambda: not app.pushing)
