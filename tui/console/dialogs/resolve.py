"""Why a bill is marked resolved in Xero: asked for, never assumed, and kept in history."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ResolveDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="resolve.cancel")]

    def __init__(self, what: str, who: str) -> None:
        super().__init__(classes="dialog")
        self._what = what
        self._who = who

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Mark {self._what} resolved in Xero", classes="dialog-title")
            yield Static(
                "Say so only once it is settled by hand in Xero (payment removed, invoice "
                "re-entered, credit applied). axpush then stops pushing it until Actionstep "
                f"changes it again. History records {self._who}, now, and your reason.",
                classes="dialog-message",
            )
            yield Input(
                placeholder="why, e.g. credit note CN-0042 applied in Xero", id="resolve-why"
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Mark resolved", variant="warning", id="resolve")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted, "#resolve-why")
    @on(Button.Pressed, "#resolve")
    def _resolve(self) -> None:
        why = self.query_one("#resolve-why", Input).value.strip()
        if not why:
            self.notify(
                "Say why: the reason is kept in history for whoever looks next.", severity="warning"
            )
            self.query_one("#resolve-why", Input).focus()
            return
        self.dismiss(why)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
