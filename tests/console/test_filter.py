"""The `/` filter takes what is typed right after it, however fast: a paste over SSH of
`/mediation` filters the list; it does not switch views at the `m` and the `t`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from support.bills import open_bill
from support.pilot import demo_app, loaded, push_all_ready, until
from textual import events

from tui.console.screens.bill_list import BillList
from tui.console.screens.bills import BillsScreen
from tui.console.widgets.filter_input import FilterInput, filter_words
from tui.core.preflight import Verdict
from tui.core.status import BillRow, BillState
from tui.service.demo import Demo


async def test_a_burst_of_keys_after_slash_goes_into_the_filter(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        for typed in "/mediation":  # all queued before any is handled, as a paste is
            app.post_message(events.Key("slash" if typed == "/" else typed, typed))
        screen = app.screen
        assert isinstance(screen, BillsScreen)
        box = screen.query_one(FilterInput)
        await until(pilot, lambda: box.value == "mediation")
        await until(pilot, lambda: len(screen.keys) == 7)
        assert isinstance(app.screen, BillsScreen), "no view key was taken from the filter"
        burst: list[tuple[str, str | None]] = [("enter", None), ("slash", "/")]
        for key, character in burst + [(c, c) for c in "10150"]:  # `enter /10150` at once
            app.post_message(events.Key(key, character))
        await until(pilot, lambda: box.value == "10150" and len(screen.keys) == 1)
        await pilot.press("enter", "escape")  # from the list, esc clears the filter too
        await until(pilot, lambda: box.value == "" and len(screen.keys) == 220)


async def test_a_filter_by_state_follows_bills_as_a_push_changes_them(demo: Demo) -> None:
    """`/ready` after a push shows what is ready now, not what was: the filter's text of a
    bill is made again once its row changed (a large firm's filter keeps it between keys)."""
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen
        assert isinstance(screen, BillsScreen) and app.workspace is not None
        await pilot.press("slash", *"ready", "enter")
        ready = set(screen.keys)
        assert ready and all(app.workspace.rows[k].state is BillState.READY for k in ready)
        await pilot.press("escape")
        await push_all_ready(pilot, app)
        await pilot.press("slash", *"ready", "enter")
        await until(pilot, lambda: screen.filter_words() == ["ready"])
        now = {k for k, row in app.workspace.rows.items() if row.state is BillState.READY}
        assert set(screen.keys) == now and not now & ready
        await pilot.press("escape")
        await pilot.press("slash", *"pushed", "enter")
        rows = app.workspace.rows
        pushed = {k for k in ready if rows[k].state is BillState.PUSHED}
        assert len(pushed) > len(ready) // 2
        await until(pilot, lambda: pushed <= set(screen.keys))


def test_the_bill_list_finds_every_word_in_order_and_sees_a_changed_row() -> None:
    pushed, ready = BillState.PUSHED, BillState.READY
    rows = {b: row(b, f"100{b}", ready) for b in ("3", "1", "2")}
    listed = BillList()
    assert listed.keys(rows, []) == ["1", "2", "3"]
    assert listed.keys(rows, ["ready", "1002"]) == ["2"]
    rows["2"] = row("2", "1002", pushed)  # a new row object: the push changed its state
    assert listed.keys(rows, ["ready"]) == ["1", "3"]
    assert listed.keys(rows, ["pushed"]) == ["2"]
    rows["4"] = row("4", "1000", ready)  # a new bill sorts into place
    assert listed.keys(rows, ["ready"]) == ["4", "1", "3"]


def test_the_bill_list_looks_at_the_rows_again_only_when_their_version_moved() -> None:
    """Between keystrokes nothing is evaluated: the list is filtered, not made again."""
    rows = {b: row(b, f"100{b}", BillState.READY) for b in ("1", "2")}
    listed = BillList()
    assert listed.keys(rows, ["ready"], version=7) == ["1", "2"]
    rows["2"] = row("2", "1002", BillState.PUSHED)  # evaluated: the version moves on with it
    assert listed.keys(rows, ["ready"], version=8) == ["1"]
    assert listed.keys(rows, ["pushed"], version=8) == ["2"]
    rows["1"] = row("1", "1001", BillState.PUSHED)  # not through an evaluation: not seen
    assert listed.keys(rows, ["ready"], version=8) == ["1"]


@given(filters=st.lists(st.text("0123 rdy", max_size=8), max_size=4))
def test_a_filter_typed_on_from_the_last_finds_what_a_fresh_one_finds(
    filters: list[str],
) -> None:
    """Each filter typed key by key (each key narrows the last: it looks among its finds),
    then the next typed afresh: never a bill fewer or more than a fresh list finds."""
    states = (BillState.READY, BillState.PUSHED)
    rows = {str(b): row(str(b), f"1{b:03}", states[b % 2]) for b in range(120)}
    listed = BillList()
    for typed in filters:
        for end in range(len(typed) + 1):
            words = filter_words(typed[:end])
            assert listed.keys(rows, words, version=1) == BillList().keys(rows, words, version=1)


def row(bill_id: str, number: str, state: BillState) -> BillRow:
    return BillRow(open_bill(bill_id, number), state, Verdict((), None), None)
