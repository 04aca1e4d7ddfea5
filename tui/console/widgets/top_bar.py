"""One line at the top of every view: which Xero organisation this pushes to, and the views."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
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


class TopBar(Static):
    def __init__(self, view: str) -> None:
        super().__init__(id="top-bar")
        self._view = view

    def on_mount(self) -> None:
        app = cast("AxpushApp", self.app)
        app.workspace_loaded.subscribe(self, lambda _: self.refresh_bar())
        self.refresh_bar()

    def refresh_bar(self) -> None:
        app = cast("AxpushApp", self.app)
        text = Text()
        for mode, key, label in VIEWS:
            style = "reverse bold" if mode == self._view else ""
            text.append(f" {key}:{label} ", style=style)
        text.append("  ")
        organisation = app.workspace.organisation if app.workspace else None
        if organisation is not None:
            text.append("Xero: ", style="dim")
            text.append(organisation.name, style="bold")
            if organisation.is_trial_or_demo:
                text.append(f" [{organisation.org_class or 'DEMO'}]", style="bold red")
            if app.workspace and app.workspace.organisation_block:
                text.append(" [NOT THE BOUND ORGANISATION: pushing blocked]", style="bold red")
        else:
            text.append("not loaded", style="dim")
        if app.context:
            text.append(f"  · {app.context}", style="dim")
        self.update(text)
