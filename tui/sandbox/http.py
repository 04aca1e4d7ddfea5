"""HTTP pieces both simulated services share: answers, dropped connections, injected faults."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from tui.sandbox.faults import HANG_SECONDS, Fault
from tui.sandbox.formats import dumps

OFFLINE = "The Organisation is Offline"
"""Xero's plain-text 503 body when an organisation is offline."""
XERO_500 = (
    "An error occurred in Xero. Check the API Status page "
    "http://status.developer.xero.com for current service status."
)


class ConnectionDropped(Exception):
    """Raised inside the server on purpose: the client sees the connection drop mid-answer."""


class DroppedResponse(Response):
    """Starts an answer and never finishes it: to the client, a reset connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200, headers={"Content-Length": "512"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raise ConnectionDropped("connection dropped by the sandbox (injected fault)")


def json_response(
    data: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json; charset=utf-8",
) -> Response:
    return Response(dumps(data), status_code=status, media_type=media_type, headers=headers)


async def wait(fault: Fault | None) -> None:
    """The delays: a slow answer, or one that does not come before the client gives up."""
    if fault is None:
        return
    if fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
    elif fault.kind == "timeout":
        await asyncio.sleep(HANG_SECONDS)


ACTIONSTEP_500 = "An unexpected error occurred."
ACTIONSTEP_503 = "Service Unavailable"


def refusal(
    fault: Fault | None,
    *,
    service: str = "xero",
    retry_after_day: int = 60 * 60 * 20,
    headers: dict[str, str] | None = None,
) -> Response | None:
    """The answers a fault gives instead of serving the call (None: serve it)."""
    if fault is None:
        return None
    extra = dict(headers or {})
    xero = service == "xero"
    if fault.kind == "reset":
        return DroppedResponse()
    if fault.kind == "500":
        return PlainTextResponse(
            XERO_500 if xero else ACTIONSTEP_500, status_code=500, headers=extra
        )
    if fault.kind == "503":
        return PlainTextResponse(
            OFFLINE if xero else ACTIONSTEP_503, status_code=503, headers=extra
        )
    if fault.kind in ("429-minute", "429-day"):
        problem = fault.kind.split("-")[1]
        extra.update(
            {
                "Retry-After": str(60 if problem == "minute" else retry_after_day),
                "X-Rate-Limit-Problem": problem,
            }
        )
        return PlainTextResponse("Rate limit exceeded", status_code=429, headers=extra)
    return None
