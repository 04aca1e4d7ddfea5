"""Every kind of answer the sandbox gives to what the clients will call, checked against the
official files: Xero's accounting and identity specs and Actionstep's published ones.

Not checked, because the specs do not describe them: 401/403 problem bodies, 429 and plain-text
5xx answers, XML answers, and the OAuth2 token endpoints (form-encoded, outside both files)."""

from __future__ import annotations

from typing import Any

import httpx
from support.contracts import (
    ACTIONSTEP_SPECS,
    XERO_IDENTITY_SPEC,
    XERO_SPEC,
    Exchange,
    RecordingTransport,
    SpecRequest,
    SpecResponse,
    check,
    spec,
)
from support.oauth_helpers import bearer

from tui.sandbox.server import SandboxServer

IDENTITY_SPEC = XERO_IDENTITY_SPEC


async def xero_scenario(server: SandboxServer) -> list[Exchange]:
    """One of each call the push will make, successes and Xero's refusals."""
    recorder = RecordingTransport()
    token, _ = server.state.issue_demo_tokens()
    async with httpx.AsyncClient(
        base_url=server.xero_api_url + "/",
        transport=recorder,
        headers=bearer(token, server.state.xero.tenant_id),
    ) as xero:
        for path in ("Organisation", "Accounts", "TaxRates"):
            await xero.get(path)
        contact = {
            "Name": "Charlotte Walker",
            "ContactNumber": "1201",
            "EmailAddress": "c@example.com",
        }
        created = await xero.put(
            "Contacts",
            params={"summarizeErrors": "false"},
            json={"Contacts": [contact, {"Name": "Telstra"}]},
        )
        contact_id = created.json()["Contacts"][0]["ContactID"]
        await xero.get("Contacts", params={"page": "1", "pageSize": "1000"})
        await xero.get("Contacts", params={"where": 'ContactNumber=="1201"'})

        def invoice(number: str, code: str = "201") -> dict[str, Any]:
            return {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact_id},
                "InvoiceNumber": number,
                "Status": "AUTHORISED",
                "Date": "2026-07-01",
                "DueDate": "2026-07-31",
                "LineAmountTypes": "Exclusive",
                "Reference": "HF-3001",
                "CurrencyCode": "AUD",
                "LineItems": [
                    {
                        "Description": "Fees",
                        "Quantity": 1,
                        "UnitAmount": 100,
                        "LineAmount": 100,
                        "AccountCode": code,
                        "TaxType": "OUTPUT",
                        "TaxAmount": 10,
                    }
                ],
            }

        await xero.put(
            "Invoices",
            params={"summarizeErrors": "false"},
            headers={"Idempotency-Key": "batch-1"},
            json={
                "Invoices": [
                    invoice("10001"),
                    invoice("10002"),
                    invoice("10001"),
                    invoice("10003", "999"),
                ]
            },
        )
        await xero.put("Invoices", json={"Invoices": [invoice("10004", "999")]})  # 400
        await xero.get("Invoices", params={"InvoiceNumbers": "10001,10002"})
        await xero.get("Invoices", params={"page": "1", "Statuses": "AUTHORISED"})
        await xero.post(
            "Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [invoice("10002")]}
        )
        paid = await xero.put(
            "Payments",
            params={"summarizeErrors": "false"},
            json={
                "Payments": [
                    {
                        "Invoice": {"InvoiceNumber": "10001"},
                        "Account": {"Code": "090"},
                        "Date": "2026-07-02",
                        "Amount": 110,
                        "Reference": "axpush:801:1",
                    },
                    {
                        "Invoice": {"InvoiceNumber": "10001"},
                        "Account": {"Code": "090"},
                        "Date": "2026-07-02",
                        "Amount": 5,
                    },
                ]
            },
        )
        await xero.get("Payments", params={"where": 'Reference=="axpush:801:1"'})
        listed = (await xero.get("Invoices", params={"InvoiceNumbers": "10002"})).json()
        invoice_id = listed["Invoices"][0]["InvoiceID"]
        await xero.get(f"Invoices/{invoice_id}")
        await xero.post(f"Invoices/{invoice_id}", json={"Invoices": [{"Status": "VOIDED"}]})
        await xero.post(f"Invoices/{invoice_id}", json={"Invoices": [{"Status": "VOIDED"}]})
        payment_id = paid.json()["Payments"][0]["PaymentID"]
        await xero.post(f"Payments/{payment_id}", json={"Status": "DELETED"})
        await xero.post(f"Payments/{payment_id}", json={"Status": "DELETED"})  # 400: done
        live = (await xero.put("Invoices", json={"Invoices": [invoice("10005")]})).json()
        live_id = live["Invoices"][0]["InvoiceID"]
        note = {
            **{
                k: v
                for k, v in invoice("10005-CR1").items()
                if k not in ("DueDate", "InvoiceNumber")
            },
            "Type": "ACCRECCREDIT",
            "CreditNoteNumber": "10005-CR1",
        }
        made = await xero.put(
            "CreditNotes", params={"summarizeErrors": "false"}, json={"CreditNotes": [note, note]}
        )  # the second: the number is taken
        note_id = made.json()["CreditNotes"][0]["CreditNoteID"]
        for amount in (5, 500):  # the second is more than is left
            await xero.put(
                f"CreditNotes/{note_id}/Allocations",
                params={"summarizeErrors": "false"},
                json={
                    "Allocations": [
                        {"Invoice": {"InvoiceID": live_id}, "Amount": amount, "Date": "2026-07-03"}
                    ]
                },
            )
        await xero.get("CreditNotes", params={"where": 'CreditNoteNumber=="10005-CR1"'})
        await xero.get("CreditNotes", params={"page": "1"})
        await xero.get(f"CreditNotes/{note_id}")
        await xero.post(f"CreditNotes/{note_id}", json={"CreditNotes": [{"Status": "VOIDED"}]})
    async with httpx.AsyncClient(
        base_url=server.base_url + "/xero/", transport=recorder, headers=bearer(token)
    ) as identity:
        connections = (await identity.get("connections")).json()
        await identity.delete(f"connections/{connections[0]['id']}")
    return recorder.exchanges


