"""The `/` filter: hidden until asked for, escape clears it and gives focus back."""

from __future__ import annotations

from textual import events, on
from textual.binding import Binding
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", id="filter.clear")]

    def __init__(self, placeholder: str) -> None:
        super().__init__(
            placeholder=placeholder, id="filter", classes="filter", select_on_focus=False
        )
        self._taking = False
        """From `/` until enter or esc: keys that reach the view are meant for the box."""

    def open(self) -> None:
        """A new filter: what was typed before is replaced by what is typed now."""
        self.add_class("-open")
        self._taking = True
        self.value = ""
        self.focus()

    async def _on_key(self, event: events.Key) -> None:
        """`/` in the box starts a new filter too (a burst of `enter /words` lands here before
        the focus has gone back to the list); any other key is the box's."""
        if event.key != "slash":
            await super()._on_key(event)
            return
        self.open()
        event.stop()
        event.prevent_default()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._taking = False  # the words stand; keys act on the list again

    def catch(self, event: events.Key) -> None:
        """Called by the view for every key that reaches it. `/` opens the box here, in the
        view's own queue of keys, and the keys typed after it, before the box has taken the
        focus (a quick typist, a paste over SSH), go into the box, not to the views' keys:
        `/mediation` must not open the Mapping view at its `m`."""
        if event.key == "slash" and not self.has_focus:
            self.open()
        elif event.key == "escape" and self.has_class("-open") and not self.has_focus:
            self.action_clear_filter()  # esc clears the filter from the list too
        elif self._taking and not self.has_focus and event.is_printable:
            assert event.character is not None
            self.insert_text_at_cursor(event.character)
        else:
            return
        event.stop()
        event.prevent_default()

    def action_clear_filter(self) -> None:
        self._taking = False
        self.value = ""
        self.remove_class("-open")
        self.screen.focus_next()


def matches(words: list[str], *fields: str) -> bool:
    """True when every word of the filter appears in one of the fields (case-insensitive)."""
    haystack = " ".join(fields).lower()
    return all(word in haystack for word in words)


def filter_words(value: str) -> list[str]:
    return value.lower().split()
