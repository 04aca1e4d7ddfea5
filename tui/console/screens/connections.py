"""Connections: where each service stands (signed in, token, organisation, rate budget), and
signing in again from here, paste-back style, so it works over SSH."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui.console.screens.base import ViewScreen
from tui.console.widgets.top_bar import TopBar


class ConnectionsScreen(ViewScreen):
    BINDINGS = [
        Binding("x", "sign_in('xero')", "Sign in to Xero", id="connections.xero"),
        Binding("a", "sign_in('actionstep')", "Sign in to Actionstep", id="connections.actionstep"),
        Binding("s", "check", "Check now", id="connections.check"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar("connections")
        yield Static(id="connections-report")
        session = self.axpush.session
        yield Static(
            "x: sign in to Xero · a: sign in to Actionstep · s: check both now · in a shell: "
            f"`{session.command('connect', 'xero', '--paste')}` and "
            f"`{session.command('status')}`",
            id="connections-help",
        )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.axpush.connections_changed.subscribe(self, self.show)
        self.axpush.workspace_loaded.subscribe(self, lambda _: self.axpush.check_connections())
        self.axpush.check_connections()

    def on_screen_resume(self) -> None:
        self.axpush.check_connections()

    def show(self, report: dict[str, Any] | None) -> None:
        target = self.query_one("#connections-report", Static)
        if report is None:
            target.update(Text("Checking…", style="dim"))
            return
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        binding = report["binding"]
        table.add_row("Profile", report["profile"])
        table.add_row(
            "Pushes to",
            f"{binding['name']} ({binding['class']})"
            if binding["organisation_id"]
            else Text("no organisation bound yet", style="yellow"),
        )
        for service in ("xero", "actionstep"):
            item = report[service]
            table.add_row("", "")
            table.add_row(service.capitalize(), _state(item))
            if service == "xero" and item.get("organisation"):
                left = (
                    f"{item.get('calls_left_this_minute')} this minute, "
                    f"{item.get('calls_left_today')} today"
                )
                table.add_row("  organisation", f"{item['organisation']} ({item['class']})")
                table.add_row("  calls left", left)
            if item.get("token_expires_at"):
                table.add_row("  token until", item["token_expires_at"][:19].replace("T", " "))
            if service == "actionstep" and item.get("api_endpoint"):
                table.add_row("  endpoint", item["api_endpoint"])
        target.update(table)

    def action_sign_in(self, service: str) -> None:
        self.axpush.sign_in(service)

    def action_check(self) -> None:
        self.axpush.check_connections()


def _state(item: dict[str, Any]) -> Text:
    if not item.get("connected"):
        reason = item.get("reconnect_needed") or item.get("problem") or "not connected"
        return Text(f"✗ {reason}", style="bold red")
    if item.get("ok") is False:
        return Text(f"✗ {item.get('problem')}", style="yellow")
    return Text("✓ connected", style="green")
