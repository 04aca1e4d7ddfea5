"""Signing in from the console over SSH: the URL to open elsewhere, and a box to paste back the
address the browser ended on. Also the app's client id and secret when the profile has none."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from tui.service.connections import AppCredentials


class PasteBackDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="sign-in.cancel"),
        Binding("ctrl+y", "copy_url", "Copy the URL", id="sign-in.copy"),
    ]

    def __init__(self, service: str, url: str, redirect_uri: str) -> None:
        super().__init__(classes="dialog")
        self._service = service
        self._url = url
        self._redirect = redirect_uri

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box sign-in-box"):
            yield Static(f"Sign in to {self._service}", classes="dialog-title")
            yield Static(
                "Open this address in a browser on any machine (ctrl+y copies it "
                "through the terminal; it is also in the Push log on one line):"
            )
            yield TextArea(self._url, read_only=True, soft_wrap=True, id="sign-in-url")
            yield Static(
                f"The browser then goes to {self._redirect}?code=... (that page may "
                "not load: expected). Paste that whole address here:"
            )
            yield Input(placeholder=f"{self._redirect}?code=...&state=...", id="sign-in-paste")
            yield Static(
                "enter: sign in · ctrl+y: copy the URL · esc: cancel", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#sign-in-paste", Input).focus()

    def action_copy_url(self) -> None:
        self.app.copy_to_clipboard(self._url)
        self.notify("The sign-in URL was sent to your terminal's clipboard.")

    @on(Input.Submitted, "#sign-in-paste")
    def _pasted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class CredentialsDialog(ModalScreen[AppCredentials | None]):
    """The app's client id (and secret, when the kind of app needs one)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="credentials.cancel")]

    def __init__(self, service: str, client_id: str, needs_secret: bool) -> None:
        super().__init__(classes="dialog")
        self._service = service
        self._client_id = client_id
        self._needs_secret = needs_secret

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"{self._service} app credentials", classes="dialog-title")
            yield Input(self._client_id, placeholder="client id", id="client-id")
            if self._needs_secret:
                yield Input(
                    placeholder="client secret (kept in tokens.json, mode 0600)",
                    password=True,
                    id="client-secret",
                )
            yield Static("enter: continue · esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#client-id", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        client_id = self.query_one("#client-id", Input).value.strip()
        secret = self.query_one("#client-secret", Input).value if self._needs_secret else ""
        if client_id and (secret or not self._needs_secret):
            self.dismiss(AppCredentials(client_id, secret))
        elif self._needs_secret and client_id:
            self.query_one("#client-secret", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
