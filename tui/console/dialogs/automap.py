"""Auto-map's proposal as a diff: each row's old and new target and why, ticked to accept."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from tui.core.mapping import RowChange
from tui.core.words import count

HINT = "space: tick/untick · a: all · n: none · y: accept the ticked rows · esc: cancel"


def _prompt(change: RowChange) -> Text:
    text = Text()
    text.append(f"{change.subject[:28]:<28} ", style="bold")
    text.append(change.old_label or "(unmapped)", style="red" if change.old else "dim")
    text.append(" → ")
    text.append(change.new_label, style="green")
    text.append(f"  {change.reason}", style="dim")
    return text


class AutoMapDialog(ModalScreen[list[RowChange] | None]):
    """Dismisses with the accepted changes (possibly none), or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="automap.cancel"),
        Binding("y", "accept", "Accept ticked", id="automap.accept"),
        Binding("a", "all", "Tick all", id="automap.all"),
        Binding("n", "none", "Untick all", id="automap.none"),
    ]

    def __init__(self, changes: list[RowChange], unmapped_left: list[str]) -> None:
        super().__init__(classes="dialog")
        self._changes = changes
        self._left = unmapped_left

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box automap-box"):
            proposes = count(len(self._changes), "row")
            yield Static(
                f"Auto-map proposes {proposes} (by exact Code, then by name; rows a "
                "person set are never touched; trust bank accounts "
                "are never proposed for payments received)",
                classes="dialog-title",
            )
            yield SelectionList[int](
                *(Selection(_prompt(c), i, True) for i, c in enumerate(self._changes)),
                id="automap-rows",
            )
            if self._left:
                yield Static(
                    Text(f"Still for a person: {', '.join(self._left)}", style="yellow"),
                    id="automap-left",
                )
            yield Static(HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_none(self) -> None:
        self.query_one(SelectionList).deselect_all()

    def action_accept(self) -> None:
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss([c for i, c in enumerate(self._changes) if i in ticked])

    def action_cancel(self) -> None:
        self.dismiss(None)
