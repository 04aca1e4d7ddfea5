"""Connecting a profile to Xero and Actionstep, and what the connections look like now.

The command line (`axpush connect`, `disconnect`, `status`) and the console (the Connections
view) call the same functions; each front end only supplies its way of asking a person
(`SignInPrompts`). Client secrets and tokens go to the profile's tokens.json (0600), settings
and connection state to config.json; nothing secret is ever printed, logged or returned.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from tui.core.connection import ActionstepLink, BoundOrganisation, ConnectionState, XeroLink
from tui.core.errors import ReconnectNeeded, RemoteError, SignInError
from tui.core.models import Organisation
from tui.core.settings import (
    ACTIONSTEP_ENVIRONMENTS,
    ENV_PREFIX,
    XERO_BROAD_SCOPES,
    XERO_CUSTOM_CONNECTION_SCOPES,
    ActionstepSettings,
    Settings,
    XeroSettings,
    sandbox_settings,
)
from tui.remote.actionstep.auth import ActionstepAuth
from tui.remote.actionstep.client import ActionstepClient
from tui.remote.oauth import (
    AuthorizationRequest,
    AutoConsent,
    ConsentAgent,
    LoopbackReceiver,
    PasteBack,
    TokenKeeper,
    TokenRecord,
    TokenRefused,
    begin_authorization,
    code_from_redirect,
    http_for_tokens,
)
from tui.remote.xero.auth import Tenant, XeroAuth
from tui.remote.xero.client import XeroClient
from tui.remote.xero.ratelimit import RateGate
from tui.service.session import Session

__all__ = [
    "ACTIONSTEP",
    "XERO",
    "AppCredentials",
    "AuthorizationRequest",
    "ConsentAgent",
    "Links",
    "LoopbackReceiver",
    "PasteBack",
    "SignInCancelled",
    "SignInPrompts",
    "SignInRequest",
    "Tenant",
    "connect_sandbox",
    "disconnect",
    "open_links",
    "sign_in",
    "status",
]

XERO, ACTIONSTEP = "xero", "actionstep"
SANDBOX_ACTIONSTEP_SECRET = "sandbox-actionstep-secret"

ChooseTenant = Callable[[list[Tenant]], Awaitable[Tenant]]


def settings_of(session: Session) -> Settings:
    """The profile's settings with the environment's overrides applied (blocking)."""
    return session.profile.settings().with_environment()


def client_secret(session: Session, service: str) -> str:
    """The app's client secret: `AXPUSH_<SERVICE>_CLIENT_SECRET`, else the one stored with the
    tokens, else empty (blocking)."""
    from_environment = os.environ.get(f"{ENV_PREFIX}{service.upper()}_CLIENT_SECRET")
    if from_environment:
        return from_environment
    stored = session.profile.token(f"{service}-client") or {}
    return str(stored.get("client_secret") or "")


def _save_client_secret(session: Session, service: str, secret: str) -> None:
    session.profile.save_token(f"{service}-client", {"client_secret": secret})


# -- links: what the workspace and the checks talk through ------------------------------------


@dataclass
class Links:
    """Everything needed to talk to both services for one profile."""

    session: Session
    settings: Settings
    state: ConnectionState
    http: httpx.AsyncClient
    xero_auth: XeroAuth
    actionstep_auth: ActionstepAuth
    xero_tokens: TokenKeeper
    actionstep_tokens: TokenKeeper

    def xero_client(self, gate: RateGate | None = None) -> XeroClient:
        session = self.session
        return XeroClient(
            self.settings.xero.api_url,
            self.state.xero.tenant_id,
            self.xero_tokens,
            session.transport,
            gate=gate,
            clock=session.clock,
            retry=session.retry,
        )

    def actionstep_client(self) -> ActionstepClient:
        session = self.session
        return ActionstepClient(
            self.state.actionstep.rest_url,
            self.actionstep_tokens,
            session.transport,
            clock=session.clock,
            retry=session.retry,
        )

    async def aclose(self) -> None:
        await self.http.aclose()


async def open_links(session: Session) -> Links:
    profile = session.profile
    settings = await asyncio.to_thread(settings_of, session)
    state = await asyncio.to_thread(profile.connection)
    xero_secret = await asyncio.to_thread(client_secret, session, XERO)
    actionstep_secret = await asyncio.to_thread(client_secret, session, ACTIONSTEP)
    http = http_for_tokens(session.transport)
    xero_auth = XeroAuth(settings.xero, xero_secret, http)
    actionstep_auth = ActionstepAuth(settings.actionstep, actionstep_secret, http)
    return Links(
        session,
        settings,
        state,
        http,
        xero_auth,
        actionstep_auth,
        TokenKeeper(profile, "Xero", xero_auth.refresh, clock=session.clock),
        TokenKeeper(profile, "Actionstep", actionstep_auth.refresh, clock=session.clock),
    )


# -- connecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class XeroConnected:
    tenant: Tenant
    organisation: Organisation
    bound: bool
    """True when the profile pushes to this organisation; False when it is bound to another."""
    binding: BoundOrganisation

    @property
    def ok(self) -> bool:
        return self.bound

    def describe(self) -> str:
        organisation = self.organisation
        kind = f" [{organisation.org_class}]" if organisation.is_trial_or_demo else ""
        text = f"Xero: connected to {organisation.name}{kind}"
        if not self.bound:
            text += (
                f". This profile is bound to {self.binding.name}: pushing stays blocked "
                "until you re-bind on purpose with `axpush connect xero --rebind` (the "
                "mapping points at the old organisation's accounts)"
            )
        elif organisation.is_trial_or_demo:
            text += (
                ". It is a demo or trial organisation: axpush asks before the first push, "
                "and Actionstep warns never to connect one for real"
            )
        return text


@dataclass(frozen=True)
class ActionstepConnected:
    api_endpoint: str
    orgkey: str
    ok: bool = True

    def describe(self) -> str:
        return f"Actionstep: connected to {self.orgkey or 'the firm'} at {self.api_endpoint}"


async def connect_xero(
    session: Session,
    settings: XeroSettings,
    *,
    secret: str = "",
    agent: ConsentAgent | None,
    choose: ChooseTenant,
    rebind: bool = False,
) -> XeroConnected:
    """Sign in (or, for a Custom Connection, ask for a token), pick the organisation, and bind
    the profile to it if it has none yet."""
    profile, clock = session.profile, session.clock
    if not settings.client_id:
        raise SignInError("no Xero client id: pass --client-id, or set AXPUSH_XERO_CLIENT_ID")
    if settings.mode in ("secret", "client_credentials") and not secret:
        raise SignInError(
            "this kind of Xero app needs its client secret: pass it on standard "
            "input, or set AXPUSH_XERO_CLIENT_SECRET"
        )
    async with http_for_tokens(session.transport) as http:
        auth = XeroAuth(settings, secret, http)
        try:
            if settings.mode == "client_credentials":
                settings = replace(
                    settings, scopes=settings.scopes or XERO_CUSTOM_CONNECTION_SCOPES
                )
                body = await auth.client_credentials()
            else:
                if agent is None:
                    raise SignInError("signing in to Xero needs a browser (or --paste)")
                request = begin_authorization(
                    settings.authorize_url,
                    settings.client_id,
                    settings.redirect_uri,
                    settings.scopes,
                    pkce=settings.mode == "pkce",
                )
                code = code_from_redirect(request, await agent.consent(request))
                body = await auth.exchange_code(request, code)
        except TokenRefused as refused:
            raise SignInError(
                f"Xero refused the sign-in ({refused}); check the client id, "
                "secret and redirect URI of the app"
            ) from None
        record = TokenRecord.from_response(body, clock.now())
        tenants = await auth.connections(record.access_token)
        if not tenants:
            raise SignInError(
                "the sign-in connected no Xero organisation; sign in again and choose one"
            )
        tenant = tenants[0] if len(tenants) == 1 else await choose(tenants)
        if secret:
            await asyncio.to_thread(_save_client_secret, session, XERO, secret)
        keeper = TokenKeeper(profile, "Xero", auth.refresh, clock=clock)
        await keeper.save(record)
        xero = XeroClient(
            settings.api_url, tenant.tenant_id, keeper, session.transport, clock=clock
        )
        try:
            organisation = await xero.organisation()
        finally:
            await xero.aclose()
    state = await asyncio.to_thread(profile.connection)
    binding = state.binding
    if not binding.organisation_id or rebind:
        binding = BoundOrganisation(
            organisation.organisation_id,
            organisation.name,
            organisation.short_code or "",
            organisation.org_class or "",
            organisation.is_demo,
            organisation.base_currency,
        )
    stored = await asyncio.to_thread(profile.settings)
    await asyncio.to_thread(profile.save_settings, replace(stored, xero=settings))
    await asyncio.to_thread(
        profile.save_connection,
        replace(state, binding=binding, xero=XeroLink(tenant.tenant_id, tenant.connection_id)),
    )
    return XeroConnected(
        tenant, organisation, binding.organisation_id == organisation.organisation_id, binding
    )


async def connect_actionstep(
    session: Session, settings: ActionstepSettings, *, secret: str, agent: ConsentAgent
) -> ActionstepConnected:
    profile, clock = session.profile, session.clock
    if not settings.client_id or not secret:
        raise SignInError(
            "Actionstep needs the client id and secret it issued (the API Access "
            "Key and Client Secret): --client-id and the secret on standard "
            "input, or AXPUSH_ACTIONSTEP_CLIENT_ID and _CLIENT_SECRET"
        )
    async with http_for_tokens(session.transport) as http:
        auth = ActionstepAuth(settings, secret, http)
        request = begin_authorization(
            settings.authorize_url,
            settings.client_id,
            settings.redirect_uri,
            settings.scopes,
            pkce=False,
        )
        code = code_from_redirect(request, await agent.consent(request))
        try:
            body = await auth.exchange_code(request, code)
        except TokenRefused as refused:
            raise SignInError(
                f"Actionstep refused the sign-in ({refused}); check the client "
                "id, secret and redirect URI"
            ) from None
    endpoint = str(body.get("api_endpoint") or "")
    if not endpoint.startswith(("http://", "https://")):
        raise SignInError(
            "Actionstep's token answer named no api_endpoint; cannot tell which "
            "server holds the firm's data"
        )
    record = TokenRecord.from_response(body, clock.now())
    await asyncio.to_thread(_save_client_secret, session, ACTIONSTEP, secret)
    await asyncio.to_thread(profile.save_token, ACTIONSTEP, record.to_json())
    orgkey = str(body.get("orgkey") or "")
    stored = await asyncio.to_thread(profile.settings)
    await asyncio.to_thread(profile.save_settings, replace(stored, actionstep=settings))
    state = await asyncio.to_thread(profile.connection)
    await asyncio.to_thread(
        profile.save_connection, replace(state, actionstep=ActionstepLink(endpoint, orgkey))
    )
    return ActionstepConnected(endpoint, orgkey)


async def connect_sandbox(session: Session, base_url: str) -> list[str]:
    """Both services, signed in to a running sandbox through the same OAuth2 code paths (the
    sandbox approves consent by itself). Returns what was connected, in words."""
    target = sandbox_settings(base_url).with_environment({})
    agent = AutoConsent(session.transport)

    async def first(tenants: list[Tenant]) -> Tenant:
        return tenants[0]

    xero = await connect_xero(session, target.xero, agent=agent, choose=first)
    actionstep = await connect_actionstep(
        session, target.actionstep, secret=SANDBOX_ACTIONSTEP_SECRET, agent=agent
    )
    return [xero.describe(), actionstep.describe()]


# -- signing in, as both front ends do it -----------------------------------------------------


@dataclass(frozen=True)
class SignInRequest:
    """What the person asked for; None leaves the stored setting as it is."""

    service: str
    client_id: str | None = None
    mode: str | None = None
    """Xero: pkce, secret or client_credentials."""
    port: int | None = None
    broad_scopes: bool = False
    rebind: bool = False
    staging: bool = False


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str


class SignInPrompts(Protocol):
    """How a front end asks the person: consent, the app's credentials, the organisation."""

    def agent(self, port: int) -> ConsentAgent:
        """How the person approves the sign-in (a browser, or paste-back)."""
        ...

    async def credentials(
        self, service: str, client_id: str, needs_secret: bool
    ) -> AppCredentials | None:
        """The app's client id (and secret when `needs_secret`); None: cancelled. Raises
        SignInError when it cannot ask."""
        ...

    async def choose(self, tenants: list[Tenant]) -> Tenant:
        """Which of the organisations the sign-in connected this profile pushes to."""
        ...


