"""The console's own keys, as the help (`?`), the footer and the command palette list them:
only bindings axpush declares (each has an id), the view's first, then the app's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

OURS = ("view.", "app.", "bills.", "triage.", "mapping.", "log.", "connections.")


@dataclass(frozen=True)
class Key:
    binding: Binding
    namespace: DOMNode
    """Where the action runs (the screen, a widget, the app)."""

    @property
    def text(self) -> str:
        """What it does, in full: the footer shows the short description, the help and the
        command palette this."""
        return self.binding.tooltip or self.binding.description


def own_keys(screen: Screen[object]) -> Iterator[Key]:
    """Each of axpush's bindings active on `screen`, once per action, the view's before the
    app's; Textual's own (the table's cursor keys, ctrl+q) are left out."""
    seen: set[str] = set()
    found = [
        Key(active.binding, active.node)
        for active in screen.active_bindings.values()
        if active.binding.id and active.binding.id.startswith(OURS) and active.binding.description
    ]
    found.sort(
        key=lambda key: key.binding.id is not None and key.binding.id.startswith(("view.", "app."))
    )
    for key in found:
        if key.binding.action not in seen:
            seen.add(key.binding.action)
            yield key
