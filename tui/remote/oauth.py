"""OAuth2 for both services: signing in (authorization code, PKCE, paste-back, loopback) and
keeping a valid access token afterwards.

The protocol pieces (PKCE verifier and challenge, the authorize URL, parsing the redirect and
checking `state`) are authlib's; the HTTP is our own httpx client.

`TokenKeeper` is the part that matters most. Xero rotates refresh tokens and refuses an old one
30 minutes after it was used (`invalid_grant`), so two processes refreshing the same token set
break it. One refresher at a time across processes (a lock file), the stored tokens re-read after
taking the lock (someone may have refreshed meanwhile), and the rotated token saved before it is
handed out. A refresh whose answer is lost is retried with the same refresh token, which Xero
accepts within its grace period. A refused refresh becomes a saved "reconnect needed" state.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import webbrowser
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import (
    MismatchingStateException,
    MissingCodeException,
    parse_authorization_code_response,
    prepare_grant_uri,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import ReconnectNeeded, RemoteError, RemoteUnavailable, SignInError
from tui.core.jsonio import loads
from tui.remote.transport import new_client, plain_excerpt, transport_failure

REFRESH_LEEWAY = timedelta(minutes=2)
"""Refresh this long before the access token expires."""
REFRESH_ATTEMPTS = 4
LOCK_TIMEOUT = 120.0


class TokenRefused(SignInError):
    """The token endpoint answered with an OAuth2 error (invalid_grant, invalid_client, ...)."""

    def __init__(self, error: str, status: int, description: str = "") -> None:
        super().__init__(f"{error}{': ' + description if description else ''}")
        self.error = error
        self.status = status


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """What tokens.json holds for one service. Secret: never logged or shown."""

    access_token: str
    expires_at: datetime
    refresh_token: str = ""
    scope: str = ""
    reconnect: str = ""
    """Why the service must be signed in again; empty while the tokens are good."""

    def expiring(self, now: datetime, leeway: timedelta = REFRESH_LEEWAY) -> bool:
        return now + leeway >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenRecord:
        return cls(
            access_token=str(data.get("access_token", "")),
            expires_at=datetime.fromisoformat(str(data["expires_at"])),
            refresh_token=str(data.get("refresh_token") or ""),
            scope=str(data.get("scope") or ""),
            reconnect=str(data.get("reconnect") or ""),
        )

    @classmethod
    def from_response(
        cls, body: Mapping[str, Any], now: datetime, previous: TokenRecord | None = None
    ) -> TokenRecord:
        """A token endpoint's answer; keeps the old refresh token when none is sent back."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise SignInError("the token endpoint answered without an access token")
        lifetime = int(body.get("expires_in") or 1800)
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else "")
        scope = body.get("scope", previous.scope if previous else "")
        if isinstance(scope, list):
            scope = " ".join(str(s) for s in scope)
        return cls(access, now + timedelta(seconds=lifetime), str(refresh or ""), str(scope))


# -- the token endpoint ------------------------------------------------------------------------


