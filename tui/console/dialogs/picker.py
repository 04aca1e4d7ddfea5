"""A searchable list of Xero accounts or TaxTypes to map a row to."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.console.widgets.filter_input import filter_words, matches

LIST_KEYS = {"up": "cursor_up", "down": "cursor_down", "pageup": "page_up", "pagedown": "page_down"}


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    code: str
    name: str
    note: str
    usable: bool = True
    """False for what Xero would refuse (archived, no Code, not for sales): shown, but flagged."""


def _prompt(choice: Choice, current: str | None) -> Text:
    text = Text()
    text.append(f"{choice.code or '(no code)':<12}", style="bold" if choice.code else "red")
    text.append(f" {choice.name}")
    if choice.note:
        text.append(f"  {choice.note}", style="dim" if choice.usable else "yellow")
    if choice.value == current:
        text.append("  ← current", style="cyan")
    return text


def _rank(choice: Choice, query: str) -> int:
    """0: the Code (or TaxType) typed exactly; 1: a Code that starts with it; 2: the name
    typed exactly; 3: any other match."""
    typed = query.strip().casefold()
    code, name = choice.code.casefold(), choice.name.casefold()
    if typed in (code, choice.value.casefold()):
        return 0
    if code.startswith(typed):
        return 1
    return 2 if typed == name else 3


class PickerDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str, choices: list[Choice], *, current: str | None) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box picker-box"):
            yield Static(self._title, classes="dialog-title")
            yield Input(placeholder="type to search code or name", id="picker-search")
            yield OptionList(id="picker-options")
            yield Static("enter: choose · ↑↓: move · esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-search", Input).focus()

    def _fill(self, query: str) -> None:
        words = filter_words(query)
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        shown = [c for c in self._choices if not words or matches(words, c.code, c.name, c.note)]
        if words:  # what was typed exactly comes first: OUTPUT before EXEMPTOUTPUT
            shown.sort(key=lambda c: _rank(c, query))
        options.add_options(Option(_prompt(c, self._current), id=c.value) for c in shown)
        if shown:
            current = next((i for i, c in enumerate(shown) if c.value == self._current), 0)
            options.highlighted = 0 if words else current

    @on(Input.Changed, "#picker-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-search")
    def _submit(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        """Arrow and page keys move the list while the search box keeps focus."""
        action = LIST_KEYS.get(event.key)
        if action is not None:
            getattr(self.query_one("#picker-options", OptionList), f"action_{action}")()
            event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)