Connected = XeroConnected | ActionstepConnected


class SignInCancelled(SignInError):
    """The person cancelled a sign-in prompt; nothing was changed."""

    def __init__(self) -> None:
        super().__init__("cancelled")


async def sign_in(
    session: Session, request: SignInRequest, prompts: SignInPrompts
) -> Connected | None:
    """Connect one service; None when the person cancelled. The stored client id and secret
    (or `AXPUSH_<SERVICE>_CLIENT_SECRET`) are used unless the request names others."""
    try:
        return await _sign_in(session, request, prompts)
    except SignInCancelled:
        return None


async def _sign_in(
    session: Session, request: SignInRequest, prompts: SignInPrompts
) -> Connected | None:
    settings = await asyncio.to_thread(settings_of, session)
    secret = await asyncio.to_thread(client_secret, session, request.service)
    if request.service == XERO:
        xero = settings.xero
        xero = replace(
            xero,
            mode=request.mode or xero.mode,
            client_id=request.client_id or xero.client_id,
            redirect_port=request.port or xero.redirect_port,
            scopes=XERO_BROAD_SCOPES if request.broad_scopes else xero.scopes,
        )
        needs_secret = xero.mode != "pkce"
        if not xero.client_id or (needs_secret and not secret):
            credentials = await prompts.credentials("Xero", xero.client_id, needs_secret)
            if credentials is None:
                return None
            xero = replace(xero, client_id=credentials.client_id)
            secret = credentials.client_secret or secret
        agent = None if xero.mode == "client_credentials" else prompts.agent(xero.redirect_port)
        return await connect_xero(
            session,
            xero,
            secret=secret if needs_secret else "",
            agent=agent,
            choose=prompts.choose,
            rebind=request.rebind,
        )
    actionstep = settings.actionstep
    if request.staging:
        authorize, token = ACTIONSTEP_ENVIRONMENTS["staging"]
        actionstep = replace(actionstep, authorize_url=authorize, token_url=token)
    actionstep = replace(
        actionstep,
        client_id=request.client_id or actionstep.client_id,
        redirect_port=request.port or actionstep.redirect_port,
    )
    if not actionstep.client_id or not secret:
        credentials = await prompts.credentials("Actionstep", actionstep.client_id, True)
        if credentials is None:
            return None
        actionstep = replace(actionstep, client_id=credentials.client_id)
        secret = credentials.client_secret
    return await connect_actionstep(
        session, actionstep, secret=secret, agent=prompts.agent(actionstep.redirect_port)
    )


