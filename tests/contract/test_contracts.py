"""What the clients send and what the sandbox answers, checked against the official OpenAPI
descriptions of Xero and Actionstep (tests/specs)."""

from __future__ import annotations

from decimal import Decimal

from support.contracts import (
    ACTIONSTEP_SPECS,
    XERO_SPEC,
    Exchange,
    RecordingTransport,
    SpecRequest,
    SpecResponse,
    check,
    spec,
)

from tui.core.status import BillState
from tui.remote.transport import RetryPolicy
from tui.sandbox.actionstep_books import ActionstepBooks
from tui.service import pushing
from tui.service.demo import Demo
from tui.service.session import Session
from tui.service.workspace import Workspace

XERO_PREFIX = "/xero/api.xro/2.0"
ACTIONSTEP_PREFIX = "/actionstep/api/rest"
# Served for the mapping, but not in Actionstep's published files (see README, "Assumptions").
ACTIONSTEP_UNSPECIFIED = {"accounts", "taxcodes"}


def operation(exchange: Exchange, prefix: str) -> str:
    path = exchange.request.url.path[len(prefix) :].split("/")
    return f"{exchange.request.method} /{path[1]}"


async def traffic_of_a_demo_push(demo: Demo) -> list[Exchange]:
    recorder = RecordingTransport()
    workspace = await Workspace.connect(
        Session(demo.profile, transport=recorder, retry=RetryPolicy(2, base=0.0))
    )
    try:
        await workspace.load()
        in_xero = {inv["InvoiceNumber"] for inv in demo.state.xero.invoices.values()}
        ready = [b for b, r in workspace.rows.items() if r.state is BillState.READY]
        fresh = [b for b in ready if workspace.rows[b].bill.number not in in_xero][:60]
        await pushing.push(workspace, fresh, lambda _e: None)
        # Bills Xero already holds (the demo's tour): duplicates, then the look-up.
        await pushing.push(
            workspace,
            [b for b in ready if b not in fresh and workspace.rows[b].bill.number in in_xero],
            lambda _e: None,
        )
        # Then Actionstep changes: an edit (update), a deletion (void), a receipt (payment)
        # whose answer is lost, so the next push looks it up by its Reference.
        with demo.state.lock:
            books = ActionstepBooks(demo.state.firm.actionstep, demo.state.clock.now)
            books.add_fee(int(fresh[0]), "Further advice", Decimal(120))
            books.set_status(int(fresh[1]), "Deleted")
            books.pay(int(fresh[2]), Decimal("50.00"))
        await workspace.sync()
        demo.state.faults.set("PUT */Payments=lost:1")
        await pushing.push(workspace, fresh[:3], lambda _e: None)
        demo.state.faults.set("")
        await pushing.push(workspace, fresh[:3], lambda _e: None)
    finally:
        await workspace.aclose()
    return recorder.exchanges


async def test_xero_requests_and_sandbox_responses_follow_the_xero_spec(demo: Demo) -> None:
    exchanges = [
        e for e in await traffic_of_a_demo_push(demo) if e.request.url.path.startswith(XERO_PREFIX)
    ]
    openapi = spec(XERO_SPEC)
    covered = set()
    for exchange in exchanges:
        request = SpecRequest(exchange, XERO_PREFIX, "https://api.xero.com", "/api.xro/2.0")
        check(openapi, request)
        check(openapi, request, SpecResponse(exchange))
        covered.add(operation(exchange, XERO_PREFIX))
    assert covered == {
        "GET /Organisation",
        "GET /Accounts",
        "GET /TaxRates",
        "GET /Contacts",
        "PUT /Contacts",
        "PUT /Invoices",
        "GET /Invoices",
        "POST /Invoices",
        "PUT /Payments",
        "GET /Payments",
    }


async def test_actionstep_responses_follow_actionsteps_published_specs(demo: Demo) -> None:
    exchanges = [
        e
        for e in await traffic_of_a_demo_push(demo)
        if e.request.url.path.startswith(ACTIONSTEP_PREFIX)
    ]
    covered = set()
    for exchange in exchanges:
        resource = exchange.request.url.path[len(ACTIONSTEP_PREFIX) :].split("/")[1]
        if resource in ACTIONSTEP_UNSPECIFIED:
            continue
        openapi = spec(ACTIONSTEP_SPECS[resource])
        request = SpecRequest(exchange, ACTIONSTEP_PREFIX, "http://localhost", "")
        if exchange.status == 204:
            continue
        check(openapi, request, SpecResponse(exchange))
        covered.add(resource)
    assert covered == {"bills", "timeentries", "disbursements"}
