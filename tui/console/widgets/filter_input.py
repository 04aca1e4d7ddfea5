"""The `/` filter: hidden until asked for, escape clears it and gives focus back."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", id="filter.clear")]

    def __init__(self, placeholder: str) -> None:
        super().__init__(placeholder=placeholder, id="filter", classes="filter")

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def action_clear_filter(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.screen.focus_next()


def matches(words: list[str], *fields: str) -> bool:
    """True when every word of the filter appears in one of the fields (case-insensitive)."""
    haystack = " ".join(fields).lower()
    return all(word in haystack for word in words)


def filter_words(value: str) -> list[str]:
    return value.lower().split()
