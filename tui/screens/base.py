"""What every view shares: access to the app's workspace and the top bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import AxpushApp
    from tui.workspace import Workspace


class ViewScreen(Screen[None]):
    @property
    def axpush(self) -> AxpushApp:
        return cast("AxpushApp", self.app)

    @property
    def workspace(self) -> Workspace | None:
        return self.axpush.workspace