def operation(exchange: Exchange) -> str:
    parts = exchange.request.url.path.split("/")  # /xero/api.xro/2.0/Name[/id] or /xero/name[/id]
    accounting = parts[2] == "api.xro"
    name = parts[4] if accounting else parts[2]
    suffix = "/{id}" if len(parts) > (5 if accounting else 3) else ""
    if accounting and len(parts) > 6:
        suffix += "/" + parts[6]
    return f"{exchange.request.method} /{name}{suffix} {exchange.status}"


async def test_the_sandboxs_xero_answers_match_the_official_specs(sandbox: SandboxServer) -> None:
    covered = set()
    for exchange in await xero_scenario(sandbox):
        path = exchange.request.url.path
        if path.startswith("/xero/api.xro/2.0/"):
            openapi = spec(XERO_SPEC)
            request = SpecRequest(
                exchange, "/xero/api.xro/2.0", "https://api.xero.com", "/api.xro/2.0"
            )
        else:  # the identity file spells the path /Connections
            openapi = spec(IDENTITY_SPEC)
            request = SpecRequest(
                exchange, "/xero/connections", "https://api.xero.com", "/Connections"
            )
        check(openapi, request)
        check(openapi, request, SpecResponse(exchange))
        covered.add(operation(exchange))
    assert covered == {
        "GET /Organisation 200",
        "GET /Accounts 200",
        "GET /TaxRates 200",
        "PUT /Contacts 200",
        "GET /Contacts 200",
        "PUT /Invoices 200",
        "PUT /Invoices 400",
        "GET /Invoices 200",
        "GET /Invoices/{id} 200",
        "POST /Invoices 200",
        "POST /Invoices/{id} 200",
        "POST /Invoices/{id} 400",
        "PUT /Payments 200",
        "GET /Payments 200",
        "POST /Payments/{id} 200",
        "POST /Payments/{id} 400",
        "PUT /CreditNotes 200",
        "PUT /CreditNotes/{id}/Allocations 200",
        "GET /CreditNotes 200",
        "GET /CreditNotes/{id} 200",
        "POST /CreditNotes/{id} 400",
        "GET /connections 200",
        "DELETE /connections/{id} 204",
    }


async def test_the_sandboxs_actionstep_answers_match_the_published_specs(
    sandbox: SandboxServer,
) -> None:
    recorder = RecordingTransport()
    _, token = sandbox.state.issue_demo_tokens()
    async with httpx.AsyncClient(
        base_url=sandbox.actionstep_api_url + "/",
        transport=recorder,
        headers={"Authorization": f"Bearer {token}"},
    ) as rest:
        for resource in ACTIONSTEP_SPECS:
            await rest.get(resource, params={"pageSize": "200"})
            await rest.get(resource, params={"page": "2", "pageSize": "20"})
        await rest.get("bills/801,802")
        await rest.get("participants", params={"include": "division", "fields": "displayName"})
    covered = set()
    for exchange in recorder.exchanges:
        resource = exchange.request.url.path.split("/rest/")[1].split("/")[0]
        request = SpecRequest(exchange, "/actionstep/api/rest", "http://localhost", "")
        request.path = f"/{resource}"  # id lists (/bills/801,802) answer as the collection does
        check(spec(ACTIONSTEP_SPECS[resource]), request, SpecResponse(exchange))
        covered.add(resource)
    assert covered == set(ACTIONSTEP_SPECS)
