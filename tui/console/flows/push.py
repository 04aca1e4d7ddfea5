"""Asking before a push, from any view: what goes, where, for how much; a trial organisation is
confirmed once first."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.screens.base import ViewScreen
from tui.core.money import ZERO, format_money
from tui.core.words import count
from tui.service import pushing

NOTHING_PUSHABLE = {
    "selected": "None of the selected bills can be pushed (only ready or changed bills, or "
    "failed bills that now pass preflight, can).",
    "ready": "Nothing is ready or changed.",
    "failed": "No failed bill passes preflight yet.",
}


def confirm_push(
    view: ViewScreen,
    ids: Sequence[str],
    which: str,
    started: Callable[[list[str]], None] = lambda _ids: None,
) -> None:
    """Ask, then push those of `ids` that can go; `started` hears which did."""
    app = view.axpush
    if app.pushing:
        view.notify(
            "A push is already running; its progress is in the Push log (l).", severity="warning"
        )
        return
    workspace = app.workspace
    if workspace is None or workspace.organisation is None:
        view.notify("Nothing is loaded yet.", severity="warning")
        return
    organisation = workspace.organisation
    pushable = pushing.pushable(workspace, ids)
    if not pushable:
        view.notify(
            NOTHING_PUSHABLE.get(
                which, "None of these bills can be pushed now: fix what the detail says first."
            ),
            severity="warning",
        )
        return
    skipped = len(ids) - len(pushable)
    total = sum((workspace.rows[b].bill.total_inc for b in pushable), ZERO)
    message = (
        f"Push {count(len(pushable), 'bill')} "
        f"({format_money(total, organisation.base_currency)}) to Xero "
        f"organisation '{organisation.name}'?"
    )
    if skipped:
        message += f"\n{skipped} of them cannot go yet and are skipped."

    def decided(confirmed: bool | None) -> None:
        if confirmed and app.start_push(pushable):
            started(pushable)

    def ask_to_push() -> None:
        view.app.push_screen(ConfirmDialog(message, confirm="Push"), decided)

    if not workspace.trial_unconfirmed:
        ask_to_push()
        return

    def trial_decided(confirmed: bool | None) -> None:
        if confirmed:
            app.confirm_trial()
            ask_to_push()

    kind = organisation.org_class or "DEMO"
    view.app.push_screen(
        ConfirmDialog(
            f"'{organisation.name}' is a {kind} Xero organisation. Actionstep warns never to "
            "connect a trial organisation for real: when it lapses, what was pushed there is gone. "
            "Push to it anyway? (Asked once for this organisation.)",
            confirm="Use it",
            cancel="Cancel",
        ),
        trial_decided,
    )
