"""Asking before a push, from any view: what goes, where, for how much; a trial organisation is
confirmed once first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.screens.base import ViewScreen
from tui.core.words import count, is_are
from tui.service import pushing

SHOWN = 8
"""Bill numbers listed in the confirmation; more are counted."""
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
    *,
    hidden: int = 0,
    open_day: bool = False,
) -> None:
    """Ask, saying exactly what will happen in Xero (creates, updates, voids, payments, each
    with its amount), then push those of `ids` that can go; `started` hears which did.
    `hidden`: selected bills the filter hides, which are not pushed (and the dialog says so).
    `open_day`: documents Xero's lock date would refuse are dated on the first open day."""
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
    if workspace.loading:
        view.notify(
            f"{workspace.loading} Push once every bill is in.",
            title="Still loading",
            severity="warning",
        )
        return
    organisation = workspace.organisation
    planned = pushing.plan(workspace, ids)
    pushable = planned.bills
    if not pushable:
        view.notify(
            NOTHING_PUSHABLE.get(
                which, "None of these bills can be pushed now: fix what the detail says first."
            )
            + (f" ({count(hidden, 'selected bill')} hidden by the filter.)" if hidden else ""),
            severity="warning",
        )
        return
    numbers = [workspace.rows[b].bill.number for b in pushable]
    listed = ", ".join(f"#{n}" for n in numbers[:SHOWN]) + (
        f" and {len(numbers) - SHOWN} more" if len(numbers) > SHOWN else ""
    )
    message = (
        f"Push {count(len(pushable), 'bill')} to Xero organisation '{organisation.name}':\n"
        + "\n".join(f"  {line}" for line in planned.lines())
        + f"\nBills: {listed}"
    )
    skipped = len(ids) - len(pushable)
    if skipped:
        message += f"\n{count(skipped, 'bill')} cannot go yet and {is_are(skipped)} skipped."
    if hidden:
        message += (
            f"\n{count(hidden, 'more selected bill')} {is_are(hidden)} hidden "
            "by the filter and not pushed (esc clears the filter)."
        )
    if open_day:
        message += (
            f"\nDated in a locked period? Then on {pushing.first_open_day(workspace)}: "
            "the date in Xero will differ from Actionstep's."
        )

    def decided(confirmed: bool | None) -> None:
        agreed = partial(pushing.push, workspace, pushable, open_day=True) if open_day else None
        if confirmed and app.start_push(pushable, agreed):
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
