"""OAuth2 as Xero's identity service and Actionstep's do it, on the sandbox's clock.

Xero (its OAuth 2.0 developer guide): authorization code with PKCE (S256, verified) or with a
client secret; client_credentials for a Custom Connection; 30-minute access tokens; refresh tokens
that rotate on every use, the previous one still accepted for a 30-minute grace and refused with
`invalid_grant` after; unused refresh tokens die after 60 days; revocation removes the grant and
its connections. Actionstep (its API authentication docs): authorization code with a
client secret; 60-minute access tokens; 21-day refresh tokens; the token response names the
`api_endpoint` and `orgkey`. Its refresh tokens rotate strictly here (the old one is refused at
once): Actionstep does not document a grace, so the stricter reading is the safer test.

Consent is given by the sandbox itself: authorize redirects straight back with a code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

XERO, ACTIONSTEP = "xero", "actionstep"
ACCESS_LIFETIME = {XERO: timedelta(minutes=30), ACTIONSTEP: timedelta(minutes=60)}
REFRESH_LIFETIME = {XERO: timedelta(days=60), ACTIONSTEP: timedelta(days=21)}
REFRESH_GRACE = {XERO: timedelta(minutes=30), ACTIONSTEP: timedelta(0)}
CODE_LIFETIME = timedelta(minutes=5)
DEMO_LIFETIME = timedelta(days=365)

XERO_CONFIDENTIAL = {"sandbox-web": "sandbox-web-secret"}
"""Clients that authenticate with a secret; any other client id is a public (PKCE) client."""
CUSTOM_CONNECTION = ("sandbox-client", "sandbox-secret")
ACTIONSTEP_CLIENTS = {"sandbox-actionstep": "sandbox-actionstep-secret"}
ORGKEY = "harbourfinch"


@dataclass
class Grant:
    """One consent: a client authorised by the (sandbox) user, and what it reaches."""

    grant_id: str
    service: str
    client_id: str
    scopes: list[str]
    created: datetime
    tenant_ids: list[str] = field(default_factory=list)
    custom: bool = False
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: datetime


@dataclass
class RefreshToken:
    token: str
    grant: Grant
    expires_at: datetime
    rotated_at: datetime | None = None


@dataclass
class AuthCode:
    code: str
    service: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    expires_at: datetime


@dataclass
class Connection:
    """A tenant connected to a Xero grant, as GET /connections lists it."""

    connection_id: str
    tenant_id: str
    grant: Grant
    created: datetime


class TokenProblem(Exception):
    """Why a bearer token was refused: missing, invalid, or expired (with when)."""

    def __init__(self, kind: str, expired_at: datetime | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.expired_at = expired_at


class OAuthError(Exception):
    """An error the token endpoint answers as JSON: {"error": ...}."""

    def __init__(self, error: str, status: int = 400, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


class Identity:
    def __init__(
        self,
        now: Callable[[], datetime],
        tenants: Callable[[], list[str]],
        custom_tenant: Callable[[], str],
    ) -> None:
        self._now = now
        self._tenants = tenants
        self._custom_tenant = custom_tenant
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.connections: dict[str, Connection] = {}
        self.token_requests: list[tuple[str, str]] = []
        """(service, grant_type) of every request that reached a token endpoint."""

    # -- authorize ----------------------------------------------------------------------------

    def authorize(self, service: str, params: dict[str, str]) -> str:
        """Consent at once: the redirect URL carrying the code (or the error) and `state`."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if not client_id or not redirect_uri:
            raise OAuthError("invalid_request", description="client_id and redirect_uri needed")
        if service == ACTIONSTEP and client_id not in ACTIONSTEP_CLIENTS:
            raise OAuthError("unauthorized_client", description=f"unknown client {client_id}")
        state = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            return f"{redirect_uri}?{urlencode({'error': 'unsupported_response_type', **state})}"
        challenge = params.get("code_challenge")
        public = service == XERO and client_id not in XERO_CONFIDENTIAL
        if public and (not challenge or params.get("code_challenge_method") != "S256"):
            return f"{redirect_uri}?{urlencode({'error': 'invalid_request', **state})}"
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            code,
            service,
            client_id,
            redirect_uri,
            params.get("scope", "").split(),
            challenge,
            self._now() + CODE_LIFETIME,
        )
        return f"{redirect_uri}?{urlencode({'code': code, **state})}"

    # -- token endpoint -----------------------------------------------------------------------

    def token(
        self, service: str, form: dict[str, str], authorization: str | None, api_endpoint: str = ""
    ) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        self.token_requests.append((service, grant_type))
        client_id, secret = self._client(form, authorization)
        if grant_type == "authorization_code":
            grant = self._redeem_code(service, form, client_id, secret)
        elif grant_type == "refresh_token":
            grant = self._refresh(service, form.get("refresh_token", ""), client_id, secret)
        elif grant_type == "client_credentials" and service == XERO:
            if (client_id, secret) != CUSTOM_CONNECTION:
                raise OAuthError("invalid_client", 401)
            grant = Grant(
                str(uuid.uuid4()),
                XERO,
                client_id,
                form.get("scope", "").split(),
                self._now(),
                custom=True,
            )
            self.connect(grant, self._custom_tenant())
            return self._issue(grant, refresh=False)
        else:
            raise OAuthError("unsupported_grant_type")
        body = self._issue(grant, refresh=service == ACTIONSTEP or "offline_access" in grant.scopes)
        if service == ACTIONSTEP:
            body.update({"api_endpoint": api_endpoint, "orgkey": ORGKEY})
        return body

    def _client(self, form: dict[str, str], authorization: str | None) -> tuple[str, str]:
        basic = basic_credentials(authorization)
        if basic is not None:
            return basic
        return form.get("client_id", ""), form.get("client_secret", "")

    def _check_secret(self, service: str, client_id: str, secret: str) -> None:
        if service == ACTIONSTEP:
            if ACTIONSTEP_CLIENTS.get(client_id) != secret:
                raise OAuthError("invalid_client", 401)
        elif client_id in XERO_CONFIDENTIAL and XERO_CONFIDENTIAL[client_id] != secret:
            raise OAuthError("invalid_client", 401)

    def _redeem_code(
        self, service: str, form: dict[str, str], client_id: str, secret: str
    ) -> Grant:
        code = self.codes.pop(form.get("code", ""), None)  # single use
        if code is None or code.service != service or code.expires_at < self._now():
            raise OAuthError("invalid_grant")
        if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
            raise OAuthError("invalid_grant")
        self._check_secret(service, client_id, secret)
        if code.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not 43 <= len(verifier) <= 128 or s256(verifier) != code.challenge:
                raise OAuthError("invalid_grant", description="code_verifier does not match")
        elif service == XERO and client_id not in XERO_CONFIDENTIAL:
            raise OAuthError("invalid_grant")
        grant = Grant(str(uuid.uuid4()), service, client_id, code.scopes, self._now())
        if service == XERO:
            for tenant_id in self._tenants():
                self.connect(grant, tenant_id)
        return grant

    def _refresh(self, service: str, token: str, client_id: str, secret: str) -> Grant:
        refresh = self.refresh_tokens.get(token)
        now = self._now()
        if refresh is None or refresh.grant.service != service or refresh.grant.revoked:
            raise OAuthError("invalid_grant")
        if refresh.grant.client_id != client_id:
            raise OAuthError("invalid_grant")
        self._check_secret(service, client_id, secret)
        if refresh.expires_at < now:
            raise OAuthError("invalid_grant")
        if refresh.rotated_at is not None and now - refresh.rotated_at > REFRESH_GRACE[service]:
            raise OAuthError("invalid_grant")
        if refresh.rotated_at is None:
            refresh.rotated_at = now
        return refresh.grant

    def _issue(self, grant: Grant, *, refresh: bool) -> dict[str, Any]:
        now = self._now()
        lifetime = DEMO_LIFETIME if grant.client_id == "demo" else ACCESS_LIFETIME[grant.service]
        access = AccessToken(secrets.token_urlsafe(32), grant, now + lifetime)
        self.access_tokens[access.token] = access
        body: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": int(lifetime.total_seconds()),
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if refresh:
            token = RefreshToken(
                secrets.token_urlsafe(32), grant, now + REFRESH_LIFETIME[grant.service]
            )
            self.refresh_tokens[token.token] = token
            body["refresh_token"] = token.token
        return body

    # -- revocation, connections ---------------------------------------------------------------

    def revoke(self, token: str, authorization: str | None, form: dict[str, str]) -> None:
        """Revoking a refresh token ends its grant: every token and connection of it."""
        client_id, secret = self._client(form, authorization)
        refresh = self.refresh_tokens.get(token)
        if refresh is None:
            return  # RFC 7009: an unknown token is not an error
        if refresh.grant.client_id != client_id:
            raise OAuthError("invalid_client", 401)
        self._check_secret(refresh.grant.service, client_id, secret)
        refresh.grant.revoked = True
        for connection_id, connection in list(self.connections.items()):
            if connection.grant is refresh.grant:
                del self.connections[connection_id]

    def connect(self, grant: Grant, tenant_id: str) -> Connection:
        connection = Connection(str(uuid.uuid4()), tenant_id, grant, self._now())
        self.connections[connection.connection_id] = connection
        grant.tenant_ids.append(tenant_id)
        return connection

    def connections_of(self, grant: Grant) -> list[Connection]:
        return [c for c in self.connections.values() if c.grant is grant]

    def disconnect(self, grant: Grant, connection_id: str) -> bool:
        connection = self.connections.get(connection_id)
        if connection is None or connection.grant is not grant:
            return False
        del self.connections[connection_id]
        grant.tenant_ids.remove(connection.tenant_id)
        return True

    # -- bearer checks --------------------------------------------------------------------------

    def access(self, service: str, authorization: str | None) -> AccessToken:
        header = authorization or ""
        if not header.lower().startswith("bearer "):
            raise TokenProblem("missing")
        access = self.access_tokens.get(header[7:].strip())
        if access is None or access.grant.service != service or access.grant.revoked:
            raise TokenProblem("invalid")
        if access.expires_at <= self._now():
            raise TokenProblem("expired", access.expires_at)
        return access

    def tenant_allowed(self, access: AccessToken, tenant_id: str | None) -> str | None:
        """The tenant this call may act on, or None when it may not."""
        grant = access.grant
        if grant.custom:  # a Custom Connection reaches its one organisation, header or not
            return grant.tenant_ids[0] if tenant_id in (None, "", grant.tenant_ids[0]) else None
        connected = {c.tenant_id for c in self.connections_of(grant)}
        return tenant_id if tenant_id in connected else None

    def demo_token(self, service: str) -> str:
        """A year-long token for the demo, standing in for a completed OAuth2 flow."""
        grant = Grant(str(uuid.uuid4()), service, "demo", ["offline_access"], self._now())
        if service == XERO:
            for tenant_id in self._tenants():
                self.connect(grant, tenant_id)
        return str(self._issue(grant, refresh=False)["access_token"])
