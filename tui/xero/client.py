"""The Xero Accounting API, for one tenant: what the push reads and writes.

Always JSON (`Accept: application/json`; Xero answers XML otherwise). Writes are `PUT`
(create-only) in batches with `summarizeErrors=false`, so each element reports its own result, and
carry an `Idempotency-Key`. Every failure becomes a `tui.core.errors.RemoteError` whose text is
safe to show: it never includes a token or a header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tui.core.errors import RemoteRateLimited, RemoteRejected, RemoteUnauthorised
from tui.core.invoice import InvoiceDraft
from tui.core.jsonio import dumps, loads
from tui.core.models import Chart, Contact, Organisation
from tui.core.ports import ElementResult, RemoteInvoice
from tui.transport import TokenSource, new_client, plain_excerpt, transport_failure, unavailable
from tui.xero.payloads import (
    contact_payload,
    element_result,
    invoice_payload,
    parse_account,
    parse_organisation,
    parse_remote_invoice,
    parse_tax_rate,
    validation_messages,
)

SERVICE = "Xero"
CONTACTS_PAGE_SIZE = 1000
NUMBERS_PER_LOOKUP = 40
"""Invoice numbers per GET, to keep the query string well under URL limits."""


class XeroClient:
    def __init__(self, api_url: str, tenant_id: str, token: TokenSource,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._token = token
        self.tenant_id = tenant_id
        self._http = new_client(api_url, transport, {"Accept": "application/json",
                                                     "xero-tenant-id": tenant_id})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    body: Any = None, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {await self._token()}"}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = dumps(body)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http.request(method, path, params=params, content=content,
                                                headers=headers)
        except httpx.TransportError as error:
            raise transport_failure(SERVICE, method, error) from None
        if response.status_code == 200:
            try:
                parsed = loads(response.content)
            except ValueError:
                raise RemoteRejected(f"Xero sent something that is not JSON for {path}") from None
            if not isinstance(parsed, dict):
                raise RemoteRejected(f"Xero sent an unexpected body for {path}")
            return parsed
        raise _failure(response, path)

    async def organisation(self) -> Organisation:
        body = await self._call("GET", "Organisation")
        organisations = body.get("Organisations") or []
        if not organisations or not isinstance(organisations[0], dict):
            raise RemoteRejected("Xero returned no organisation for this tenant")
        return parse_organisation(organisations[0])

    async def chart(self) -> Chart:
        """Accounts (every status: an archived one still matters to the mapping) and tax rates."""
        accounts = (await self._call("GET", "Accounts")).get("Accounts") or []
        rates = (await self._call("GET", "TaxRates")).get("TaxRates") or []
        parsed_accounts = [parse_account(a) for a in accounts if isinstance(a, dict)]
        parsed_rates = [parse_tax_rate(r) for r in rates if isinstance(r, dict)]
        return Chart({a.account_id: a for a in parsed_accounts if a},
                     {r.tax_type: r for r in parsed_rates if r})

    async def contacts_by_number(self) -> dict[str, str]:
        index: dict[str, str] = {}
        page = 1
        while True:
            body = await self._call("GET", "Contacts", params={
                "page": str(page), "pageSize": str(CONTACTS_PAGE_SIZE)})
            contacts = [c for c in body.get("Contacts") or [] if isinstance(c, dict)]
            for contact in contacts:
                number, contact_id = contact.get("ContactNumber"), contact.get("ContactID")
                if number and contact_id and contact.get("ContactStatus", "ACTIVE") == "ACTIVE":
                    index[str(number)] = str(contact_id)
            if len(contacts) < CONTACTS_PAGE_SIZE:
                return index
            page += 1

    async def create_contacts(self, contacts: Sequence[Contact]) -> list[ElementResult]:
        body = await self._call("PUT", "Contacts", params={"summarizeErrors": "false"},
                                body={"Contacts": [contact_payload(c) for c in contacts]})
        return [element_result(e, "ContactID", "ContactNumber")
                for e in body.get("Contacts") or [] if isinstance(e, dict)]

    async def create_invoices(self, invoices: Sequence[tuple[InvoiceDraft, str]],
                              idempotency_key: str) -> list[ElementResult]:
        payload = {"Invoices": [invoice_payload(draft, contact_id)
                                for draft, contact_id in invoices]}
        body = await self._call("PUT", "Invoices", params={"summarizeErrors": "false"},
                                body=payload, idempotency_key=idempotency_key)
        return [element_result(e, "InvoiceID", "InvoiceNumber")
                for e in body.get("Invoices") or [] if isinstance(e, dict)]

    async def invoices_by_number(self, numbers: Sequence[str]) -> list[RemoteInvoice]:
        found: list[RemoteInvoice] = []
        unique = list(dict.fromkeys(numbers))
        for start in range(0, len(unique), NUMBERS_PER_LOOKUP):
            chunk = unique[start:start + NUMBERS_PER_LOOKUP]
            body = await self._call("GET", "Invoices",
                                    params={"InvoiceNumbers": ",".join(chunk)})
            for item in body.get("Invoices") or []:
                invoice = parse_remote_invoice(item) if isinstance(item, dict) else None
                if invoice is not None:
                    found.append(invoice)
        return found


def _failure(response: httpx.Response, path: str) -> Exception:
    status = response.status_code
    if status == 401:
        return RemoteUnauthorised("Xero did not accept the access token (401): reconnect to Xero",
                                  status=401)
    if status == 403:
        return RemoteUnauthorised("Xero refused access to this organisation (403): the tenant is "
                                  "not connected or a scope is missing", status=403)
    if status == 429:
        retry = response.headers.get("Retry-After", "")
        problem = response.headers.get("X-Rate-Limit-Problem")
        return RemoteRateLimited(f"Xero rate limit reached ({problem or 'unknown'} limit)",
                                 retry_after=float(retry) if retry.isdigit() else None,
                                 problem=problem)
    if status >= 500:
        return unavailable(SERVICE, response)
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    messages = validation_messages(body) if isinstance(body, dict) else ()
    detail = "; ".join(messages) if messages else plain_excerpt(response)
    return RemoteRejected(f"Xero refused {path} ({status}): {detail}", status=status,
                          messages=messages)
