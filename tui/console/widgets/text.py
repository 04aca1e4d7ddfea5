"""Small text helpers for narrow terminals."""

from __future__ import annotations


def clip(text: str, width: int) -> str:
    """At most `width` characters, with an ellipsis when something was cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
