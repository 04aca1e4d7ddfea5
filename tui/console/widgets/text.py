"""Small text helpers for narrow terminals."""

from __future__ import annotations

from tui.core.text import clean


def clip(text: str, width: int) -> str:
    """At most `width` characters, with an ellipsis when something was cut; cleaned of control
    characters whatever their age (see `tui.core.text`)."""
    text = clean(text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