async def disconnect(session: Session, service: str, *, revoke: bool = False) -> str:
    """Forget a service's tokens and stored client secret; for Xero also delete the connection
    (and, with `revoke`, revoke the grant). What Xero could not be told is said, not raised."""
    profile = session.profile
    links = await open_links(session)
    note = ""
    try:
        keeper = links.xero_tokens if service == XERO else links.actionstep_tokens
        record = await keeper.read()
        if service == XERO and record is not None and not record.reconnect:
            try:
                token = await keeper.token()
                if revoke and record.refresh_token:
                    await links.xero_auth.revoke(record.refresh_token)
                    note = "; the sign-in was revoked (every organisation it connected)"
                elif links.state.xero.connection_id:
                    await links.xero_auth.disconnect(token, links.state.xero.connection_id)
                    note = "; the organisation was disconnected from the app in Xero"
            except RemoteError as error:
                note = f"; Xero could not be told ({error}), remove the app there if needed"
        await keeper.forget()
        await asyncio.to_thread(profile.forget_token, f"{service}-client")
        state = await asyncio.to_thread(profile.connection)
        forgotten = (
            replace(state, xero=XeroLink())
            if service == XERO
            else replace(state, actionstep=ActionstepLink())
        )
        await asyncio.to_thread(profile.save_connection, forgotten)  # the binding stays
    finally:
        await links.aclose()
    return f"{service.capitalize()}: tokens and client secret forgotten{note}"


