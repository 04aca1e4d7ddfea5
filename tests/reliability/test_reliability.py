"""The promise, tested the hard way: every pushable bill in Xero exactly once with the right
totals, whatever the network does and however often the pusher is killed."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from support.soak import (
    assert_exactly_once,
    connected_profile,
    final_rows,
    pusher,
    running,
    soak,
)

from tui.core.jobs import Outcome
from tui.core.status import BillState
from tui.sandbox.actionstep_books import ActionstepBooks
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.store.profile import Profile


def test_a_soak_with_faults_and_kill_9_leaves_every_bill_in_xero_exactly_once(
    isolated_home: Path, figures: list[str]
) -> None:
    soak(isolated_home, figures, bills=600, wave=50)


def test_two_pushers_at_once_one_is_refused_by_name_and_nothing_doubles(
    isolated_home: Path,
) -> None:
    state = SandboxState.demo(tour=False)
    with SandboxServer(state) as server:
        profile = connected_profile(server, isolated_home)
        gate = state.holds.arm("PUT", "*/Invoices")  # the first push is mid-batch here
        first = pusher(isolated_home, "--all")
        assert gate.wait_arrived(alive=running(first))
        second = pusher(isolated_home, "--all")
        _, err = second.communicate(timeout=60)
        gate.release()
        first.communicate(timeout=120)
        state.holds.disarm(gate)
        assert second.returncode == 1
        assert "another push is running for this profile" in err and "pid" in err
        assert first.returncode == 0
        workspace = asyncio.run(final_rows(profile))
    assert_exactly_once(state, workspace)


def test_a_damaged_outbox_is_set_aside_and_nothing_is_pushed_twice(isolated_home: Path) -> None:
    state = SandboxState.demo(tour=False)
    with SandboxServer(state) as server:
        profile = connected_profile(server, isolated_home)
        first = pusher(isolated_home, "--bill", "10001", "10002", "10003")
        assert first.wait(timeout=60) == 0
        outbox = profile.root / "outbox" / "jobs-0.json"
        outbox.write_bytes(outbox.read_bytes()[:-40])  # cut short, as by a full disk
        again = pusher(isolated_home, "--all", "--json")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert "outbox/jobs-0.json could not be read" in err and "damaged" in err
        report = json.loads(out)
        assert report["adopted"] == 3 and report["failed"] == 0
        workspace = asyncio.run(final_rows(Profile.named("default", home=isolated_home)))
    assert list((profile.root / "outbox").glob("jobs-0.json.damaged-*"))
    counts = assert_exactly_once(state, workspace)
    assert counts[BillState.READY] == 0


@pytest.mark.parametrize(
    "damage",
    [
        {"totalInclusive": -50},
        {"totalInclusive": "12,50"},
        {"ourReference": "Ω" * 300},
        {"theirParticipant": None},
        {"currency": "NZD"},
        {"totalSalesTax": 1},
    ],
)
def test_bad_input_from_actionstep_blocks_the_bill_with_a_reason(
    isolated_home: Path, damage: dict[str, object]
) -> None:
    state = SandboxState.demo(tour=False)
    bill = state.firm.actionstep["bills"][801]
    for key, value in damage.items():
        if key == "theirParticipant":
            bill["links"][key] = value
        else:
            bill[key] = value
    with SandboxServer(state) as server:
        profile = connected_profile(server, isolated_home)
        workspace = asyncio.run(final_rows(profile))
    row = workspace.rows["801"]
    assert row.state is BillState.BLOCKED and row.reason
    assert row.cause is not None


def test_an_edit_that_keeps_the_total_is_not_taken_as_done_after_a_crash(
    isolated_home: Path,
) -> None:
    """A fee moved from one account to another (the total unchanged) is being sent when the
    pusher is killed, and Xero never got it: the restart must see Xero still books the fee to
    the old account, say so, and send the update again, not call it done by its total."""
    state = SandboxState.demo(tour=False)
    with SandboxServer(state) as server:
        connected_profile(server, isolated_home)
        first = pusher(isolated_home, "--bill", "10001")
        assert first.wait(timeout=120) == 0
        before = state.xero.invoice("10001")
        assert before is not None
        assert {line["AccountCode"] for line in before["LineItems"]} == {"201"}
        with state.lock:
            ActionstepBooks(state.firm.actionstep, state.clock.now).recode(801, 4001, 4003)
        gate = state.holds.arm("POST", "*/Invoices")
        update = pusher(isolated_home, "--bill", "10001")
        assert gate.wait_arrived(alive=running(update))
        update.send_signal(signal.SIGKILL)
        update.wait(timeout=60)
        gate.release(process=False)  # it never reached Xero
        gate.wait_finished()
        state.holds.disarm(gate)
        assert state.xero.invoice("10001") == before, "nothing changed in Xero"

        again = pusher(isolated_home, "--all", "--json")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        report = json.loads(out)
        assert report["updated"] == 1 and report["failed"] == 0, report
        after = state.xero.invoice("10001")
        assert after is not None and after["Total"] == before["Total"]
        assert {line["AccountCode"] for line in after["LineItems"]} == {"202"}
    attempts = [
        (a.action, a.outcome, a.message)
        for a in Profile.named("default", home=isolated_home).history()
        if a.number == "10001"
    ]
    assert not any("found updated" in message for _, _, message in attempts), attempts
    assert ("reconcile", Outcome.FAILED) in [(a, o) for a, o, _ in attempts]


def test_a_create_whose_answer_was_lost_then_recoded_is_updated_not_adopted_as_current(
    isolated_home: Path,
) -> None:
    """Xero commits the invoice but the pusher is killed before the answer; then the fee is
    moved to another account in Actionstep (same total). The restart finds the invoice as it
    was sent, adopts it as that version, and updates it to the bill as it is now."""
    state = SandboxState.demo(tour=False)
    with SandboxServer(state) as server:
        connected_profile(server, isolated_home)
        gate = state.holds.arm("PUT", "*/Invoices")
        create = pusher(isolated_home, "--bill", "10001")
        assert gate.wait_arrived(alive=running(create))
        create.send_signal(signal.SIGKILL)
        create.wait(timeout=60)
        gate.release(process=True)  # Xero commits it; the answer goes nowhere
        gate.wait_finished()
        state.holds.disarm(gate)
        sent = state.xero.invoice("10001")
        assert sent is not None and {li["AccountCode"] for li in sent["LineItems"]} == {"201"}
        with state.lock:
            ActionstepBooks(state.firm.actionstep, state.clock.now).recode(801, 4001, 4003)

        again = pusher(isolated_home, "--all", "--json")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        report = json.loads(out)
        assert (report["adopted"], report["updated"], report["failed"]) == (1, 1, 0), report
        now = state.xero.invoice("10001")
        assert now is not None and now["InvoiceID"] == sent["InvoiceID"]
        assert {li["AccountCode"] for li in now["LineItems"]} == {"202"}
        assert sum(1 for i in state.xero.invoices.values() if i["InvoiceNumber"] == "10001") == 1
