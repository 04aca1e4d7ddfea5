"""One line at the top of every view: the views (click one to go there), and the Xero
organisation this pushes to.

A warning about that organisation (a DEMO or TRIAL one, or not the one the profile is bound to)
is never cut off: on a narrow terminal the views shrink to their keys first, then the
organisation's name, never the warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.console.app import AxpushApp

VIEWS = (
    ("bills", "b", "Bills"),
    ("triage", "t", "Triage"),
    ("mapping", "m", "Mapping"),
    ("log", "l", "Log"),
    ("connections", "c", "Connections"),
)
WARNING = Style(bold=True, color="red")


def views_text(current: str, form: str) -> Text:
    """The views, each clickable: `full` (b:Bills ...), `current` (only the current one's name),
    or `keys`."""
    text = Text()
    for mode, key, label in VIEWS:
        here = mode == current
        shown = f"{key}:{label}" if form == "full" or (form == "current" and here) else key
        click = Style.from_meta({"@click": f"app.switch_mode('{mode}')"})
        text.append(f" {shown} ", style=click + Style(reverse=here, bold=here))
    return text


def warnings(org_class: str | None, trial: bool, blocked: bool, *, short: bool) -> list[str]:
    found = [f"[{org_class or 'DEMO'}]"] if trial else []
    if blocked:
        found.append(
            "[WRONG ORG: push blocked]"
            if short
            else "[NOT THE BOUND ORGANISATION: pushing blocked]"
        )
    return found


def bar_text(
    current: str,
    width: int,
    name: str | None,
    warned: list[str],
    shorter: list[str],
    context: str,
) -> Text:
    """The widest arrangement that fits `width`, dropping what matters least first."""

    def organisation(name_room: int | None, words: list[str]) -> Text:
        text = Text()
        if name is None:
            return text.append("not loaded", style="dim")
        shown = name if name_room is None or len(name) <= name_room else name[: name_room - 1] + "…"
        text.append("Xero: ", style="dim").append(shown, style="bold")
        for word in words:
            text.append(f" {word}", style=WARNING)
        return text

    tries = [
        (
            views_text(current, "full"),
            organisation(None, warned),
            f"  · {context}" if context else "",
        ),
        (views_text(current, "full"), organisation(None, warned), ""),
        (views_text(current, "current"), organisation(None, warned), ""),
        (views_text(current, "keys"), organisation(None, warned), ""),
        (views_text(current, "keys"), organisation(None, shorter), ""),
    ]
    for views, org, tail in tries:
        text = views + Text("  ") + org + Text(tail, style="dim")
        if text.cell_len <= width:
            return text
    views = views_text(current, "keys")
    room = width - views.cell_len - 2 - len("Xero: ") - sum(len(w) + 1 for w in shorter)
    if name is not None and room >= 4:
        return views + Text("  ") + organisation(room, shorter)
    text = Text(" ".join(shorter), style=WARNING) if shorter else organisation(None, [])
    return text  # only the warning fits: it wins over the views


class TopBar(Static):
    def __init__(self, view: str) -> None:
        super().__init__(id="top-bar")
        self._view = view

    def on_mount(self) -> None:
        app = cast("AxpushApp", self.app)
        app.workspace_loaded.subscribe(self, lambda _: self.refresh_bar())
        self.refresh_bar()

    def on_resize(self, event: Resize) -> None:
        self.refresh_bar()

    def refresh_bar(self) -> None:
        app = cast("AxpushApp", self.app)
        workspace = app.workspace
        organisation = workspace.organisation if workspace else None
        trial = bool(organisation and organisation.is_trial_or_demo)
        blocked = bool(workspace and workspace.organisation_block)
        org_class = organisation.org_class if organisation else None
        self.update(
            bar_text(
                self._view,
                self.size.width or 80,
                organisation.name if organisation else None,
                warnings(org_class, trial, blocked, short=False),
                warnings(org_class, trial, blocked, short=True),
                app.context,
            )
        )
