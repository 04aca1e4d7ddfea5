"""HTTP plumbing both clients share: the httpx client, bearer tokens, and what failures mean.

Every client takes an injectable `httpx.AsyncBaseTransport`, so tests and the demo can point it at
the sandbox (over loopback or in-process) while production code talks to the real services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tui import __version__
from tui.core.errors import RemoteError, RemoteUnavailable

TokenSource = Callable[[], Awaitable[str]]
"""Returns a current access token; refreshing it, if needed, is the source's business."""

USER_AGENT = f"axpush/{__version__}"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""Xero and Actionstep can be slow on a first page; a read timeout on a write is an unknown
outcome, so it is generous rather than tight."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def static_token(token: str) -> TokenSource:
    async def source() -> str:
        return token
    return source


def new_client(base_url: str, transport: httpx.AsyncBaseTransport | None,
               headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", transport=transport,
                             timeout=TIMEOUT, headers={"User-Agent": USER_AGENT, **headers},
                             follow_redirects=False)


def transport_failure(service: str, method: str, error: httpx.TransportError) -> RemoteError:
    """A request that got no HTTP answer. For a write, anything but a refused connection means
    the service may have applied it."""
    sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    unknown = sent and method.upper() not in SAFE_METHODS
    if isinstance(error, httpx.TimeoutException):
        what = "did not answer in time"
    elif isinstance(error, httpx.ConnectError):
        what = "could not be reached"
    else:
        what = "dropped the connection"
    note = " (it may have been applied: it will be checked before any retry)" if unknown else ""
    return RemoteUnavailable(f"{service} {what}{note}", outcome_unknown=unknown)


def plain_excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of a non-JSON body (Xero's offline pages are plain text), on one line."""
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def unavailable(service: str, response: httpx.Response) -> RemoteUnavailable:
    """A 5xx answer: the service is down or unstable, its body usually plain text."""
    return RemoteUnavailable(f"{service} is unavailable ({response.status_code}): "
                             f"{plain_excerpt(response)}", status=response.status_code)
