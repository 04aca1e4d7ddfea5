"""Connecting a profile to Xero and Actionstep, and what the connections look like now.

Used by the CLI (`axpush connect`, `disconnect`, `status`, `doctor`) and the console alike; no
Textual here. Client secrets and tokens go to the profile's tokens.json (0600); settings to
config.json; nothing secret is ever printed, logged or returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import ReconnectNeeded, RemoteError
from tui.core.models import Organisation
from tui.core.settings import (
    XERO_CUSTOM_CONNECTION_SCOPES,
    ActionstepSettings,
    BoundOrganisation,
    Connections,
    XeroSettings,
    sandbox_connections,
)
from tui.remote.actionstep.auth import ActionstepAuth
from tui.remote.oauth import (
    AutoConsent,
    ConsentAgent,
    SignInError,
    TokenKeeper,
    TokenRecord,
    TokenRefused,
    begin_authorization,
    code_from_redirect,
    http_for_tokens,
    store_tokens,
)
from tui.remote.xero.auth import Tenant, XeroAuth
from tui.remote.xero.client import XeroClient
from tui.remote.xero.ratelimit import RateGate
from tui.store.profile import Profile

XERO, ACTIONSTEP = "xero", "actionstep"
SANDBOX_ACTIONSTEP_SECRET = "sandbox-actionstep-secret"

ChooseTenant = Callable[[list[Tenant]], Awaitable[Tenant]]
Say = Callable[[str], None]


def client_secret(profile: Profile, service: str) -> str:
    stored = profile.token(f"{service}-client") or {}
    return str(stored.get("client_secret") or "")


def save_client_secret(profile: Profile, service: str, secret: str) -> None:
    profile.save_token(f"{service}-client", {"client_secret": secret})


def settings_of(profile: Profile) -> Connections:
    """The profile's settings with the environment's overrides applied."""
    return profile.connections().with_environment()


# -- keepers: what the workspace and the checks use --------------------------------------------


@dataclass
class Links:
    """Everything needed to talk to both services for one profile."""

    profile: Profile
    connections: Connections
    transport: httpx.AsyncBaseTransport | None
    http: httpx.AsyncClient
    xero_auth: XeroAuth
    actionstep_auth: ActionstepAuth
    xero_tokens: TokenKeeper
    actionstep_tokens: TokenKeeper

    async def aclose(self) -> None:
        await self.http.aclose()


async def open_links(
    profile: Profile, transport: httpx.AsyncBaseTransport | None = None, clock: Clock = REAL_CLOCK
) -> Links:
    connections = await asyncio.to_thread(settings_of, profile)
    xero_secret = await asyncio.to_thread(client_secret, profile, XERO)
    actionstep_secret = await asyncio.to_thread(client_secret, profile, ACTIONSTEP)
    http = http_for_tokens(transport)
    xero_auth = XeroAuth(connections.xero, xero_secret, http)
    actionstep_auth = ActionstepAuth(connections.actionstep, actionstep_secret, http)
    return Links(
        profile,
        connections,
        transport,
        http,
        xero_auth,
        actionstep_auth,
        TokenKeeper(profile, "Xero", xero_auth.refresh, clock=clock),
        TokenKeeper(profile, "Actionstep", actionstep_auth.refresh, clock=clock),
    )


# -- connecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class XeroConnected:
    tenant: Tenant
    organisation: Organisation
    bound: bool
    """True when the profile pushes to this organisation; False when it is bound to another."""
    binding: BoundOrganisation

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


async def connect_xero(
    profile: Profile,
    settings: XeroSettings,
    *,
    secret: str = "",
    agent: ConsentAgent | None,
    choose: ChooseTenant,
    transport: httpx.AsyncBaseTransport | None = None,
    rebind: bool = False,
    clock: Clock = REAL_CLOCK,
) -> XeroConnected:
    """Sign in (or, for a Custom Connection, ask for a token), pick the organisation, and bind
    the profile to it if it has none yet."""
    if not settings.client_id:
        raise SignInError("no Xero client id: pass --client-id, or set AXPUSH_XERO_CLIENT_ID")
    if settings.mode in ("secret", "client_credentials") and not secret:
        raise SignInError(
            "this kind of Xero app needs its client secret: pass it on standard "
            "input, or set AXPUSH_XERO_CLIENT_SECRET"
        )
    async with http_for_tokens(transport) as http:
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
            await asyncio.to_thread(save_client_secret, profile, XERO, secret)
        keeper = TokenKeeper(profile, "Xero", auth.refresh, clock=clock)
        await keeper.save(record)
        xero = XeroClient(settings.api_url, tenant.tenant_id, keeper, transport, clock=clock)
        try:
            organisation = await xero.organisation()
        finally:
            await xero.aclose()
    stored = await asyncio.to_thread(profile.connections)
    binding = stored.binding
    if not binding.organisation_id or rebind:
        binding = BoundOrganisation(
            organisation.organisation_id,
            organisation.name,
            organisation.short_code or "",
            organisation.org_class or "",
            organisation.is_demo,
            organisation.base_currency,
        )
    saved = replace(
        stored,
        binding=binding,
        xero=replace(settings, tenant_id=tenant.tenant_id, connection_id=tenant.connection_id),
    )
    await asyncio.to_thread(profile.save_connections, saved)
    return XeroConnected(
        tenant, organisation, binding.organisation_id == organisation.organisation_id, binding
    )


@dataclass(frozen=True)
class ActionstepConnected:
    api_endpoint: str
    orgkey: str

    def describe(self) -> str:
        return f"Actionstep: connected to {self.orgkey or 'the firm'} at {self.api_endpoint}"


async def connect_actionstep(
    profile: Profile,
    settings: ActionstepSettings,
    *,
    secret: str,
    agent: ConsentAgent,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
) -> ActionstepConnected:
    if not settings.client_id or not secret:
        raise SignInError(
            "Actionstep needs the client id and secret it issued (the API Access "
            "Key and Client Secret): --client-id and the secret on standard "
            "input, or AXPUSH_ACTIONSTEP_CLIENT_ID and _CLIENT_SECRET"
        )
    async with http_for_tokens(transport) as http:
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
    await asyncio.to_thread(save_client_secret, profile, ACTIONSTEP, secret)
    await asyncio.to_thread(store_tokens, profile, ACTIONSTEP, record)
    stored = await asyncio.to_thread(profile.connections)
    orgkey = str(body.get("orgkey") or "")
    await asyncio.to_thread(
        profile.save_connections,
        replace(stored, actionstep=replace(settings, api_endpoint=endpoint, orgkey=orgkey)),
    )
    return ActionstepConnected(endpoint, orgkey)


async def connect_sandbox(
    profile: Profile,
    base_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
) -> list[str]:
    """Both services, signed in to a running sandbox through the same OAuth2 code paths (the
    sandbox approves consent by itself). Returns what was connected, in words."""
    target = sandbox_connections(base_url).with_environment({})
    agent = AutoConsent(transport)

    async def first(tenants: list[Tenant]) -> Tenant:
        return tenants[0]

    xero = await connect_xero(
        profile, target.xero, agent=agent, choose=first, transport=transport, clock=clock
    )
    actionstep = await connect_actionstep(
        profile,
        target.actionstep,
        secret=SANDBOX_ACTIONSTEP_SECRET,
        agent=agent,
        transport=transport,
        clock=clock,
    )
    return [xero.describe(), actionstep.describe()]


async def disconnect(
    profile: Profile,
    service: str,
    *,
    revoke: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """Forget a service's tokens and stored client secret; for Xero also delete the connection
    (and, with `revoke`, revoke the grant). What Xero could not be told is said, not raised."""
    links = await open_links(profile, transport)
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
                elif links.connections.xero.connection_id:
                    await links.xero_auth.disconnect(token, links.connections.xero.connection_id)
                    note = "; the organisation was disconnected from the app in Xero"
            except RemoteError as error:
                note = f"; Xero could not be told ({error}), remove the app there if needed"
        await keeper.forget()
        await asyncio.to_thread(profile.forget_token, f"{service}-client")
        stored = await asyncio.to_thread(profile.connections)
        forgotten = (
            replace(stored, xero=replace(stored.xero, tenant_id="", connection_id=""))
            if service == XERO
            else replace(stored, actionstep=replace(stored.actionstep, api_endpoint="", orgkey=""))
        )
        await asyncio.to_thread(profile.save_connections, forgotten)  # the binding stays
    finally:
        await links.aclose()
    return f"{service.capitalize()}: tokens and client secret forgotten{note}"


# -- status ---------------------------------------------------------------------------------


async def status(
    profile: Profile,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
    check: bool = True,
) -> dict[str, Any]:
    """Where the profile's connections stand; with `check`, one call to each service."""
    links = await open_links(profile, transport, clock)
    try:
        xero_record = await links.xero_tokens.read()
        actionstep_record = await links.actionstep_tokens.read()
        report: dict[str, Any] = {
            "profile": profile.root.name,
            "xero": _token_status(xero_record)
            | {"tenant_id": links.connections.xero.tenant_id, "mode": links.connections.xero.mode},
            "actionstep": _token_status(actionstep_record)
            | {
                "api_endpoint": links.connections.actionstep.api_endpoint,
                "orgkey": links.connections.actionstep.orgkey,
            },
            "binding": {
                "organisation_id": links.connections.binding.organisation_id,
                "name": links.connections.binding.name,
                "class": links.connections.binding.org_class,
            },
        }
        if check:
            report["xero"].update(await _check_xero(links, clock))
            report["actionstep"].update(await _check_actionstep(links, clock))
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


