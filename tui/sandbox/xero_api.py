"""The simulated Xero as an ASGI app (mounted at /xero): identity (authorize, token, revocation,
connections) and the Accounting API.

Every Accounting call goes: bearer token (401, with `TokenExpired` when it is) -> tenant (403) ->
injected fault, if any -> rate limits (429) -> a test's hold, if armed -> Idempotency-Key
replay -> the books. Answers are XML unless the request accepts JSON, as on the real API, and
carry the rate-limit headers.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tui.sandbox.formats import loads, parse_xero_date, to_xml, xero_date
from tui.sandbox.http import DroppedResponse, json_response, refusal, wait
from tui.sandbox.idempotency import MAX_LENGTH, fingerprint
from tui.sandbox.identity import XERO, AccessToken, OAuthError, TokenProblem
from tui.sandbox.state import Received, SandboxState
from tui.sandbox.xero_books import Result, XeroOrg

PROVIDER = "axpush sandbox"
WRITE_METHODS = ("PUT", "POST", "PATCH")


@dataclass(frozen=True)
class Call:
    """One Accounting API call, authorised and addressed to one organisation."""

    request: Request
    body: bytes
    org: XeroOrg
    access: AccessToken

    @property
    def data(self) -> Any:
        return loads(self.body) if self.body else {}

    def param(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)


Answer = tuple[int, dict[str, Any]]
Handler = Callable[[Call], Answer]


def _problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem body, as sent with 401 and 403 (always JSON)."""
    return json_response(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        status,
    )


def _token_problem(problem: TokenProblem) -> Response:
    if problem.kind == "expired" and problem.expired_at is not None:
        when = problem.expired_at.strftime("%m/%d/%Y %H:%M:%S")
        return _problem(401, "Unauthorized", f"TokenExpired: token expired at {when}")
    return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")


_CLAUSE = re.compile(r'^\s*([A-Za-z.]+)\s*(==|!=)\s*(?:"([^"]*)"|Guid\("([^"]*)"\)|(\S+))\s*$')


def where_filter(expression: str | None) -> Callable[[dict[str, Any]], bool]:
    """The subset of Xero's `where` clients use: Field=="text", Field==Guid("…"), Field==value,
    joined by AND, alternatives joined by OR (AND binds tighter); a dotted field reaches into a
    nested object (Invoice.InvoiceID)."""
    if not expression:
        return lambda _record: True
    alternatives = [
        _all_of(part) for part in re.split(r"\s+OR\s+", expression.strip(), flags=re.IGNORECASE)
    ]
    return lambda record: any(test(record) for test in alternatives)


def _all_of(expression: str) -> Callable[[dict[str, Any]], bool]:
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in re.split(r"\s+AND\s+", expression.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"unsupported where clause: {clause}")
        path, op, text, guid, bare = match.groups()
        wanted: Any = (
            text
            if text is not None
            else guid
            if guid is not None
            else {"true": True, "false": False}.get((bare or "").lower(), bare)
        )

        def test(
            record: dict[str, Any], path: str = path, op: str = op, wanted: Any = wanted
        ) -> bool:
            value: Any = record
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(wanted, str) and value is not None and not isinstance(value, str):
                value = str(value)
            return bool(value == wanted) if op == "==" else bool(value != wanted)

        tests.append(test)
    return lambda record: all(test(record) for test in tests)