async def token_request(
    http: httpx.AsyncClient,
    service: str,
    url: str,
    form: dict[str, str],
    basic: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """POST a form to a token endpoint: its JSON answer, TokenRefused for an OAuth2 error, or
    RemoteUnavailable when the service did not answer properly. Never echoes the form."""
    try:
        response = await http.post(url, data=form, auth=basic or httpx.USE_CLIENT_DEFAULT)
    except httpx.TransportError as error:
        raise transport_failure(f"{service}'s token endpoint", "POST", error) from None
    if response.status_code >= 500:
        raise RemoteUnavailable(
            f"{service}'s token endpoint is unavailable "
            f"({response.status_code}): {plain_excerpt(response)}",
            status=response.status_code,
        )
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        code = body.get("error", "") if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        raise TokenRefused(
            str(code or f"http {response.status_code}"), response.status_code, str(description)
        )
    return body


# -- signing in ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str
    redirect_uri: str
    code_verifier: str | None
    """PKCE: sent with the code. A secret: never logged."""


def begin_authorization(
    authorize_url: str, client_id: str, redirect_uri: str, scope: str, *, pkce: bool
) -> AuthorizationRequest:
    state = generate_token(24)
    verifier = generate_token(64) if pkce else None
    extra = (
        {"code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
        if verifier
        else {}
    )
    url = prepare_grant_uri(
        authorize_url,
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        **extra,
    )
    return AuthorizationRequest(str(url), state, redirect_uri, verifier)


def code_from_redirect(request: AuthorizationRequest, redirected_url: str) -> str:
    """The authorization code in the URL the browser was sent back to, with `state` checked."""
    url = redirected_url.strip()
    query = urlparse(url).query
    if "error=" in query and "code=" not in query:
        error = parse_qs(query).get("error", ["unknown"])[0]
        raise SignInError(
            f"the sign-in was refused ({error}); check the client id, the "
            "redirect URI registered for the app, and the scopes"
        )
    try:
        params = parse_authorization_code_response(url, state=request.state)
    except MismatchingStateException:
        raise SignInError(
            "the redirect's state does not match this sign-in: paste the URL "
            "of this attempt, or start again"
        ) from None
    except MissingCodeException:
        raise SignInError(
            "that URL carries no authorization code: paste the full address "
            "the browser ended on (it contains ?code=...)"
        ) from None
    return str(params["code"])


class ConsentAgent(Protocol):
    """How the person (or the sandbox) approves the sign-in: returns the redirected URL."""

    async def consent(self, request: AuthorizationRequest) -> str: ...


class AutoConsent:
    """For the sandbox, which approves at once: follow the authorize URL to its redirect."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport

    async def consent(self, request: AuthorizationRequest) -> str:
        async with httpx.AsyncClient(transport=self._transport, timeout=30) as http:
            try:
                response = await http.get(request.url)
            except httpx.TransportError as error:
                raise SignInError(
                    f"the sign-in page could not be reached: {type(error).__name__}"
                ) from None
        location = response.headers.get("location")
        if response.status_code not in (301, 302, 303, 307) or not location:
            raise SignInError(
                f"the sign-in page did not redirect back "
                f"({response.status_code}): {plain_excerpt(response, 120)}"
            )
        return str(location)


Say = Callable[[str], None]
Ask = Callable[[str], Awaitable[str]]


class PasteBack:
    """Over SSH: show the URL to open elsewhere, then read back the address it ended on."""

    def __init__(self, say: Say, ask: Ask) -> None:
        self._say = say
        self._ask = ask

    async def consent(self, request: AuthorizationRequest) -> str:
        self._say("Open this address in a browser on any machine and sign in:")
        self._say(f"  {request.url}")
        self._say(
            f"The browser then goes to {request.redirect_uri}?code=... (the page may not "
            "load; that is expected). Copy that whole address."
        )
        return await self._ask("Paste the address here: ")


class LoopbackReceiver:
    """On a desktop: listen on localhost for the redirect, and open the browser if possible."""

    def __init__(
        self, port: int, say: Say, *, open_browser: bool = True, wait_seconds: float = 300
    ) -> None:
        self._port = port
        self._say = say
        self._open = open_browser
        self._wait = wait_seconds

    async def consent(self, request: AuthorizationRequest) -> str:
        arrived: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                line = (await reader.readline()).decode("latin-1")
                target = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                body = b"Signed in. You can close this tab and return to axpush."
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n\r\n"
                    + body
                )
                await writer.drain()
                if target.startswith("/callback") and not arrived.done():
                    arrived.set_result(f"http://localhost:{self._port}{target}")
            writer.close()

        try:
            server = await asyncio.start_server(handle, "127.0.0.1", self._port)
        except OSError as error:
            raise SignInError(
                f"cannot listen on localhost:{self._port} for the sign-in "
                f"({error.strerror}); use --paste, or another redirect port"
            ) from None
        async with server:
            self._say("Sign in with your browser:")
            self._say(f"  {request.url}")
            if self._open:
                with contextlib.suppress(Exception):
                    webbrowser.open(request.url)
            try:
                url: str = await asyncio.wait_for(arrived, self._wait)
                return url
            except TimeoutError:
                raise SignInError("no sign-in arrived in time; try again, or use --paste") from None


# -- keeping tokens ----------------------------------------------------------------------------


class TokenVault(Protocol):
    """Where a profile keeps its tokens (the store implements it). The three calls block on
    file I/O: the keeper runs them in a thread."""

    def token(self, key: str) -> dict[str, Any] | None: ...

    def save_token(self, key: str, token: dict[str, Any]) -> None: ...

    def forget_token(self, key: str) -> None: ...

    def refresh_lock(self, key: str, timeout: float) -> AbstractAsyncContextManager[object]:
        """Held by one refresher at a time, across every process using the profile."""
        ...


Refresher = Callable[[TokenRecord], Awaitable[dict[str, Any]]]
"""Asks the token endpoint for a new token set, given the current one."""


class TokenKeeper:
    """A valid access token for one service of one profile, refreshed once across processes."""

    def __init__(
        self,
        vault: TokenVault,
        service: str,
        refresher: Refresher,
        *,
        clock: Clock = REAL_CLOCK,
        leeway: timedelta = REFRESH_LEEWAY,
        attempts: int = REFRESH_ATTEMPTS,
        backoff: float = 1.0,
    ) -> None:
        self._vault = vault
        self.service = service
        self._key = service.lower()
        self._refresher = refresher
        self._clock = clock
        self._leeway = leeway
        self._attempts = attempts
        self._backoff = backoff
        self._local = asyncio.Lock()

    async def read(self) -> TokenRecord | None:
        data = await asyncio.to_thread(self._vault.token, self._key)
        if not data or "expires_at" not in data:
            return None
        return TokenRecord.from_json(data)

    async def save(self, record: TokenRecord) -> None:
        await asyncio.to_thread(self._vault.save_token, self._key, record.to_json())

    async def token(self) -> str:
        """The access token to use now, refreshed first when it is about to expire."""
        record = await self.read()
        if record is None:
            raise ReconnectNeeded(self.service, "not connected")
        if record.reconnect:
            raise ReconnectNeeded(self.service, record.reconnect)
        if not record.expiring(self._clock.now(), self._leeway):
            return record.access_token
        return await self.refresh(record.access_token)

    async def refresh(self, stale: str | None) -> str:
        """Refresh unless someone already has since `stale` was handed out (a 401 on it, or it
        expiring); returns the access token to use."""
        async with self._local, self._vault.refresh_lock(self._key, LOCK_TIMEOUT):
            current = await self.read()
            if current is None:
                raise ReconnectNeeded(self.service, "not connected")
            if current.reconnect:
                raise ReconnectNeeded(self.service, current.reconnect)
            fresh = not current.expiring(self._clock.now(), self._leeway)
            if current.access_token != stale and fresh:
                return current.access_token  # another process (or task) refreshed it
            renewed = await self._refresh_with_retries(current)
            await self.save(renewed)  # before anyone uses it
            return renewed.access_token

    async def _refresh_with_retries(self, current: TokenRecord) -> TokenRecord:
        last: RemoteError | None = None
        for attempt in range(self._attempts):
            try:
                body = await self._refresher(current)
            except TokenRefused as refused:
                reason = (
                    "the refresh token was refused"
                    if refused.error == "invalid_grant"
                    else f"the token endpoint refused: {refused.error}"
                )
                await self.save(replace(current, reconnect=reason))
                raise ReconnectNeeded(self.service, reason) from None
            except RemoteUnavailable as error:
                last = error  # the answer may be lost: the same refresh token is good for 30 min
                await self._clock.sleep(self._backoff * (2**attempt) * random.uniform(0.5, 1.5))
                continue
            return TokenRecord.from_response(body, self._clock.now(), current)
        assert last is not None
        raise last

    async def forget(self) -> None:
        await asyncio.to_thread(self._vault.forget_token, self._key)


def http_for_tokens(transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """A client for token endpoints: JSON answers, no base URL."""
    return new_client("", transport, {"Accept": "application/json"})
