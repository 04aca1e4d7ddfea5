"""`?`: the keys of the view in front, then the app's, and what the bill states mean."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.console.keys import own_keys

STATES = (
    ("pending", "a draft in Actionstep: it goes once finalised there"),
    ("ready", "passes preflight: push it"),
    ("blocked", "preflight found a problem; nothing was sent (enter opens the mapping row)"),
    ("pushing", "on its way to Xero"),
    (
        "pushed",
        "in Xero as Actionstep has it: approved, paid as receipted, credited, or voided",
    ),
    (
        "changed",
        "in Xero, then edited, deleted, receipted, credited or a receipt reversed in "
        "Actionstep: the next push updates, voids, pays, credits or deletes the payment",
    ),
    ("failed", "Xero refused it, or the answer was lost: fix, then re-push (f)"),
)
EXTRA_KEYS = (
    ("enter", "on a blocked bill: open the mapping row at fault; on a mapping row: choose"),
    ("↑ ↓ pgup pgdn home end", "move in a list"),
    ("← →", "in the Push log: read the rest of a long line"),
    ("ctrl+p", "command palette: every action here, by name"),
    ("tab", "move focus"),
)


class HelpDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, behind: Screen[object]) -> None:
        super().__init__(classes="dialog")
        self._behind = behind

    def compose(self) -> ComposeResult:
        keys = Table(box=None, padding=(0, 2), show_header=False)
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column()
        for key in own_keys(self._behind):
            keys.add_row(self.app.get_key_display(key.binding), key.text)
        for name, text in EXTRA_KEYS:
            keys.add_row(name, text)
        states = Table(box=None, padding=(0, 2), show_header=False)
        states.add_column(style="bold", no_wrap=True)
        states.add_column()
        for state, meaning in STATES:
            states.add_row(state, meaning)
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static(Text("Keys", style="bold underline"))
            yield Static(keys)
            yield Static(Text("\nBill states", style="bold underline"))
            yield Static(states)
            yield Static(Text("\nesc closes", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