async def confirm_trial(session: Session) -> BoundOrganisation:
    """The admin agreed to push to a DEMO or TRIAL organisation: asked once, remembered."""
    state = await asyncio.to_thread(session.profile.connection)
    confirmed = replace(state, binding=replace(state.binding, trial_confirmed=True))
    await asyncio.to_thread(session.profile.save_connection, confirmed)
    return confirmed.binding


# -- status ---------------------------------------------------------------------------------


async def status(session: Session, *, check: bool = True) -> dict[str, Any]:
    """Where the profile's connections stand; with `check`, one call to each service."""
    links = await open_links(session)
    try:
        xero_record = await links.xero_tokens.read()
        actionstep_record = await links.actionstep_tokens.read()
        state = links.state
        report: dict[str, Any] = {
            "profile": session.name,
            "xero": _token_status(xero_record)
            | {"tenant_id": state.xero.tenant_id, "mode": links.settings.xero.mode},
            "actionstep": _token_status(actionstep_record)
            | {"api_endpoint": state.actionstep.api_endpoint, "orgkey": state.actionstep.orgkey},
            "binding": {
                "organisation_id": state.binding.organisation_id,
                "name": state.binding.name,
                "class": state.binding.org_class,
            },
        }
        if check:
            report["xero"].update(await _check_xero(links))
            report["actionstep"].update(await _check_actionstep(links))
        return report
    finally:
        await links.aclose()


