"""Loading a firm: its bills come in a part at a time (a console shows the first ones while the
rest are read), and nothing can be pushed until every part is in."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.sandboxes import clean_sandbox

from tui.core.errors import UsageError
from tui.core.mapping import Mapping
from tui.service import pushing, syncing
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.service.workspace import Workspace


async def test_a_firm_arrives_a_part_at_a_time_and_is_pushed_only_once_all_is_in(
    isolated_home: Path,
) -> None:
    with clean_sandbox(bills=2500) as sandbox:
        session = Session.open("default", home=isolated_home)
        await connect_sandbox(session, sandbox.base_url)
        session.profile.save_mapping(Mapping(*sandbox.state.firm.demo_mapping()))
        await syncing.sync(session, full=True)
        parts = session.profile.parts()
        assert len(parts) >= 3, "bills by id, a thousand to a file"
        workspace = await Workspace.connect(session)
        arrivals: list[tuple[int, int, str | None]] = []

        def arrived(ids: set[str]) -> None:
            arrivals.append((len(ids), len(workspace.rows), workspace.loading))
            with pytest.raises(UsageError, match="not yet: Reading the bills: part"):
                pushing.guard(workspace)

        try:
            await workspace.load(arrived=arrived)
            assert workspace.loading is None
            pushing.guard(workspace)  # all in: a push may go
            as_loaded = {bill_id: row.state for bill_id, row in workspace.rows.items()}
            workspace.evaluate()  # every bill at once, as before parts
            assert as_loaded == {bill_id: row.state for bill_id, row in workspace.rows.items()}
        finally:
            await workspace.aclose()
            session.close()
    assert [loading for *_, loading in arrivals] == [
        f"Reading the bills: part {n} of {len(parts)}…" for n in range(1, len(parts) + 1)
    ]
    shown = [rows for _, rows, _ in arrivals]
    assert shown == sorted(shown) and shown[0] < shown[-1] == len(as_loaded)
    assert sum(ids for ids, *_ in arrivals) == len(session.profile.cached_bills())
