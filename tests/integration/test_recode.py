"""After a mapping correction, the invoices already in Xero are put right on request: a dry
run lists each old -> new, then the open ones are updated and the paid ones go to triage."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from support.processes import axpush

from tui.core.mapping import Mapping
from tui.core.problems import MappingKey, MappingKind
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.sandbox.server import SandboxServer
from tui.service import mapping_edits
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.service.workspace import Workspace

CONSULTING = MappingKey(MappingKind.ACCOUNT, "4002")
"""Actionstep's 203 Consulting Fees, mapped in the demo to Xero's 201 Legal Fees."""


async def remap_consulting_to_other_revenue(home: Path) -> None:
    session = Session.open("default", home=home)
    workspace = await Workspace.opened(session, sync=False)
    try:
        other = workspace.chart.account_by_code("260")
        assert other is not None
        await mapping_edits.set_row(workspace, CONSULTING, other.account_id)
    finally:
        await workspace.aclose()
        session.close()


def test_a_mapping_correction_recodes_the_invoices_already_in_xero(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    session = Session.open("default", home=isolated_home)
    asyncio.run(connect_sandbox(session, sandbox.base_url))
    session.profile.save_mapping(Mapping(*sandbox.state.firm.demo_mapping()))
    session.close()
    assert axpush("push", "--all", home=isolated_home).returncode == 0
    consulting = {
        inv["InvoiceNumber"]
        for inv in sandbox.state.xero.invoices.values()
        if any(line["AccountCode"] == "201" for line in inv["LineItems"])
    }
    paid = {
        inv["InvoiceNumber"] for inv in sandbox.state.xero.invoices.values() if inv["AmountPaid"]
    }
    asyncio.run(remap_consulting_to_other_revenue(isolated_home))

    dry = axpush("mapping", "recode", "--dry-run", "--json", home=isolated_home)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    numbers = {r["number"] for r in planned["recodes"]}
    assert numbers and numbers <= consulting, "only invoices that book to the changed row"
    example = planned["recodes"][0]
    assert any(line["code"] == "201" for line in example["before"])
    assert any(line["code"] == "260" for line in example["after"])
    assert {r["number"] for r in planned["recodes"] if r["paid_in_xero"]} == numbers & paid
    text = axpush("mapping", "recode", "--dry-run", home=isolated_home).stdout
    assert "would re-code #" in text and "→" in text and "(dry run: nothing was sent)" in text
    assert all(
        not any(line["AccountCode"] == "260" for line in inv["LineItems"])
        for inv in sandbox.state.xero.invoices.values()
    ), "a dry run sends nothing"

    done = axpush("mapping", "recode", home=isolated_home)
    refused = numbers & paid
    assert done.returncode == (1 if refused else 0), done.stderr
    for invoice in sandbox.state.xero.invoices.values():
        if invoice["InvoiceNumber"] in numbers - paid:
            codes = {line["AccountCode"] for line in invoice["LineItems"]}
            assert "260" in codes, invoice["InvoiceNumber"]

    async def states() -> dict[str, tuple[BillState, Cause | None]]:
        workspace = await Workspace.opened(Session.open("default", home=isolated_home), sync=False)
        try:
            return {r.bill.number: (r.state, r.cause) for r in workspace.rows.values()}
        finally:
            await workspace.aclose()

    after = asyncio.run(states())
    assert all(after[n] == (BillState.FAILED, Cause.ALREADY_SETTLED) for n in refused)
    assert all(after[n][0] is BillState.PUSHED for n in numbers - paid)
    again = json.loads(
        axpush("mapping", "recode", "--dry-run", "--json", home=isolated_home).stdout
    )
    assert {r["number"] for r in again["recodes"]} <= refused, "the open ones agree now"
