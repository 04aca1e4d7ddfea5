"""The Xero client against the sandbox, over real HTTP on loopback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from support.sandbox_time import SandboxTime

from tui.core.errors import RemoteUnauthorised
from tui.core.invoice import InvoiceDraft, InvoiceLine
from tui.core.models import Contact
from tui.remote.transport import static_token
from tui.remote.xero.client import XeroClient
from tui.sandbox.server import SandboxServer

D = Decimal


def client_for(
    sandbox: SandboxServer, *, tenant: str | None = None, token: str | None = None
) -> XeroClient:
    if token is None:
        token, _ = sandbox.state.issue_demo_tokens()
    return XeroClient(
        sandbox.xero_api_url,
        tenant or sandbox.state.xero.tenant_id,
        static_token(token),
        clock=SandboxTime(sandbox.state),
    )


def draft(number: str, contact: str, *lines: InvoiceLine) -> InvoiceDraft:
    return InvoiceDraft(
        "b" + number, number, contact, date(2026, 7, 1), date(2026, 7, 31), "AUD", "HF-1", lines
    )


FEES = InvoiceLine("Professional Fees", "201", "OUTPUT", D("1000.00"), D("100.00"))


async def test_organisation_and_chart_are_read(sandbox: SandboxServer) -> None:
    xero = client_for(sandbox)
    try:
        organisation = await xero.organisation()
        chart = await xero.chart()
    finally:
        await xero.aclose()
    assert organisation.name == "Harbour & Finch Lawyers"
    assert organisation.base_currency == "AUD" and not organisation.is_trial_or_demo
    assert chart.account_by_code("201") is not None
    no_code = [a for a in chart.accounts.values() if a.code is None]
    assert [a.name for a in no_code] == ["Conveyancing Income"]
    assert chart.tax_rates["OUTPUT"].rate == D("10")
    assert not chart.tax_rates["INPUT"].can_apply_to_revenue


async def test_contacts_are_created_in_a_batch_and_indexed_by_contact_number(
    sandbox: SandboxServer,
) -> None:
    xero = client_for(sandbox)
    try:
        results = await xero.create_contacts(
            [Contact("1201", "Charlotte Walker", "c@x.au"), Contact("1202", "Officeworks")]
        )
        index = await xero.contacts_by_number()
    finally:
        await xero.aclose()
    assert results[0].ok and index == {"1201": results[0].remote_id}
    assert not results[1].ok  # the organisation already has an active "Officeworks"
    assert "already assigned to another contact" in results[1].messages[0]


async def test_each_invoice_of_a_batch_gets_its_own_verdict(sandbox: SandboxServer) -> None:
    xero = client_for(sandbox)
    try:
        [contact] = await xero.create_contacts([Contact("1201", "Charlotte Walker")])
        assert contact.remote_id
        contact_id = contact.remote_id
        results = await xero.create_invoices(
            [
                (draft("10001", "1201", FEES), contact_id),
                (
                    draft(
                        "10002",
                        "1201",
                        InvoiceLine("Mediation", "999", "OUTPUT", D("5.00"), D("0.50")),
                    ),
                    contact_id,
                ),
                (
                    draft(
                        "10003", "1201", InvoiceLine("Fees", "201", "INPUT", D("5.00"), D("0.50"))
                    ),
                    contact_id,
                ),
                (draft("10001", "1201", FEES), contact_id),
            ],
            idempotency_key="batch-1",
        )
        found = await xero.invoices_by_number(["10001", "10002"])
    finally:
        await xero.aclose()
    assert [r.ok for r in results] == [True, False, False, False]
    assert results[0].total == D("1100.00")
    assert results[1].messages == ("Account code '999' is not a valid code for this document.",)
    assert results[2].messages == (
        "The TaxType code 'INPUT' cannot be used with account code '201'.",
    )
    assert results[3].messages == ("Invoice # must be unique.",)
    [invoice] = found
    assert (invoice.number, invoice.total, invoice.status) == ("10001", D("1100.00"), "AUTHORISED")
    stored = sandbox.state.xero.invoice("10001")
    assert stored is not None and stored["LineItems"][0]["TaxAmount"] == D("100.00")


async def test_a_wrong_tenant_or_token_is_refused_with_a_reason(sandbox: SandboxServer) -> None:
    wrong_tenant = client_for(sandbox, tenant="00000000-0000-0000-0000-000000000000")
    bad_token = client_for(sandbox, token="expired")
    try:
        with pytest.raises(RemoteUnauthorised, match="403"):
            await wrong_tenant.organisation()
        with pytest.raises(RemoteUnauthorised, match="reconnect"):
            await bad_token.organisation()
    finally:
        await wrong_tenant.aclose()
        await bad_token.aclose()
