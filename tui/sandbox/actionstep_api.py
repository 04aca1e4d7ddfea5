"""The simulated Actionstep REST API (read side), as an ASGI app mounted at /actionstep/api.

Its JSON:API-like shape, after docs.actionstep.com and the published OpenAPI files: records under a
key named after the resource, URL templates in `links`, side-loaded records in `linked`, paging
in `meta.paging.<resource>`; a lone result is an object, not a one-element list; booleans are
"T"/"F"; no matching records is a 204. Paging defaults to 50 and stops at 200.

Assumed, because the public API does not expose what codes a bill (see README): time entries and
disbursements carry `links.bill`, `links.incomeAccount` and `links.taxCode`, and the `accounts` and
`taxcodes` resources are served as the older PHP SDK describes them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from operator import ge, gt, le, lt
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tui.sandbox.formats import dumps
from tui.sandbox.http import DroppedResponse, json_response, refusal, wait
from tui.sandbox.identity import ACTIONSTEP, OAuthError, TokenProblem
from tui.sandbox.state import SandboxState

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
RESERVED = {"page", "pageSize", "sort", "include", "fields"}
PAGING = {"page", "pageSize"}
OPERATORS = ("_nteq", "_gteq", "_lteq", "_eq", "_gt", "_lt", "_ilike")
ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "_gt": gt,
    "_gteq": ge,
    "_lt": lt,
    "_lteq": le,
}

# The links each resource carries, with the resource each one points at.
LINKS: dict[str, dict[str, str]] = {
    "bills": {"action": "actions", "theirParticipant": "participants", "division": "divisions"},
    "timeentries": {
        "action": "actions",
        "bill": "bills",
        "incomeAccount": "accounts",
        "taxCode": "taxcodes",
        "owner": "participants",
    },
    "disbursements": {
        "action": "actions",
        "bill": "bills",
        "incomeAccount": "accounts",
        "taxCode": "taxcodes",
        "enteredByParticipant": "participants",
    },
    "actions": {"assignedTo": "participants", "primaryParticipants": "participants"},
    "participants": {},
    "accounts": {},
    "taxcodes": {},
}


def _without_nulls(value: Any) -> Any:
    """Actionstep sends null for empty fields, but its published files declare them as plain
    strings; the sandbox follows the files and leaves empty fields out (clients accept both)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _json(data: Any, status: int = 200) -> Response:
    # The published OpenAPI files declare application/json for every answer.
    return Response(dumps(data), status_code=status, media_type="application/json")


def _error(status: int, title: str, detail: str = "") -> Response:
    error = {"status": str(status), "title": title, **({"detail": detail} if detail else {})}
    return _json({"errors": [error]}, status)


def _comparable(value: Any) -> Any:
    """Timestamps compare as instants, numbers as numbers, the rest as text."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    text = str(value)
    if not text[:1].isdigit() and text[:1] not in "+-.":
        return text.lower()  # not a number or a timestamp: spares Decimal's exception
    if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:  # Actionstep reads naive timestamps as UTC
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        except ValueError:
            pass
    try:
        return Decimal(text)
    except InvalidOperation:
        return text.lower()


def _field(record: dict[str, Any], name: str) -> list[Any]:
    value = record.get(name, record.get("links", {}).get(name))
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _filter(name: str, raw: str) -> Callable[[dict[str, Any]], bool]:
    operator = next((op for op in OPERATORS if name.endswith(op)), "_eq")
    field = name[: -len(operator)] if name.endswith(operator) else name
    wanted = [_comparable(v) for v in raw.split(",")]
    compare = ORDERINGS.get(operator)

    def test(record: dict[str, Any]) -> bool:
        values = [_comparable(v) for v in _field(record, field)]
        if operator == "_eq":
            return any(v in wanted for v in values)
        if operator == "_nteq":
            return all(v not in wanted for v in values)
        if operator == "_ilike":
            pattern = str(wanted[0]).replace("*", "").replace("%", "").lower()
            return any(pattern in str(v).lower() for v in values)
        assert compare is not None
        try:
            return any(compare(v, wanted[0]) for v in values)
        except TypeError:
            return False

    return test


def _fields(records: list[dict[str, Any]], resource: str, params: Any) -> list[dict[str, Any]]:
    """Fieldsets: `fields=a,b` or `fields[resource]=a,b` keep those attributes (and id, links)."""
    wanted = params.get(f"fields[{resource}]") or params.get("fields")
    if not wanted:
        return records
    keep = {"id", "links", *wanted.split(",")}
    return [{k: v for k, v in record.items() if k in keep} for record in records]


class Listings:
    """What a query matched, kept while its pages are read: page 1 filters and sorts the table,
    and later pages of the same query read what it found (a firm of 100,000 bills is 500
    pages). A query asked again from page 1 is worked out afresh."""

    KEPT = 64

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()

    def matching(
        self, query: tuple[Any, ...], page: int, work_out: Callable[[], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        if page > 1 and query in self._kept:
            self._kept.move_to_end(query)
            return self._kept[query]
        records = work_out()
        self._kept[query] = records
        while len(self._kept) > self.KEPT:
            self._kept.popitem(last=False)
        return records


class LinkIndex:
    """Records by the ids one of their links holds, per resource and link; built again when
    the table grows or shrinks (records are added and removed; their links are not edited)."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, str], tuple[int, dict[str, list[int]]]] = {}

    def index(
        self, resource: str, field: str, table: dict[int, dict[str, Any]]
    ) -> dict[str, list[int]]:
        size, index = self._built.get((resource, field), (-1, {}))
        if size != len(table):
            index = {}
            for key, record in table.items():
                for value in _field(record, field):
                    index.setdefault(str(value), []).append(key)
            self._built[(resource, field)] = (len(table), index)
        return index