def _page(
    call: Call, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    page_text = call.param("page")
    if not page_text:
        return items, None
    page = max(1, int(page_text))
    size = min(1000, max(1, int(call.param("pageSize") or 100)))
    count = len(items)
    return items[(page - 1) * size : page * size], {
        "page": page,
        "pageSize": size,
        "pageCount": max(1, -(-count // size)),
        "itemCount": count,
    }


def _ids(call: Call, name: str) -> set[str]:
    return set(filter(None, call.param(name).split(",")))


ERROR_FLAGS = {
    "Invoices": "HasErrors",
    "CreditNotes": "HasErrors",
    "Payments": "HasValidationErrors",
    "Contacts": "HasValidationErrors",
}
"""The flag each of Xero's models carries on an element that failed (Allocations have none)."""
DATE_FIELDS = ("Date", "DueDate")


def _failed_element(
    element: dict[str, Any], messages: list[str], key: str = "Invoices"
) -> dict[str, Any]:
    """A refused element as Xero echoes it: its dates in Xero's own form (whatever form they
    came in), its model's error flag, and the messages."""
    failed = {**element}
    for name in DATE_FIELDS:
        if failed.get(name):  # not a date at all: echoed as sent, the message says so
            with contextlib.suppress(ValueError):
                failed[name] = xero_date(parse_xero_date(failed[name]))
    flag = ERROR_FLAGS.get(key)
    if flag:
        failed[flag] = True
    return {
        **failed,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": m} for m in messages],
    }


def _single(data: Any, key: str) -> dict[str, Any]:
    """The one element of a single-record write: `{"Key": [element]}` or the element bare."""
    elements = data.get(key) if isinstance(data, dict) else None
    element = elements[0] if isinstance(elements, list) and elements else data
    return element if isinstance(element, dict) else {}


def _validation_exception(elements: list[dict[str, Any]], message: str = "") -> Answer:
    body: dict[str, Any] = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": message or "A validation exception occurred",
    }
    if elements:
        body["Elements"] = elements
    return 400, body


class XeroApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def envelope(self, key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": PROVIDER,
            "DateTimeUTC": xero_date(self.state.clock.now()),
            **extra,
            key: items,
        }

    # -- the pipeline every Accounting call goes through ---------------------------------------

    def accounting(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        state = self.state

        async def endpoint(request: Request) -> Response:
            body = await request.body()
            with state.lock:
                state.received.append(
                    Received(request.method, str(request.url), dict(request.headers), body)
                )
                try:
                    access = state.identity.access(XERO, request.headers.get("authorization"))
                except TokenProblem as problem:
                    return _token_problem(problem)
                tenant = state.identity.tenant_allowed(
                    access, request.headers.get("xero-tenant-id")
                )
                if tenant is None or tenant not in state.orgs:
                    return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
                fault = state.faults.draw(request.method, request.url.path)
                refused = refusal(fault, headers=state.limits.headers(tenant))
                if refused is not None:
                    return refused
                limited = state.limits.acquire(tenant)
                if limited is not None:
                    return PlainTextResponse(
                        "Rate limit exceeded",
                        status_code=429,
                        headers={
                            **state.limits.headers(tenant),
                            "Retry-After": str(limited.retry_after),
                            "X-Rate-Limit-Problem": limited.problem,
                        },
                    )
                gate = state.holds.take(request.method, request.url.path)
            try:
                if gate is not None and not await gate.wait():
                    return DroppedResponse()  # let go unprocessed: it never reached Xero
                await wait(fault)
                with state.lock:
                    call = Call(request, body, state.orgs[tenant], access)
                    response = self._serve(call, handler)
            finally:
                with state.lock:
                    state.limits.release(tenant)
                if gate is not None:
                    gate.done()
            if fault is not None and fault.kind == "lost":
                return DroppedResponse()  # committed above; the answer never arrives
            return response

        return endpoint

    def _serve(self, call: Call, handler: Handler) -> Response:
        """Run the handler, honouring an Idempotency-Key on writes."""
        request = call.request
        tenant = call.org.tenant_id
        key = request.headers.get("idempotency-key")
        limit_headers = self.state.limits.headers(tenant)
        if key is None or request.method not in WRITE_METHODS:
            return self._render(request, *self._run(call, handler), limit_headers)
        if not key or len(key) > MAX_LENGTH:
            return self._render(
                request,
                *_validation_exception([], f"Idempotency Key must be 1 to {MAX_LENGTH} characters"),
                limit_headers,
            )
        print_ = fingerprint(request.method, str(request.url), call.body)
        found = self.state.idempotency.find(tenant, key, print_)
        if isinstance(found, str):
            return self._render(request, *_validation_exception([], found), limit_headers)
        if found is not None:
            return Response(
                found.body, status_code=found.status, headers={**found.headers, **limit_headers}
            )
        response = self._render(request, *self._run(call, handler), limit_headers)
        self.state.idempotency.remember(
            tenant,
            key,
            print_,
            response.status_code,
            {"content-type": response.headers.get("content-type", "")},
            bytes(response.body),
        )
        return response

    @staticmethod
    def _run(call: Call, handler: Handler) -> Answer:
        try:
            return handler(call)
        except ValueError as error:  # a body that is not JSON, or values of the wrong type
            return 400, {
                "ErrorNumber": 14,
                "Type": "PostDataInvalidException",
                "Message": str(error),
            }

    @staticmethod
    def _render(
        request: Request, status: int, data: dict[str, Any], headers: dict[str, str]
    ) -> Response:
        if "json" in request.headers.get("accept", "").lower():
            return json_response(data, status, headers)
        root = "ApiException" if status >= 400 else "Response"
        return Response(
            to_xml(data, root),
            status_code=status,
            media_type="text/xml; charset=utf-8",
            headers=headers,
        )

    # -- batches ---------------------------------------------------------------------------------

    def batch(self, call: Call, key: str, write: Callable[[dict[str, Any]], Result]) -> Answer:
        """Each element on its own; with summarizeErrors (Xero's default) any failure makes the
        answer a 400 listing the failures, yet the valid elements were still written."""
        data = call.data
        elements = data.get(key) if isinstance(data, dict) else None
        if not isinstance(elements, list):
            elements = [data] if isinstance(data, dict) and data else []
        results: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for element in elements:
            written, errors = write(element if isinstance(element, dict) else {})
            if errors:
                failure = _failed_element(written, errors, key)
                results.append(failure)
                failed.append(failure)
            else:
                results.append({**written, "StatusAttributeString": "OK"})
        if failed and call.param("summarizeErrors", "true").lower() != "false":
            return _validation_exception(failed)
        return 200, self.envelope(key, results)

    # -- accounting handlers ---------------------------------------------------------------------

    def organisation(self, call: Call) -> Answer:
        return 200, self.envelope("Organisations", [call.org.organisation])

    def accounts(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        return 200, self.envelope("Accounts", [a for a in call.org.accounts if test(a)])

    def tax_rates(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        return 200, self.envelope("TaxRates", [r for r in call.org.tax_rates if test(r)])

    def list_contacts(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        ids = _ids(call, "IDs")
        found = sorted(
            (
                c
                for c in call.org.contacts.values()
                if test(c) and (not ids or c["ContactID"] in ids)
            ),
            key=lambda c: c["Name"].lower(),
        )
        page, pagination = _page(call, found)
        extra = {"pagination": pagination} if pagination else {}
        return 200, self.envelope("Contacts", page, **extra)

    def get_contact(self, call: Call) -> Answer:
        ref = call.request.path_params["ref"]
        contact = call.org.contacts.get(ref) or call.org.find_contact({"ContactNumber": ref})
        if contact is None:
            return 404, {"Title": "Not Found", "Status": 404}
        return 200, self.envelope("Contacts", [contact])

    def create_contacts(self, call: Call) -> Answer:
        return self.batch(call, "Contacts", call.org.create_contact)

    def list_invoices(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        ids, numbers = _ids(call, "IDs"), _ids(call, "InvoiceNumbers")
        statuses = _ids(call, "Statuses")
        candidates = (
            [inv for number in sorted(numbers) for inv in call.org.by_number.find(number)]
            if numbers and not ids
            else call.org.invoices.values()
        )  # asked by number (a reconcile, a look before a retry): the index, not every invoice
        found = [
            inv
            for inv in candidates
            if test(inv)
            and (not ids or inv["InvoiceID"] in ids)
            and (not numbers or inv["InvoiceNumber"] in numbers)
            and (not statuses or inv["Status"] in statuses)
        ]
        page, pagination = _page(call, found)
        if pagination is None:  # as on Xero: unpaged lists leave out the line items
            page = [{k: v for k, v in inv.items() if k != "LineItems"} for inv in page]
        extra = {"pagination": pagination} if pagination else {}
        return 200, self.envelope("Invoices", page, **extra)

    def get_invoice(self, call: Call) -> Answer:
        invoice = call.org.invoice(call.request.path_params["ref"])
        if invoice is None:
            return 404, {"Title": "Not Found", "Status": 404}
        return 200, self.envelope("Invoices", [invoice])

    def create_invoices(self, call: Call) -> Answer:
        return self.batch(call, "Invoices", call.org.create_invoice)

    def upsert_invoices(self, call: Call) -> Answer:
        return self.batch(call, "Invoices", call.org.create_or_update_invoice)

    def update_invoice(self, call: Call) -> Answer:
        invoice = call.org.invoice(call.request.path_params["ref"])
        if invoice is None:
            return 404, {"Title": "Not Found", "Status": 404}
        updated, errors = call.org.update_invoice(invoice, _single(call.data, "Invoices"))
        if errors:
            return _validation_exception([_failed_element(updated, errors)])
        return 200, self.envelope("Invoices", [updated])

    def list_payments(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        found = [p for p in call.org.payments.values() if test(p)]
        page, pagination = _page(call, found)
        extra = {"pagination": pagination} if pagination else {}
        return 200, self.envelope("Payments", page, **extra)

    def create_payments(self, call: Call) -> Answer:
        return self.batch(call, "Payments", call.org.create_payment)

    def delete_payment(self, call: Call) -> Answer:
        """Accepts the spec's body ({"Status": "DELETED"}) and the wrapped form Xero's guides
        show ({"Payments": [{"Status": "DELETED"}]})."""
        if _single(call.data, "Payments").get("Status") != "DELETED":
            return _validation_exception([], "A payment can only be changed to DELETED")
        payment, errors = call.org.delete_payment(call.request.path_params["ref"])
        if errors:
            return _validation_exception([_failed_element(payment, errors, "Payments")])
        return 200, self.envelope("Payments", [payment])

    def list_credit_notes(self, call: Call) -> Answer:
        test = where_filter(call.param("where"))
        found = [n for n in call.org.credit_notes.values() if test(n)]
        page, pagination = _page(call, found)
        if pagination is None:  # as invoices: unpaged lists leave out the line items
            page = [{k: v for k, v in n.items() if k != "LineItems"} for n in page]
        extra = {"pagination": pagination} if pagination else {}
        return 200, self.envelope("CreditNotes", page, **extra)

    def get_credit_note(self, call: Call) -> Answer:
        note = call.org.credit_note(call.request.path_params["ref"])
        if note is None:
            return 404, {"Title": "Not Found", "Status": 404}
        return 200, self.envelope("CreditNotes", [note])

    def create_credit_notes(self, call: Call) -> Answer:
        return self.batch(call, "CreditNotes", call.org.create_credit_note)

    def update_credit_note(self, call: Call) -> Answer:
        note = call.org.credit_note(call.request.path_params["ref"])
        if note is None:
            return 404, {"Title": "Not Found", "Status": 404}
        element = _single(call.data, "CreditNotes")
        updated, errors = call.org.update_credit_note(note, element)
        if errors:
            return _validation_exception([_failed_element(updated, errors, "CreditNotes")])
        return 200, self.envelope("CreditNotes", [updated])

    def allocate_credit_note(self, call: Call) -> Answer:
        note = call.org.credit_note(call.request.path_params["ref"])
        if note is None:
            return 404, {"Title": "Not Found", "Status": 404}
        return self.batch(call, "Allocations", lambda element: call.org.allocate(note, element))

    # -- identity -------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        with self.state.lock:
            try:
                location = self.state.identity.authorize(XERO, dict(request.query_params))
            except OAuthError as error:
                return PlainTextResponse(f"{error.error}: {error.description}", 400)
        return RedirectResponse(location, status_code=302)

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        return self._identity_call(
            request,
            lambda: json_response(
                self.state.identity.token(XERO, form, request.headers.get("authorization"))
            ),
        )

    async def revocation(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))

        def revoke() -> Response:
            self.state.identity.revoke(
                form.get("token", ""), request.headers.get("authorization"), form
            )
            return Response(status_code=200)

        return self._identity_call(request, revoke)

    def _identity_call(self, request: Request, act: Callable[[], Response]) -> Response:
        state = self.state
        with state.lock:
            fault = state.faults.draw(request.method, request.url.path)
            refused = refusal(fault)
            if refused is not None:
                return refused
            try:
                response = act()
            except OAuthError as error:
                return json_response(error.body(), error.status)
        if fault is not None and fault.kind == "lost":
            return DroppedResponse()
        return response

    async def connections(self, request: Request) -> Response:
        with self.state.lock:
            try:
                access = self.state.identity.access(XERO, request.headers.get("authorization"))
            except TokenProblem as problem:
                return _token_problem(problem)
            headers = self.state.limits.headers(None)
            event = request.query_params.get("authEventId")
            if request.method == "DELETE":
                found = self.state.identity.disconnect(
                    access.grant, request.path_params["connection_id"]
                )
                return Response(status_code=204 if found else 404, headers=headers)
            listed = []
            for connection in self.state.identity.connections_of(access.grant):
                if event and connection.grant.grant_id != event:
                    continue
                org = self.state.orgs[connection.tenant_id]
                # The identity file's example has no offset, but its schema asks for RFC 3339
                # date-time: the sandbox follows the schema and adds the Z.
                stamp = connection.created.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
                listed.append(
                    {
                        "id": connection.connection_id,
                        "authEventId": connection.grant.grant_id,
                        "tenantId": org.tenant_id,
                        "tenantType": "ORGANISATION",
                        "tenantName": org.name,
                        "createdDateUtc": stamp,
                        "updatedDateUtc": stamp,
                    }
                )
            return json_response(listed, headers=headers)


def create_xero_app(state: SandboxState) -> Starlette:
    api = XeroApi(state)
    base = "/api.xro/2.0"

    def route(path: str, handler: Handler, *methods: str) -> Route:
        return Route(f"{base}/{path}", api.accounting(handler), methods=list(methods))

    routes = [
        Route("/login/identity/connect/authorize", api.authorize, methods=["GET"]),
        Route("/identity/connect/token", api.token, methods=["POST"]),
        Route("/identity/connect/revocation", api.revocation, methods=["POST"]),
        Route("/connections", api.connections, methods=["GET"]),
        Route("/connections/{connection_id}", api.connections, methods=["DELETE"]),
        route("Organisation", api.organisation, "GET"),
        route("Accounts", api.accounts, "GET"),
        route("TaxRates", api.tax_rates, "GET"),
        route("Contacts", api.list_contacts, "GET"),
        route("Contacts", api.create_contacts, "PUT", "POST"),
        route("Contacts/{ref}", api.get_contact, "GET"),
        route("Invoices", api.list_invoices, "GET"),
        route("Invoices", api.create_invoices, "PUT"),
        route("Invoices", api.upsert_invoices, "POST"),
        route("Invoices/{ref}", api.get_invoice, "GET"),
        route("Invoices/{ref}", api.update_invoice, "POST"),
        route("Payments", api.list_payments, "GET"),
        route("Payments", api.create_payments, "PUT", "POST"),
        route("Payments/{ref}", api.delete_payment, "POST"),
        route("CreditNotes", api.list_credit_notes, "GET"),
        route("CreditNotes", api.create_credit_notes, "PUT", "POST"),
        route("CreditNotes/{ref}", api.get_credit_note, "GET"),
        route("CreditNotes/{ref}", api.update_credit_note, "POST"),
        route("CreditNotes/{ref}/Allocations", api.allocate_credit_note, "PUT"),
    ]
    names = {
        part.lower(): part
        for route in routes
        for part in route.path.split("/")
        if part and not part.startswith("{")
    }
    return Starlette(routes=routes, middleware=[Middleware(AnyCase, names=names)])


class AnyCase:
    """Xero answers its paths in any letter case (`/Connections`, `/invoices`), and clients
    spell them both ways: each fixed part of a path is matched by its name, case-insensitively,
    before routing. Values (ids, numbers) are left as sent."""

    def __init__(self, app: ASGIApp, names: dict[str, str]) -> None:
        self.app, self.names = app, names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            parts = scope["path"].split("/")
            scope = {**scope, "path": "/".join(self.names.get(p.lower(), p) for p in parts)}
        await self.app(scope, receive, send)
