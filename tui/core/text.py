"""Text typed by other people (client and matter names, bill references, descriptions), made
safe to keep, show and send.

It is cleaned where it enters (the Actionstep parser), and what is printed to a terminal or
written to a CSV is made safe again where it leaves, because a profile may hold text from
before, and a terminal obeys what it is sent: an escape sequence in a client's name could set
the admin's clipboard (OSC 52), clear the screen or retitle the window, and a right-to-left
override could make an invoice number read backwards.
"""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")
_UNSAFE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"  # C0 and C1 controls (ESC, BEL, CSI, OSC ...)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidirectional marks and overrides
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def clean(text: str) -> str:
    """One line of plain text: line breaks and tabs become a space, control characters and
    bidirectional overrides are dropped."""
    if text.isprintable():  # none of the characters either pattern matches is printable
        return text
    return _UNSAFE.sub("", _BREAKS.sub(" ", text))


def unsafe(text: str) -> bool:
    """Whether `clean` would change anything but whitespace: what the tests look for."""
    return bool(_UNSAFE.search(text))


def terminal_safe(text: str) -> str:
    """For printing: as `clean`, but line breaks kept (a message may have several lines)."""
    return "\n".join(clean(line) for line in text.split("\n"))


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading
    apostrophe (numbers, negative ones included, are left as they are)."""
    value = clean(value)
    if value.startswith(_FORMULA) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