def create_actionstep_app(state: SandboxState) -> Starlette:
    listings = Listings()
    links = LinkIndex()

    async def authorize(request: Request) -> Response:
        with state.lock:
            try:
                location = state.identity.authorize(ACTIONSTEP, dict(request.query_params))
            except OAuthError as error:
                return PlainTextResponse(f"{error.error}: {error.description}", 400)
        return RedirectResponse(location, status_code=302)

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        api_endpoint = str(request.url.replace(query="")).split("/oauth/")[0] + "/"
        with state.lock:
            fault = state.faults.draw(request.method, request.url.path)
            refused = refusal(fault, service=ACTIONSTEP)
            if refused is not None:
                return refused
            try:
                body = state.identity.token(
                    ACTIONSTEP, form, request.headers.get("authorization"), api_endpoint
                )
            except OAuthError as error:
                return json_response(error.body(), error.status)
        if fault is not None and fault.kind == "lost":
            return DroppedResponse()
        return json_response(body)

    async def collection(request: Request) -> Response:
        with state.lock:
            try:
                state.identity.access(ACTIONSTEP, request.headers.get("authorization"))
            except TokenProblem as problem:
                return _error(
                    401,
                    "Unauthorized",
                    "The access token has expired"
                    if problem.kind == "expired"
                    else "The access token is not valid",
                )
            fault = state.faults.draw(request.method, request.url.path)
            refused = refusal(fault, service=ACTIONSTEP)
            if refused is not None:
                return refused
            state.actionstep_in_flight += 1
            state.actionstep_peak = max(state.actionstep_peak, state.actionstep_in_flight)
            gate = state.holds.take(request.method, request.url.path)
        try:
            if gate is not None and not await gate.wait():
                return DroppedResponse()
            await wait(fault)
            with state.lock:
                response = _collection(request)
        finally:
            with state.lock:
                state.actionstep_in_flight -= 1
            if gate is not None:
                gate.done()
        if fault is not None and fault.kind == "lost":
            return DroppedResponse()
        return response

    def _collection(request: Request) -> Response:
        resource = request.path_params["resource"]
        table = state.firm.actionstep.get(resource)
        if table is None:
            return _error(404, f"Unknown resource: {resource}")
        params = request.query_params
        ids_text = request.path_params.get("ids")
        if ids_text:
            try:
                ids = [int(part) for part in ids_text.split(",") if part]
            except ValueError:
                return _error(400, f"Invalid id list: {ids_text}")
            records = [table[i] for i in ids if i in table]
            if not records:
                return _error(404, f"No {resource} with id {ids_text}")
        try:
            page = max(1, int(params.get("page") or 1))
            size = min(MAX_PAGE_SIZE, max(1, int(params.get("pageSize") or DEFAULT_PAGE_SIZE)))
        except ValueError:
            return _error(400, "page and pageSize must be whole numbers")
        if ids_text:
            records = _sorted(records, params.get("sort"))
        else:
            query = (resource, *sorted((k, v) for k, v in params.items() if k not in PAGING))
            try:
                records = listings.matching(
                    query, page, lambda: _matching(resource, params, params.get("sort"))
                )
            except ValueError as error:
                return _error(400, str(error))
        chunk = records[(page - 1) * size : page * size]
        if not chunk:
            return Response(status_code=204)
        linked = _linked(resource, chunk, params.get("include"))
        chunk = _fields(chunk, resource, params)
        api_base = str(request.url.replace(query="")).split("/rest/")[0]
        base = f"{api_base}/rest/{resource}"
        count = len(records)
        pages = -(-count // size)

        def page_url(number: int) -> str | None:
            if not 1 <= number <= pages:
                return None
            query = {**params, "page": str(number), "pageSize": str(size)}
            return f"{base}?{urlencode(query)}"

        body: dict[str, Any] = {
            "links": {
                f"{resource}.{link}": {
                    "href": f"{api_base}/rest/{target}/{{{resource}.{link}}}",
                    "type": target,
                }
                for link, target in LINKS.get(resource, {}).items()
            },
            resource: chunk[0] if len(chunk) == 1 else chunk,
        }
        if linked:
            body["linked"] = linked
        body["meta"] = {
            "paging": {
                resource: {
                    "recordCount": count,
                    "pageCount": pages,
                    "page": page,
                    "pageSize": size,
                    "prevPage": page_url(page - 1),
                    "nextPage": page_url(page + 1),
                }
            }
        }
        return _json(_without_nulls(body))

    def _matching(resource: str, params: Any, sort: str | None) -> list[dict[str, Any]]:
        """The records a query matches, in order. A filter on a link (`bill=1,2,3`) starts
        from the records an index gives for those ids, not from the whole table: a large
        firm's lines are asked for a hundred bills at a time."""
        table = state.firm.actionstep[resource]
        ranges_first = sorted(  # a range (modified since) is what narrows a query most
            (k for k in params if k not in RESERVED and not k.startswith("fields[")),
            key=lambda k: not k.endswith(tuple(ORDERINGS)),
        )
        tests = [_filter(k, params[k]) for k in ranges_first]
        candidates: Iterable[dict[str, Any]] = table.values()
        for name, raw in params.items():
            field = name.removesuffix("_eq")
            if field in LINKS.get(resource, {}) and not any(field.endswith(op) for op in OPERATORS):
                index = links.index(resource, field, table)
                found = {i for value in raw.split(",") for i in index.get(value.strip(), ())}
                candidates = [table[i] for i in sorted(found) if i in table]
                break
        return _sorted([r for r in candidates if all(t(r) for t in tests)], sort)

    def _linked(
        resource: str, records: list[dict[str, Any]], include: str | None
    ) -> dict[str, list[dict[str, Any]]]:
        linked: dict[str, list[dict[str, Any]]] = {}
        for link in filter(None, (include or "").split(",")):
            target = LINKS.get(resource, {}).get(link)
            table = state.firm.actionstep.get(target or "")
            if table is None:
                continue
            ids: list[int] = []
            for record in records:
                for value in _field(record, link):
                    if str(value).isdigit() and int(value) not in ids:
                        ids.append(int(value))
            found = [table[i] for i in ids if i in table]
            if found:
                linked.setdefault(target or link, []).extend(found)
        return linked

    return Starlette(
        routes=[
            Route("/oauth/authorize", authorize, methods=["GET"]),
            Route("/oauth/token", token, methods=["POST"]),
            Route("/rest/{resource}", collection, methods=["GET"]),
            Route("/rest/{resource}/{ids}", collection, methods=["GET"]),
        ]
    )


def _sorted(records: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    ordered = sorted(records, key=lambda r: int(r["id"]))
    for key in reversed([k for k in (sort or "").split(",") if k]):
        name = key.lstrip("-")

        def by_field(record: dict[str, Any], name: str = name) -> Any:
            return _comparable((_field(record, name) or [""])[0] or "")

        ordered.sort(key=by_field, reverse=key.startswith("-"))
    return ordered
