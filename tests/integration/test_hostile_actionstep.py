"""A hostile or broken Actionstep: what other people typed never reaches the terminal, a CSV or
Xero as an instruction; paging that never ends ends; a record of the wrong shape is named and
blocked while the rest syncs. Each attack is reproduced first, through real HTTP on loopback
(the answers changed at the client's edge where the sandbox itself would not misbehave)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.faults import FaultyTransport
from support.processes import axpush

from tui.core.errors import RemoteError
from tui.core.mapping import Mapping
from tui.core.status import BillState
from tui.core.text import unsafe
from tui.sandbox.server import SandboxServer
from tui.service import pushing
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.service.workspace import Workspace

EVIL = "Evil \x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b]0;pwned\x07 Pty"


async def connect(server: SandboxServer, home: Path) -> None:
    session = Session.open("default", home=home)
    await connect_sandbox(session, server.base_url)
    session.profile.save_mapping(Mapping(*server.state.firm.demo_mapping()))
    session.close()


def connected(server: SandboxServer, home: Path) -> None:
    asyncio.run(connect(server, home))


def bills_page(number: int) -> Callable[[httpx.Request], bool]:
    def match(request: httpx.Request) -> bool:
        return request.url.path.endswith("/rest/bills") and request.url.params.get("page") == str(
            number
        )

    return match


async def sync_through(home: Path, transport: FaultyTransport) -> Workspace:
    """Load and sync the profile's workspace over the given transport; closed by the caller."""
    session = Session.open("default", home=home)
    session.transport = transport
    return await Workspace.opened(session, sync=True, full=True)


def test_escape_sequences_in_a_client_name_reach_neither_the_terminal_nor_csv_nor_xero(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    firm = sandbox.state.firm.actionstep
    bill = firm["bills"][801]
    participant = firm["participants"][int(bill["links"]["theirParticipant"])]
    participant["displayName"] = EVIL
    bill["ourReference"] = '=HYPERLINK("http://evil")'
    connected(sandbox, isolated_home)

    dry = axpush("push", "--all", "--dry-run", home=isolated_home)
    assert dry.returncode == 0, dry.stderr
    assert not unsafe(dry.stdout) and not unsafe(dry.stderr)
    pushed = axpush("push", "--all", home=isolated_home)
    assert pushed.returncode == 0, pushed.stderr
    assert not unsafe(pushed.stdout)
    names = [contact["Name"] for contact in sandbox.state.xero.contacts.values()]
    assert "Evil ]52;c;SGVsbG8=[2J]0;pwned Pty" in names
    assert not any(unsafe(name) for name in names), "Xero gets no control character"

    log = axpush("log", "--csv", home=isolated_home)
    assert log.returncode == 0 and not unsafe(log.stdout)
    rows = list(csv.DictReader(io.StringIO(log.stdout)))
    numbers = {row["number"] for row in rows}
    assert '\'=HYPERLINK("http://evil")' in numbers, "a spreadsheet does not run it"
    assert not any(n.startswith(("=", "+", "@")) for n in numbers)


@pytest.mark.parametrize(
    ("attack", "says"),
    [
        ("repeat", "page 2 repeats page 1"),
        ("beyond", "page 2 of 2 still names a next page"),
        ("changed", "was served twice, with different content"),
    ],
)
async def test_paging_that_never_ends_or_contradicts_itself_ends_with_a_named_error(
    sandbox: SandboxServer, isolated_home: Path, attack: str, says: str
) -> None:
    await connect(sandbox, isolated_home)
    first_page: list[Any] = []

    def hostile(request: httpx.Request, body: Any) -> Any:
        page = int(request.url.params.get("page", "1"))
        if page == 1:
            first_page[:] = body["bills"]
        paging = body["meta"]["paging"]["bills"]
        paging["nextPage"] = "more"  # there is always more
        if attack == "repeat" and page > 1:
            body["bills"] = first_page
        if attack == "beyond":
            paging["pageCount"] = 2
        if attack == "changed" and page == 2:
            body["bills"] = [{**first_page[0], "totalInclusive": 1}]
            paging["nextPage"] = None
        return body

    transport = FaultyTransport(rewrite=[(lambda r: r.url.path.endswith("/rest/bills"), hostile)])
    with pytest.raises(RemoteError, match=says) as refused:
        await sync_through(isolated_home, transport)
    assert "Actionstep's bills could not be read" in str(refused.value)
    bills_asked = [r for r in transport.seen if r.url.path.endswith("/rest/bills")]
    assert len(bills_asked) <= 3, "it stopped at once, not after thousands of pages"


@pytest.mark.parametrize("meta", [None, [], "paging", {"paging": None}, {"paging": []}])
async def test_a_meta_of_the_wrong_shape_reads_as_the_last_page(
    sandbox: SandboxServer, isolated_home: Path, meta: Any
) -> None:
    await connect(sandbox, isolated_home)

    def broken(request: httpx.Request, body: Any) -> Any:
        body["meta"] = meta
        return body

    transport = FaultyTransport(rewrite=[(bills_page(1), broken)])
    workspace = await sync_through(isolated_home, transport)
    try:
        assert len(workspace.bills) == 200, "page 1 read; nothing says there is more"
    finally:
        await workspace.aclose()


async def test_records_of_the_wrong_shape_are_blocked_by_name_and_the_rest_syncs(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    bills = sandbox.state.firm.actionstep["bills"]
    bills[801]["totalPaid"] = "1e30"
    bills[802]["modifiedTimestamp"] = "2026-07-02T10:00:00"  # no offset
    bills[803]["totalInclusive"] = "-1e400"
    await connect(sandbox, isolated_home)
    transport = FaultyTransport()
    workspace = await sync_through(isolated_home, transport)
    try:
        rows = workspace.rows
        assert rows["801"].state is BillState.BLOCKED and "totalPaid" in rows["801"].reason
        assert rows["802"].state is BillState.BLOCKED and "time zone" in rows["802"].reason
        assert rows["803"].state is BillState.BLOCKED and "totalInclusive" in rows["803"].reason
        assert sum(1 for r in rows.values() if r.state is BillState.READY) > 150, "the rest syncs"
        assert not {"801", "802", "803"} & set(pushing.due(workspace))
    finally:
        await workspace.aclose()
