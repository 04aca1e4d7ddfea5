"""HTTP plumbing both clients share: the httpx client, bearer tokens, and what failures mean.

Every client takes an injectable `httpx.AsyncBaseTransport`, so tests and the demo can point it at
the sandbox (over loopback or in-process) while production code talks to the real services.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from typing import Protocol

import httpx

from tui import __version__
from tui.core.errors import RemoteError, RemoteUnauthorised, RemoteUnavailable


class TokenProvider(Protocol):
    """Hands out access tokens (see `tui.remote.oauth.TokenKeeper`)."""

    async def token(self) -> str:
        """The token to use now."""
        ...

    async def refresh(self, stale: str | None) -> str:
        """A new token, because the service refused `stale`."""
        ...


USER_AGENT = f"axpush/{__version__}"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""Xero and Actionstep can be slow on a first page; a read timeout on a write is an unknown
outcome, so it is generous rather than tight."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StaticToken:
    """A fixed token that cannot be refreshed (tests, and tokens handed over by hand)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self) -> str:
        return self._token

    async def refresh(self, stale: str | None) -> str:
        raise RemoteUnauthorised("the access token was refused and cannot be refreshed: reconnect")


def static_token(token: str) -> StaticToken:
    return StaticToken(token)


def new_client(
    base_url: str, transport: httpx.AsyncBaseTransport | None, headers: dict[str, str]
) -> httpx.AsyncClient:
    """An httpx client with our timeouts and user agent; `base_url` may be empty."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/" if base_url else "",
        transport=transport,
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT, **headers},
        follow_redirects=False,
    )


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
    return RemoteUnavailable(
        f"{service} is unavailable ({response.status_code}): {plain_excerpt(response)}",
        status=response.status_code,
        raw=redact(response.text),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, for 5xx, offline, timeouts and resets."""

    attempts: int = 4
    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0))


DEFAULT_RETRY = RetryPolicy(base=float(os.environ.get("AXPUSH_RETRY_BASE_SECONDS", "1")))
"""The first wait is about a second; `AXPUSH_RETRY_BASE_SECONDS` scales every wait (soak tests
run with a hundredth of it)."""

_SECRETS = re.compile(
    r'("(?:access_token|refresh_token|id_token|client_secret|code_verifier)"'
    r'\s*:\s*")[^"]*(")|(Bearer\s+)[A-Za-z0-9._~+/=-]+',
    re.IGNORECASE,
)


def redact(text: str, limit: int = 2000) -> str:
    """An answer's start, safe to keep and show: token values and bearer credentials removed."""

    def hide(match: re.Match[str]) -> str:
        if match.group(3):
            return match.group(3) + "[redacted]"
        return match.group(1) + "[redacted]" + match.group(2)

    return _SECRETS.sub(hide, text[:limit])
