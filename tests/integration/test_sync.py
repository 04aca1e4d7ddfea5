"""Syncing bills from Actionstep: incremental by modifiedTimestamp with an overlap, full on
demand, and what the cache remembers between runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from support.sandboxes import demo_admin as admin

from tui.core.status import BillState
from tui.sandbox.formats import actionstep_stamp
from tui.service.demo import Demo
from tui.service.session import Session
from tui.service.workspace import Workspace


async def opened(demo: Demo) -> Workspace:
    workspace = await Workspace.connect(Session(demo.profile))
    await workspace.load(sync=False)
    return workspace


async def test_an_incremental_sync_reads_only_what_changed(demo: Demo) -> None:
    workspace = await opened(demo)
    try:
        first = await workspace.sync()
        assert first.full and first.fetched == 220
        quiet = await workspace.sync()
        assert not quiet.full and quiet.changed == 0 and quiet.fetched < 20
        before = workspace.bills["801"].total_inc
        await admin(demo, "actionstep/bills/801", {"add_fee": {"amount": "100"}})
        edited = await workspace.sync()
        assert edited.changed == 1
        assert workspace.bills["801"].total_inc == before + Decimal("110.00")
    finally:
        await workspace.aclose()
    reopened = await opened(demo)
    try:
        assert reopened.bills["801"].total_inc == before + Decimal("110.00"), "cached"
    finally:
        await reopened.aclose()


async def test_a_bill_saved_just_before_the_cursor_is_not_missed(demo: Demo) -> None:
    workspace = await opened(demo)
    try:
        await workspace.sync()
        cursor = demo.profile.sync_cursor()
        assert cursor is not None
        with demo.state.lock:  # saved while the last sync was running
            bill = demo.state.firm.actionstep["bills"][805]
            bill["status"] = "Closed"
            bill["modifiedTimestamp"] = actionstep_stamp(cursor - timedelta(minutes=5))
        result = await workspace.sync()
    finally:
        await workspace.aclose()
    assert result.changed == 1 and workspace.bills["805"].status.value == "Closed"


async def test_a_bill_deleted_before_it_reached_xero_leaves_the_list(demo: Demo) -> None:
    workspace = await opened(demo)
    try:
        await workspace.sync()
        assert "802" in workspace.rows
        await admin(demo, "actionstep/bills/802", {"status": "Deleted"})
        await workspace.sync()
        assert "802" not in workspace.rows
        full = await workspace.sync(full=True)
        assert full.full and full.fetched == 220 and "802" not in workspace.rows
        assert workspace.counts()[BillState.READY] > 150
    finally:
        await workspace.aclose()
