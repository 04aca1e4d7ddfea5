"""The Actionstep client against the sandbox, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from support.sandbox_time import SandboxTime
from support.sandboxes import clean_sandbox

from tui.core.errors import RemoteUnauthorised, RemoteUnavailable
from tui.core.models import Bill, BillStatus, LineKind
from tui.remote.actionstep.client import ActionstepClient
from tui.remote.transport import RetryPolicy, static_token
from tui.sandbox.server import SandboxServer


def client_for(sandbox: SandboxServer, token: str | None = None) -> ActionstepClient:
    if token is None:
        _, token = sandbox.state.issue_demo_tokens()
    return ActionstepClient(
        sandbox.actionstep_api_url, static_token(token), clock=SandboxTime(sandbox.state)
    )


async def every_bill(client: ActionstepClient) -> list[Bill]:
    """The firm's bills in every status but Deleted (the default), read once; the client closed."""
    try:
        return await client.bills(await client.catalog())
    finally:
        await client.aclose()


async def test_the_firms_bills_arrive_with_lines_clients_and_matters(
    sandbox: SandboxServer,
) -> None:
    client = client_for(sandbox)
    catalog = await client.catalog()
    bills = await every_bill(client)
    firm = sandbox.state.firm.actionstep
    expected = [b for b in firm["bills"].values() if b["status"] != "Deleted"]
    assert len(bills) == len(expected) >= 200
    assert len({b.contact.participant_id for b in bills if b.contact}) >= 40
    assert len({b.matter.matter_id for b in bills if b.matter}) >= 60
    assert {account.number for account in catalog.accounts.values()} >= {"201", "202", "215"}
    assert catalog.tax_codes["1"].rate == Decimal("10")
    for bill in bills:
        assert bill.data_problems == ()
        assert bill.lines, bill.number
        # Actionstep's own totals reconcile with the lines, to the cent.
        assert sum(ln.amount for ln in bill.lines) == bill.total_ex, bill.number
        assert sum(ln.tax for ln in bill.lines) == bill.total_tax, bill.number
        assert bill.total_ex + bill.total_tax == bill.total_inc
    kinds = {line.kind for bill in bills for line in bill.lines}
    assert kinds == {LineKind.FEE, LineKind.DISBURSEMENT}
    assert {b.status for b in bills} == {BillStatus.DRAFT, BillStatus.OPEN, BillStatus.CLOSED}


async def test_a_lone_result_and_an_empty_one_are_both_handled(sandbox: SandboxServer) -> None:
    state = sandbox.state
    with state.lock:  # leave exactly one Open bill
        for record in state.firm.actionstep["bills"].values():
            record["status"] = "Closed"
        first = next(iter(state.firm.actionstep["bills"].values()))
        first["status"] = "Open"
    client = client_for(sandbox)
    try:
        catalog = await client.catalog()
        [bill] = await client.bills(catalog, statuses=("Open",))
        assert bill.bill_id == str(first["id"]) and bill.lines
        assert await client.bills(catalog, statuses=("Draft",)) == []
    finally:
        await client.aclose()


async def test_malformed_records_become_blocked_bills_not_crashes(sandbox: SandboxServer) -> None:
    state = sandbox.state
    with state.lock:
        bills = list(state.firm.actionstep["bills"].values())
        bills[0]["totalInclusive"] = "lots"
        bills[1]["invoiceDate"] = "next Tuesday"
        bills[2]["links"]["theirParticipant"] = "999999"
        entry = next(
            t
            for t in state.firm.actionstep["timeentries"].values()
            if t["links"]["bill"] == bills[3]["id"]
        )
        entry["billableAmount"] = None
        del bills[4]["ourReference"]
    client = client_for(sandbox)
    try:
        parsed = {b.bill_id: b for b in await client.bills(await client.catalog())}
    finally:
        await client.aclose()
    problems = [parsed[str(b["id"])].data_problems for b in bills[:4]]
    assert "totalInclusive is missing or not an amount" in problems[0]
    assert "invoiceDate is not a date: 'next Tuesday'" in problems[1]
    assert "client (participant 999999) was not found in Actionstep" in problems[2]
    assert f"time entry {entry['id']} has no usable billableAmount" in problems[3]
    assert parsed[str(bills[4]["id"])].number == ""


async def test_a_refused_token_says_reconnect(sandbox: SandboxServer) -> None:
    client = client_for(sandbox, token="not-a-token")
    try:
        with pytest.raises(RemoteUnauthorised, match="reconnect"):
            await client.catalog()
    finally:
        await client.aclose()


async def test_an_unreachable_actionstep_is_unavailable_not_a_crash() -> None:
    client = ActionstepClient(
        "http://127.0.0.1:9/api/rest",
        static_token("t"),
        httpx.AsyncHTTPTransport(retries=0),
        retry=RetryPolicy(base=0.01),
    )
    try:
        with pytest.raises(RemoteUnavailable, match="could not be reached"):
            await client.catalog()
    finally:
        await client.aclose()


async def test_a_large_firm_is_read_four_requests_at_a_time_never_more() -> None:
    """Once the first page says how many there are, the rest are asked for side by side: four
    pages are held open at the sandbox at once, and no fifth request arrives while they are."""
    with clean_sandbox(bills=1500) as sandbox:
        gate = sandbox.state.holds.arm("GET", "*/bills", count=4, skip=1)
        client = client_for(sandbox)
        try:
            catalog = await client.catalog()
            reading = asyncio.ensure_future(client.bills(catalog))
            assert await asyncio.to_thread(gate.wait_arrived)
            with sandbox.state.lock:
                assert sandbox.state.actionstep_in_flight == 4
            gate.release()
            bills = await reading
        finally:
            await client.aclose()
        firm = sandbox.state.firm.actionstep
        expected = sorted(str(b["id"]) for b in firm["bills"].values() if b["status"] != "Deleted")
        assert sorted(b.bill_id for b in bills) == expected
        assert all(b.lines for b in bills), "every bill's lines, from chunks read side by side"
        assert sandbox.state.actionstep_peak == 4


async def test_a_429_halves_the_requests_in_flight_and_the_read_completes() -> None:
    with clean_sandbox(bills=1500, faults="GET */timeentries=seq:429-minute") as sandbox:
        client = client_for(sandbox)
        bills = await every_bill(client)
        assert client.in_flight.limit == 2, "halved, and not yet grown back"
        firm = sandbox.state.firm.actionstep
        assert len(bills) == sum(1 for b in firm["bills"].values() if b["status"] != "Deleted")
        assert all(b.lines for b in bills)
