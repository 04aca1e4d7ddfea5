"""The console's sign-in: the same flows as `axpush connect --paste`, with dialogs for the URL,
the pasted address, the app's credentials and the choice of organisation."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual.app import App

from tui.console.dialogs.picker import Choice, PickerDialog
from tui.console.dialogs.sign_in import CredentialsDialog, PasteBackDialog
from tui.remote.oauth import AuthorizationRequest, SignInError
from tui.remote.xero.auth import Tenant
from tui.service.connections import (
    ACTIONSTEP,
    XERO,
    client_secret,
    connect_actionstep,
    connect_xero,
    settings_of,
)
from tui.store.profile import Profile


class DialogPasteBack:
    """A ConsentAgent that asks through the console's dialogs (from a worker)."""

    def __init__(self, app: App[None], service: str) -> None:
        self._app = app
        self._service = service

    async def consent(self, request: AuthorizationRequest) -> str:
        write_log = getattr(self._app, "write_log", None)
        if write_log is not None:  # the URL on one line, easy to copy from the Push log
            write_log(f"sign in to {self._service} at {request.url}")
        pasted = await self._app.push_screen_wait(
            PasteBackDialog(self._service, request.url, request.redirect_uri)
        )
        if not pasted:
            raise SignInError("cancelled")
        return pasted


async def sign_in_here(app: App[None], profile: Profile, service: str) -> str | None:
    """Sign in to one service from the console; what happened, in words (None: cancelled)."""
    settings = await asyncio.to_thread(settings_of, profile)
    secret = await asyncio.to_thread(client_secret, profile, service)
    agent = DialogPasteBack(app, service.capitalize())
    if service == XERO:
        xero = settings.xero
        if xero.mode == "client_credentials":
            raise SignInError(
                "a Custom Connection signs in without a browser: run "
                "`axpush connect xero --client-credentials` in a shell"
            )
        needs_secret = xero.mode == "secret"
        if not xero.client_id or (needs_secret and not secret):
            credentials = await app.push_screen_wait(
                CredentialsDialog("Xero", xero.client_id, needs_secret)
            )
            if credentials is None:
                return None
            xero = replace(xero, client_id=credentials.client_id)
            secret = credentials.client_secret or secret

        async def choose(tenants: list[Tenant]) -> Tenant:
            choices = [Choice(t.tenant_id, "", t.name, t.tenant_type) for t in tenants]
            picked = await app.push_screen_wait(
                PickerDialog("Which organisation does this profile push to?", choices, current=None)
            )
            if picked is None:
                raise SignInError("no organisation chosen")
            return next(t for t in tenants if t.tenant_id == picked)

        result = await connect_xero(profile, xero, secret=secret, agent=agent, choose=choose)
        return result.describe()
    actionstep = settings.actionstep
    if not actionstep.client_id or not secret:
        credentials = await app.push_screen_wait(
            CredentialsDialog("Actionstep", actionstep.client_id, True)
        )
        if credentials is None:
            return None
        actionstep = replace(actionstep, client_id=credentials.client_id)
        secret = credentials.client_secret
    connected = await connect_actionstep(profile, actionstep, secret=secret, agent=agent)
    assert service == ACTIONSTEP
    return connected.describe()
