"""The Xero Accounting API, for one tenant: what the push reads and writes.

Always JSON (`Accept: application/json`; Xero answers XML otherwise). Writes are `PUT`
(create-only) in batches with `summarizeErrors=false`, so each element reports its own result, and
carry an `Idempotency-Key`. Every call goes through the tenant's rate gate (5 in flight, the
day's pause); a minute-limit 429 waits its Retry-After; 5xx, offline, timeouts and resets are
retried with backoff (a write only with its Idempotency-Key, so a retry cannot duplicate); a 401
refreshes the token once. Every failure becomes a `tui.core.errors.RemoteError` whose text is
safe to show: it never includes a token or a header.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.credit import CreditDraft
from tui.core.errors import (
    RemoteRateLimited,
    RemoteRejected,
    RemoteUnauthorised,
    RemoteUnavailable,
)
from tui.core.invoice import InvoiceDraft
from tui.core.jsonio import dumps, loads
from tui.core.models import Chart, Contact, Organisation
from tui.core.ports import (
    ElementResult,
    PaymentDraft,
    RemoteCreditNote,
    RemoteInvoice,
    RemotePayment,
)
from tui.remote.transport import (
    DEFAULT_RETRY,
    SAFE_METHODS,
    RetryPolicy,
    TokenProvider,
    new_client,
    plain_excerpt,
    redact,
    transport_failure,
    unavailable,
)
from tui.remote.xero.payloads import (
    contact_payload,
    credit_note_payload,
    element_result,
    invoice_payload,
    parse_account,
    parse_organisation,
    parse_remote_credit_note,
    parse_remote_invoice,
    parse_remote_payment,
    parse_tax_rate,
    payment_payload,
    validation_messages,
)
from tui.remote.xero.ratelimit import RateGate

T = TypeVar("T")
SERVICE = "Xero"
CONTACTS_PAGE_SIZE = 1000
NUMBERS_PER_LOOKUP = 40
"""Invoice numbers per GET, to keep the query string well under URL limits."""
PAGE_SIZE = 100
"""Invoices per page of a look-up by number (Xero's default): 40 numbers rarely need two."""
REFERENCES_PER_LOOKUP = 25
"""Payment references (credit note numbers) per `where`: each clause is ~30 characters."""


MINUTE_WAITS = 5
"""How many minute-limit 429s one call sits out before giving up."""


class XeroClient:
    def __init__(
        self,
        api_url: str,
        tenant_id: str,
        tokens: TokenProvider,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        gate: RateGate | None = None,
        clock: Clock = REAL_CLOCK,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._tokens = tokens
        self.tenant_id = tenant_id
        self.gate = gate or RateGate(clock)
        self._clock = clock
        self._retry = retry
        self.on_wait: Callable[[str], None] = lambda _message: None
        """Told, in words, whenever a call waits to be retried (for the push log)."""
        self._http = new_client(
            api_url, transport, {"Accept": "application/json", "xero-tenant-id": tenant_id}
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        content = dumps(body) if body is not None else None
        retry_safe = method in SAFE_METHODS or bool(idempotency_key)
        token = await self._tokens.token()
        refreshed = False
        attempt = minute_waits = 0
        while True:
            try:
                response = await self._send(method, path, params, content, idempotency_key, token)
            except RemoteUnavailable as error:
                if not retry_safe or attempt + 1 >= self._retry.attempts:
                    raise
                await self._wait(self._retry.delay(attempt), f"{path}: {error}", attempt)
                attempt += 1
                continue
            if response.status_code == 200:
                return _json_body(response, path)
            if response.status_code == 401 and not refreshed:
                token = await self._tokens.refresh(token)
                refreshed = True
                continue
            if response.status_code == 429:
                problem = response.headers.get("X-Rate-Limit-Problem", "").lower()
                wait = _seconds(response.headers.get("Retry-After"))
                if problem == "day":
                    raise self.gate.pause_for_the_day(self.tenant_id, wait or 24 * 3600)
                if minute_waits < MINUTE_WAITS:
                    await self._wait(wait or 60, f"{path}: Xero's minute limit reached", None)
                    minute_waits += 1
                    continue
            if response.status_code >= 500 and retry_safe and attempt + 1 < self._retry.attempts:
                reason = (
                    f"{path}: Xero answered {response.status_code} ({plain_excerpt(response, 60)})"
                )
                await self._wait(self._retry.delay(attempt), reason, attempt)
                attempt += 1
                continue
            raise _failure(response, path)

    async def _wait(self, seconds: float, reason: str, attempt: int | None) -> None:
        of = f", attempt {attempt + 2} of {self._retry.attempts}" if attempt is not None else ""
        self.on_wait(f"{reason}; retrying in {seconds:.1f} s{of}")
        await self._clock.sleep(seconds)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        content: bytes | None,
        idempotency_key: str | None,
        token: str,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        async with self.gate.slot(self.tenant_id):
            try:
                response = await self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
            except httpx.TransportError as error:
                raise transport_failure(SERVICE, method, error) from None
        self.gate.observe(self.tenant_id, response)
        return response

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
        return Chart(
            {a.account_id: a for a in parsed_accounts if a},
            {r.tax_type: r for r in parsed_rates if r},
        )

    async def contacts_by_number(self) -> dict[str, str]:
        index: dict[str, str] = {}
        page = 1
        while True:
            body = await self._call(
                "GET", "Contacts", params={"page": str(page), "pageSize": str(CONTACTS_PAGE_SIZE)}
            )
            contacts = [c for c in body.get("Contacts") or [] if isinstance(c, dict)]
            for contact in contacts:
                number, contact_id = contact.get("ContactNumber"), contact.get("ContactID")
                if number and contact_id and contact.get("ContactStatus", "ACTIVE") == "ACTIVE":
                    index[str(number)] = str(contact_id)
            if len(contacts) < CONTACTS_PAGE_SIZE:
                return index
            page += 1

    async def create_contacts(
        self, contacts: Sequence[Contact], idempotency_key: str | None = None
    ) -> list[ElementResult]:
        return await self._batch(
            "PUT",
            "Contacts",
            {"Contacts": [contact_payload(c) for c in contacts]},
            idempotency_key,
            "ContactID",
            "ContactNumber",
        )

    async def create_invoices(
        self, invoices: Sequence[tuple[InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        payload = {
            "Invoices": [invoice_payload(draft, contact_id) for draft, contact_id in invoices]
        }
        return await self._batch(
            "PUT", "Invoices", payload, idempotency_key, "InvoiceID", "InvoiceNumber"
        )

    async def invoices_by_number(self, numbers: Sequence[str]) -> list[RemoteInvoice]:
        """The invoices under these numbers, with their lines: asked for a page at a time, as
        Xero sends line items only on paged (or single) reads, so that a found invoice can be
        told apart from one with the same total but other coding."""
        found: list[RemoteInvoice] = []
        unique = list(dict.fromkeys(numbers))
        for start in range(0, len(unique), NUMBERS_PER_LOOKUP):
            chunk = ",".join(unique[start : start + NUMBERS_PER_LOOKUP])
            page = 1
            while True:
                params = {"InvoiceNumbers": chunk, "page": str(page), "pageSize": str(PAGE_SIZE)}
                body = await self._call("GET", "Invoices", params=params)
                items = [item for item in body.get("Invoices") or [] if isinstance(item, dict)]
                found += [inv for inv in map(parse_remote_invoice, items) if inv is not None]
                if len(items) < PAGE_SIZE:
                    break
                page += 1
        return found

    async def update_invoices(
        self, invoices: Sequence[tuple[str, InvoiceDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        payload = {
            "Invoices": [
                {"InvoiceID": invoice_id, **invoice_payload(draft, contact_id)}
                for invoice_id, draft, contact_id in invoices
            ]
        }
        return await self._batch(
            "POST", "Invoices", payload, idempotency_key, "InvoiceID", "InvoiceNumber"
        )

    async def void_invoices(
        self, invoice_ids: Sequence[str], idempotency_key: str
    ) -> list[ElementResult]:
        payload = {
            "Invoices": [
                {"InvoiceID": invoice_id, "Status": "VOIDED"} for invoice_id in invoice_ids
            ]
        }
        return await self._batch(
            "POST", "Invoices", payload, idempotency_key, "InvoiceID", "InvoiceNumber"
        )

    async def create_payments(
        self, payments: Sequence[PaymentDraft], idempotency_key: str
    ) -> list[ElementResult]:
        payload = {"Payments": [payment_payload(p) for p in payments]}
        return await self._batch(
            "PUT", "Payments", payload, idempotency_key, "PaymentID", "Reference"
        )

    async def payments_by_reference(self, references: Sequence[str]) -> list[RemotePayment]:
        found = await self._where("Payments", "Reference", references, parse_remote_payment)
        return [p for p in found if p.status != "DELETED"]

    async def delete_payment(self, payment_id: str, idempotency_key: str) -> None:
        """A payment's Status set to DELETED, as Xero documents (payments cannot be edited).
        The body is the official spec's `PaymentDelete`; Xero's guides wrap it in `Payments`."""
        body = await self._call(
            "POST",
            f"Payments/{payment_id}",
            body={"Status": "DELETED"},
            idempotency_key=idempotency_key,
        )
        _refused_element(body, "Payments", f"Payments/{payment_id}")

    async def create_credit_notes(
        self, notes: Sequence[tuple[CreditDraft, str]], idempotency_key: str
    ) -> list[ElementResult]:
        payload = {"CreditNotes": [credit_note_payload(d, contact) for d, contact in notes]}
        return await self._batch(
            "PUT", "CreditNotes", payload, idempotency_key, "CreditNoteID", "CreditNoteNumber"
        )

    async def credit_notes_by_number(self, numbers: Sequence[str]) -> list[RemoteCreditNote]:
        """By CreditNoteNumber, with their allocations (`page` asks for the whole record)."""
        return await self._where(
            "CreditNotes", "CreditNoteNumber", numbers, parse_remote_credit_note, page=True
        )

    async def _where(
        self,
        path: str,
        field: str,
        values: Sequence[str],
        parse: Callable[[dict[str, Any]], T | None],
        *,
        page: bool = False,
    ) -> list[T]:
        """Records whose `field` is one of `values`: one `where` of OR-ed clauses per chunk."""
        found: list[T] = []
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), REFERENCES_PER_LOOKUP):
            chunk = unique[start : start + REFERENCES_PER_LOOKUP]
            params = {"where": " OR ".join(f'{field}=="{value}"' for value in chunk)}
            if page:
                params["page"] = "1"
            body = await self._call("GET", path, params=params)
            for item in body.get(path) or []:
                record = parse(item) if isinstance(item, dict) else None
                if record is not None:
                    found.append(record)
        return found

    async def allocate_credit(
        self, credit_note_id: str, invoice_id: str, amount: Decimal, day: date, key: str
    ) -> None:
        path = f"CreditNotes/{credit_note_id}/Allocations"
        body = await self._call(
            "PUT",
            path,
            params={"summarizeErrors": "false"},
            body={
                "Allocations": [
                    {
                        "Invoice": {"InvoiceID": invoice_id},
                        "Amount": amount,
                        "Date": day.isoformat(),
                    }
                ]
            },
            idempotency_key=key,
        )
        _refused_element(body, "Allocations", path)

    async def _batch(
        self,
        method: str,
        path: str,
        payload: dict[str, Any],
        key: str | None,
        id_field: str,
        number_field: str,
    ) -> list[ElementResult]:
        body = await self._call(
            method, path, params={"summarizeErrors": "false"}, body=payload, idempotency_key=key
        )
        return [
            element_result(e, id_field, number_field)
            for e in body.get(path) or []
            if isinstance(e, dict)
        ]


def _refused_element(body: dict[str, Any], key: str, path: str) -> None:
    """A single-element write answered 200 whose element carries Xero's refusal."""
    elements = [e for e in body.get(key) or [] if isinstance(e, dict)]
    messages = validation_messages(elements[0]) if elements else ()
    if messages:
        raise RemoteRejected(f"Xero refused {path}: {'; '.join(messages)}", messages=messages)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _json_body(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        parsed = loads(response.content)
    except ValueError:
        raise RemoteRejected(
            f"Xero sent something that is not JSON for {path}", raw=redact(response.text)
        ) from None
    if not isinstance(parsed, dict):
        raise RemoteRejected(f"Xero sent an unexpected body for {path}", raw=redact(response.text))
    return parsed


def _failure(response: httpx.Response, path: str) -> Exception:
    status = response.status_code
    raw = redact(response.text)
    if status == 401:
        detail = (
            "the token expired" if "TokenExpired" in response.text else "the access was refused"
        )
        return RemoteUnauthorised(
            f"Xero did not accept the access token (401, {detail}): reconnect to Xero",
            status=401,
            raw=raw,
        )
    if status == 403:
        return RemoteUnauthorised(
            "Xero refused access to this organisation (403): the "
            "organisation is not connected to this app, or a scope is "
            "missing; reconnect to Xero",
            status=403,
            raw=raw,
        )
    if status == 429:
        problem = response.headers.get("X-Rate-Limit-Problem")
        return RemoteRateLimited(
            f"Xero rate limit reached ({problem or 'unknown'} limit)",
            retry_after=_seconds(response.headers.get("Retry-After")),
            problem=problem,
        )
    if status >= 500:
        return unavailable(SERVICE, response)
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    messages = validation_messages(body) if isinstance(body, dict) else ()
    detail = "; ".join(messages) if messages else plain_excerpt(response)
    return RemoteRejected(
        f"Xero refused {path} ({status}): {detail}", status=status, messages=messages, raw=raw
    )