async def _check_xero(links: Links, clock: Clock) -> dict[str, Any]:
    settings = links.connections.xero
    if not settings.tenant_id:
        return {"ok": False, "problem": "not connected: run `axpush connect xero`"}
    gate = RateGate(clock)
    xero = XeroClient(
        settings.api_url,
        settings.tenant_id,
        links.xero_tokens,
        links.transport,
        gate=gate,
        clock=clock,
    )
    try:
        organisation = await xero.organisation()
    except ReconnectNeeded as error:
        return {"ok": False, "connected": False, "problem": str(error)}
    except RemoteError as error:
        return {"ok": False, "problem": str(error)}
    finally:
        await xero.aclose()
    budget = gate.budget(settings.tenant_id)
    binding = links.connections.binding
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


async def _check_actionstep(links: Links, clock: Clock) -> dict[str, Any]:
    from tui.remote.actionstep.client import ActionstepClient

    rest = links.connections.actionstep.rest_url
    if not rest:
        return {"ok": False, "problem": "not connected: run `axpush connect actionstep`"}
    client = ActionstepClient(rest, links.actionstep_tokens, links.transport, clock=clock)
    try:
        await client.catalog()
    except ReconnectNeeded as error:
        return {"ok": False, "connected": False, "problem": str(error)}
    except RemoteError as error:
        return {"ok": False, "problem": str(error)}
    finally:
        await client.aclose()
    return {"ok": True}
