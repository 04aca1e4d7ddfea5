"""What a use case did, told the same way to both front ends.

The console's one runner logs each line, shows the message as a notification and redraws the
bills named; the command line prints the message. So a use case words its result once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class LogLine(NamedTuple):
    text: str
    kind: str = "info"
    """info, warning or error: how the Push log marks it."""


@dataclass(frozen=True)
class Done:
    title: str
    message: str
    log: tuple[LogLine, ...] = ()
    changed: frozenset[str] = field(default_factory=frozenset)
    """Bills whose state the use case changed."""
    warning: bool = False
    """Something needs the person's attention (a notification in yellow)."""
