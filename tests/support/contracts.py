"""Validate real traffic against the official OpenAPI files kept in tests/specs.

`RecordingTransport` wraps the real loopback transport and keeps every exchange; the adapters
present httpx's requests and responses to openapi-core, with the sandbox's prefix mapped onto
the spec's server (e.g. /xero/api.xro/2.0 -> https://api.xero.com/api.xro/2.0).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parent.parent / "specs"
"""Copies of the published files, unchanged; where each came from is in its PROVENANCE.txt."""
XERO_SPEC = SPECS / "xero" / "xero_accounting.yaml"
XERO_IDENTITY_SPEC = SPECS / "xero" / "xero-identity.yaml"
ACTIONSTEP_SPECS = {
    name: SPECS / "actionstep" / f"{name}.yml"
    for name in ("bills", "participants", "actions", "timeentries", "disbursements")
}


@cache
def spec(path: Path) -> OpenAPI:
    """The spec, with numbers read as Decimal on both sides (instance and `multipleOf`), as the
    clients read them, so that `multipleOf: 0.01` is checked exactly, not in binary floats.

    The Xero file does not pass the strict spec check (string defaults on booleans); its
    request and response schemas still validate correctly (see PROVENANCE.txt)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = _decimal_multiples(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))
    decimal_json = {"application/json": lambda raw: json.loads(raw, parse_float=Decimal)}
    numeric: dict[str, Callable[[Any], bool]] = {
        name: _is_number for name in ("double", "float", "currency")
    }
    return OpenAPI.from_dict(
        document,
        config=Config(
            spec_validator_cls=None,
            extra_media_type_deserializers=decimal_json,
            extra_format_validators=numeric,
        ),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _decimal_multiples(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: Decimal(str(v))
            if k == "multipleOf" and isinstance(v, float)
            else _decimal_multiples(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_decimal_multiples(v) for v in node]
    return node


@dataclass(frozen=True)
class Exchange:
    request: httpx.Request
    body: bytes
    status: int
    headers: httpx.Headers
    content: bytes


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    exchanges: list[Exchange] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.exchanges.append(
            Exchange(request, body, response.status_code, response.headers, content)
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class SpecRequest:
    """An httpx request as openapi-core sees it, moved onto the spec's server."""

    def __init__(self, exchange: Exchange, prefix: str, host_url: str, base_path: str) -> None:
        url = exchange.request.url
        assert url.path.startswith(prefix), (url.path, prefix)
        self.host_url = host_url
        self.path = base_path + url.path[len(prefix) :]
        self.method = exchange.request.method.lower()
        self.body: bytes | None = exchange.body or None
        self.content_type = exchange.request.headers.get("Content-Type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query.decode())),
            header=Headers(dict(exchange.request.headers)),
            cookie=ImmutableMultiDict({}),
        )


class SpecResponse:
    def __init__(self, exchange: Exchange) -> None:
        self.data = exchange.content
        self.status_code = exchange.status
        self.content_type = exchange.headers.get("Content-Type", "").split(";")[0]
        self.headers = Headers(dict(exchange.headers))


def check(openapi: OpenAPI, request: SpecRequest, response: SpecResponse | None = None) -> None:
    """Validate, failing with a short account of what broke the contract."""
    try:
        if response is None:
            openapi.validate_request(request)
        else:
            openapi.validate_response(request, response)
    except Exception as error:  # openapi-core raises several unrelated types
        causes = getattr(error.__cause__, "schema_errors", None) or [error.__cause__ or error]
        details = sorted({str(getattr(c, "message", c))[:200] for c in causes})[:5]
        raise AssertionError(
            f"{request.method.upper()} {request.path}: {error}: {details}"
        ) from None


class ReceivedRequest:
    """A request as the sandbox received it, presented to openapi-core."""

    def __init__(self, received: Any) -> None:
        url = httpx.URL(received.url)
        assert url.path.startswith("/xero/api.xro/2.0"), url.path
        self.host_url = "https://api.xero.com"
        self.path = "/api.xro/2.0" + url.path[len("/xero/api.xro/2.0") :]
        self.method = received.method.lower()
        self.body: bytes | None = received.body or None
        self.content_type = received.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query.decode())),
            header=Headers(received.headers),
            cookie=ImmutableMultiDict({}),
        )


def check_client_request(received: Any) -> str:
    """Validate one request our Xero client sent; returns its operation, e.g. 'PUT /Invoices'."""
    request = ReceivedRequest(received)
    check(spec(XERO_SPEC), request)  # type: ignore[arg-type]
    parts = request.path.split("/")  # /api.xro/2.0/Name[/id[/Sub]]
    sub = "".join(f"/{part}" for part in parts[5:])
    return f"{received.method} /{parts[3]}" + ("/{id}" if len(parts) > 4 else "") + sub