def _token_status(record: TokenRecord | None) -> dict[str, Any]:
    if record is None:
        return {"connected": False}
    return {
        "connected": not record.reconnect,
        "reconnect_needed": record.reconnect or None,
        "token_expires_at": record.expires_at.isoformat(),
        "refresh_token": bool(record.refresh_token),
    }


async def _check_xero(links: Links) -> dict[str, Any]:
    if not links.state.xero.tenant_id:
        return {"ok": False, "problem": "not connected"}
    gate = RateGate(links.session.clock)
    xero = links.xero_client(gate)
    try:
        organisation = await xero.organisation()
    except ReconnectNeeded as error:
        return {"ok": False, "connected": False, "problem": str(error)}
    except RemoteError as error:
        return {"ok": False, "problem": str(error)}
    finally:
        await xero.aclose()
    budget = gate.budget(links.state.xero.tenant_id)
    binding = links.state.binding
    checked: dict[str, Any] = {
        "ok": True,
        "organisation": organisation.name,
        "class": organisation.org_class,
        "demo_or_trial": organisation.is_trial_or_demo,
        "calls_left_this_minute": budget.minute_left,
        "calls_left_today": budget.day_left,
    }
    if binding.organisation_id and binding.organisation_id != organisation.organisation_id:
        checked.update(
            ok=False,
            problem=f"connected to {organisation.name}, but the profile "
            f"is bound to {binding.name}: pushing is blocked",
        )
    return checked


async def _check_actionstep(links: Links) -> dict[str, Any]:
    if not links.state.actionstep.rest_url:
        return {"ok": False, "problem": "not connected"}
    client = links.actionstep_client()
    try:
        await client.catalog()
    except ReconnectNeeded as error:
        return {"ok": False, "connected": False, "problem": str(error)}
    except RemoteError as error:
        return {"ok": False, "problem": str(error)}
    finally:
        await client.aclose()
    return {"ok": True}
