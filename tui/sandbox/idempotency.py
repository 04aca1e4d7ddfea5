"""Xero's Idempotency-Key (Xero developer guide, "Idempotent requests"): for 6 minutes from the
first call, a replay of the same request gets the first answer again, errors included; the same
key with a different request is refused. Keys are per app and tenant here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=6)
MAX_LENGTH = 128


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes
    at: datetime


def fingerprint(method: str, url: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), url.encode(), body])).hexdigest()


class IdempotencyStore:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._entries: dict[tuple[str, str], Stored] = {}

    def find(self, tenant_id: str, key: str, print_: str) -> Stored | str | None:
        """The stored answer to replay; None when the key is new (or expired); the refusal text
        when the key was used with a different request."""
        entry = self._entries.get((tenant_id, key))
        if entry is None or self._now() - entry.at >= WINDOW:
            return None
        if entry.fingerprint != print_:
            return f"Idempotency Key: {key} is used with a different request."
        return entry

    def remember(
        self,
        tenant_id: str,
        key: str,
        print_: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        self._entries[(tenant_id, key)] = Stored(print_, status, headers, body, self._now())
