"""The console's way of asking during a sign-in: the same flow as `axpush connect --paste`, with
dialogs for the URL and the pasted address, the app's credentials, and the organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.console.dialogs.picker import Choice, PickerDialog
from tui.console.dialogs.sign_in import CredentialsDialog, PasteBackDialog
from tui.core.errors import SignInError
from tui.service.connections import (
    AppCredentials,
    AuthorizationRequest,
    ConsentAgent,
    SignInCancelled,
    Tenant,
)

if TYPE_CHECKING:
    from tui.console.app import AxpushApp


class DialogPrompts:
    """`SignInPrompts` through the console's dialogs (called from a worker)."""

    def __init__(self, app: AxpushApp) -> None:
        self._app = app

    def agent(self, port: int) -> ConsentAgent:
        return self

    async def consent(self, request: AuthorizationRequest) -> str:
        """Paste-back: show the URL to open elsewhere, read back where the browser ended."""
        service = "Xero" if "xero" in request.url.lower() else "Actionstep"
        self._app.write_log(f"sign in to {service} at {request.url}")  # one line, to copy
        pasted = await self._app.push_screen_wait(
            PasteBackDialog(service, request.url, request.redirect_uri)
        )
        if not pasted:
            raise SignInCancelled()
        return pasted

    async def credentials(
        self, service: str, client_id: str, needs_secret: bool
    ) -> AppCredentials | None:
        return await self._app.push_screen_wait(CredentialsDialog(service, client_id, needs_secret))

    async def choose(self, tenants: list[Tenant]) -> Tenant:
        choices = [Choice(t.tenant_id, "", t.name, t.tenant_type) for t in tenants]
        picked = await self._app.push_screen_wait(
            PickerDialog("Which organisation does this profile push to?", choices, current=None)
        )
        if picked is None:
            raise SignInError("no organisation chosen")
        return next(t for t in tenants if t.tenant_id == picked)
