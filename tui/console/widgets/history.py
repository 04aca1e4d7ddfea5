"""A bill's attempts as the detail panes show them: when, what, the result, who, and what was
sent."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tui.core.jobs import Attempt, Outcome
from tui.core.words import count


def history_lines(attempts: Sequence[Attempt] | None, shown: int) -> list[Text]:
    """The latest `shown` attempts under a heading; a placeholder while they are read."""
    if attempts is None:
        return [Text("reading history…", style="dim")]
    if not attempts:
        return [Text("No attempt yet: it never went to Xero.", style="dim")]
    return [
        Text(f"History ({count(len(attempts), 'attempt')}, latest last):", style="bold"),
        *(attempt_line(a) for a in attempts[-shown:]),
    ]


def attempt_line(attempt: Attempt) -> Text:
    line = Text("  ")
    line.append(attempt.at.astimezone().strftime("%Y-%m-%d %H:%M "), style="dim")
    line.append(f"{attempt.action} ")
    line.append(
        attempt.outcome.value, style="red" if attempt.outcome is Outcome.FAILED else "green"
    )
    line.append(f"  {attempt.who}", style="dim")
    if attempt.message:
        line.append(f"  {attempt.message}")
    if attempt.sent:
        line.append(f"\n    sent: {attempt.sent}", style="dim")
    return line
