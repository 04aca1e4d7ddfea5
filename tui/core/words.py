"""Counting in words: "1 bill", "2 bills"; an admin reads these all day."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def is_are(n: int) -> str:
    return "is" if n == 1 else "are"
