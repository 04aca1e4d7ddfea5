"""Any real Xero client can use the sandbox: the official Xero SDK for Python, pointed at it,
reads, creates, updates, pays, deletes a payment, credits and allocates as it would on Xero.
The SDK sends its own date form (`/Date(…)/`), reads every answer into its models, and
expects a refused element back in Xero's formats."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from xero_python import accounting
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.identity import IdentityApi

from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState


def sdk_client(sandbox: SandboxServer) -> Any:
    """The SDK's ApiClient holding the demo's access token, as an app stores a token."""
    token, _ = sandbox.state.issue_demo_tokens()
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id="id", client_secret="s")))
    stored = {
        "access_token": token,
        "refresh_token": "unused",
        "token_type": "Bearer",
        "scope": ["accounting.transactions"],
        "expires_in": 1800,
        "expires_at": 4_000_000_000,
    }
    client.oauth2_token_getter(lambda: stored)
    client.oauth2_token_saver(lambda _token: None)
    return client


@pytest.fixture
def sdk(sandbox: SandboxServer) -> tuple[Any, str, SandboxState]:
    """The SDK's AccountingApi on the sandbox's Xero."""
    api = accounting.AccountingApi(sdk_client(sandbox), base_url=sandbox.xero_api_url)
    return api, sandbox.state.xero.tenant_id, sandbox.state


def fee(amount: float, code: str = "200") -> Any:
    return accounting.LineItem(
        description="Fees", quantity=1.0, unit_amount=amount, account_code=code, tax_type="OUTPUT"
    )


def test_the_official_sdk_works_an_invoice_through_its_life_on_the_sandbox(
    sdk: tuple[Any, str, SandboxState],
) -> None:
    api, tenant, state = sdk
    assert api.get_organisations(tenant).organisations[0].name == state.xero.name
    contact_id = api.get_contacts(tenant, page=1).contacts[0].contact_id
    invoice = accounting.Invoice(
        type="ACCREC",
        contact=accounting.Contact(contact_id=contact_id),
        invoice_number="SDK-1",
        status="AUTHORISED",
        date=date(2026, 7, 1),
        due_date=date(2026, 7, 31),
        line_items=[fee(100.0)],
    )
    created = api.create_invoices(
        tenant, accounting.Invoices(invoices=[invoice]), summarize_errors=False
    ).invoices[0]
    assert created.invoice_id and created.date == date(2026, 7, 1) and created.total == 110

    fetched = api.get_invoice(tenant, created.invoice_id).invoices[0]
    fetched.reference = "round trip"  # every field as the SDK read it, sent back
    api.update_invoice(tenant, fetched.invoice_id, accounting.Invoices(invoices=[fetched]))
    api.update_invoice(  # an update that carries no Date keeps the invoice's own
        tenant,
        fetched.invoice_id,
        accounting.Invoices(invoices=[accounting.Invoice(reference="again")]),
    )
    again = api.get_invoice(tenant, created.invoice_id).invoices[0]
    assert (again.reference, again.date) == ("again", date(2026, 7, 1))

    payment = api.create_payments(
        tenant,
        accounting.Payments(
            payments=[
                accounting.Payment(
                    invoice=accounting.Invoice(invoice_id=created.invoice_id),
                    account=accounting.Account(code="090"),
                    amount=10.0,
                    date=date(2026, 7, 2),
                    reference="sdk",
                )
            ]
        ),
        summarize_errors=False,
    ).payments[0]
    deleted = api.delete_payment(
        tenant, payment.payment_id, accounting.PaymentDelete(status="DELETED")
    ).payments[0]
    assert str(deleted.status).endswith("DELETED")

    note = api.create_credit_notes(
        tenant,
        accounting.CreditNotes(
            credit_notes=[
                accounting.CreditNote(
                    type="ACCRECCREDIT",
                    contact=accounting.Contact(contact_id=contact_id),
                    credit_note_number="SDK-1-CR1",
                    status="AUTHORISED",
                    date=date(2026, 7, 3),
                    line_items=[fee(20.0)],
                )
            ]
        ),
        summarize_errors=False,
    ).credit_notes[0]
    api.create_credit_note_allocation(
        tenant,
        note.credit_note_id,
        accounting.Allocations(
            allocations=[
                accounting.Allocation(
                    invoice=accounting.Invoice(invoice_id=created.invoice_id),
                    amount=22.0,
                    date=date(2026, 7, 3),
                )
            ]
        ),
    )
    [found] = api.get_credit_notes(tenant, where='CreditNoteNumber=="SDK-1-CR1"').credit_notes
    assert found.remaining_credit == 0
    assert api.get_invoice(tenant, created.invoice_id).invoices[0].amount_due == 88


def test_the_official_sdk_reads_a_refused_element_as_xero_sends_it(
    sdk: tuple[Any, str, SandboxState],
) -> None:
    api, tenant, _ = sdk
    contact_id = api.get_contacts(tenant, page=1).contacts[0].contact_id
    refused = accounting.Invoice(
        type="ACCREC",
        contact=accounting.Contact(contact_id=contact_id),
        status="AUTHORISED",
        date=date(2026, 7, 1),
        line_items=[fee(100.0, code="999")],
    )
    [element] = api.create_invoices(
        tenant, accounting.Invoices(invoices=[refused]), summarize_errors=False
    ).invoices
    assert element.has_errors is True and element.date == date(2026, 7, 1)
    assert [e.message for e in element.validation_errors] == [
        "Account code '999' is not a valid code for this document."
    ]
    [payment] = api.create_payments(
        tenant,
        accounting.Payments(
            payments=[
                accounting.Payment(
                    invoice=accounting.Invoice(invoice_number="no such invoice"),
                    account=accounting.Account(code="090"),
                    amount=1.0,
                    date=date(2026, 7, 2),
                )
            ]
        ),
        summarize_errors=False,
    ).payments
    assert payment.has_validation_errors is True


def test_the_official_sdk_finds_its_connections_on_the_sandbox(sandbox: SandboxServer) -> None:
    identity = IdentityApi(sdk_client(sandbox), base_url=sandbox.base_url + "/xero")
    assert [c.tenant_id for c in identity.get_connections()] == [sandbox.state.xero.tenant_id]
