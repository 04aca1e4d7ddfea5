"""A real loopback transport with faults at the network edge, for the failure stories.

The request still reaches the sandbox over HTTP; only what the client then sees is changed.
(The sandbox's own fault injection, on the server side, is the sandbox issue's job.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Match = Callable[[httpx.Request], bool]


def writes_to(path_end: str) -> Match:
    return lambda request: request.method in ("PUT", "POST") and request.url.path.endswith(path_end)


def calls_to(path_part: str) -> Match:
    return lambda request: path_part in request.url.path


@dataclass
class FaultyTransport(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    lose_after_commit: list[Match] = field(default_factory=list)
    """Send the request, let the server apply it, then drop the answer (read error)."""
    refuse: list[Match] = field(default_factory=list)
    """Refuse the connection before anything is sent."""
    hold: list[Match] = field(default_factory=list)
    """Keep matching requests waiting until `release` is set."""
    rewrite: list[tuple[Match, Callable[[httpx.Request, Any], Any]]] = field(default_factory=list)
    """Answer matching requests with their JSON body changed: a hostile or broken service."""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if any(match(request) for match in self.hold):
            await self.release.wait()
        if any(match(request) for match in self.refuse):
            raise httpx.ConnectError("connection refused (injected)", request=request)
        response = await self.inner.handle_async_request(request)
        for match, change in self.rewrite:
            if match(request):
                await response.aread()
                body = change(request, json.loads(response.content) if response.content else None)
                response = httpx.Response(
                    response.status_code,
                    headers={"Content-Type": "application/json"},
                    content=json.dumps(body).encode(),
                    request=request,
                )
        if any(match(request) for match in self.lose_after_commit):
            await response.aread()
            await response.aclose()
            raise httpx.ReadError(
                "connection reset after the request was sent (injected)", request=request
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
