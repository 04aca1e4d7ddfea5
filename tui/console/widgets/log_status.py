"""The Push log's status line: what the pusher is doing, how fast, and what is left of Xero's
call budgets, so an admin can tell a slow push from a throttled one."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tui.core.budget import Budget


def budget_text(budget: Budget | None, now: datetime) -> Text:
    if budget is None or (budget.minute_left is None and budget.day_left is None):
        return Text("Xero calls left: not known until the first call", style="dim")
    if budget.paused_until is not None and budget.paused_until > now:
        until = budget.paused_until.astimezone().strftime("%a %H:%M")
        return Text(f"paused: Xero's daily limit is used up until {until}", style="bold red")
    minute = "?" if budget.minute_left is None else f"{budget.minute_left:,}"
    day = "?" if budget.day_left is None else f"{budget.day_left:,}"
    low = budget.minute_left is not None and budget.minute_left < 10
    return Text(
        f"Xero calls left: {minute} this minute, {day} today", style="yellow" if low else "dim"
    )


def status_text(
    progress: tuple[int, int] | None,
    elapsed: float | None,
    budget: Budget | None,
    now: datetime,
    shown: int,
    held: int,
    filtered: bool,
) -> Text:
    """ "pushing 120/195 · 38 bills/s · Xero calls left: …", or "idle · …"; with the filter's
    count when one is set."""
    text = Text()
    if progress is None:
        text.append("idle", style="dim")
    else:
        done, total = progress
        text.append(f"pushing {done}/{total}", style="bold cyan")
        if elapsed and done:
            text.append(f" · {done / elapsed:.0f} bills/s")
    text.append(" · ")
    text.append_text(budget_text(budget, now))
    if filtered:
        text.append(f" · showing {shown:,} of {held:,} lines", style="bold")
    return text
