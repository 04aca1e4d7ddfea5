"""Failures of a remote service, in the terms the engine acts on. Clients raise these."""

from __future__ import annotations

from tui.core.triage import Cause, classify


class RemoteError(Exception):
    """A call to Xero or Actionstep failed as a whole. `str()` is safe to show and log."""

    cause: Cause = Cause.REFUSED

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: tuple[str, ...] = (),
        raw: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.messages = messages or (message,)
        self.raw = raw
        """The start of the service's answer, secrets redacted, for a detail view."""


class RemoteUnavailable(RemoteError):
    """Offline, 5xx, timeout or reset. `outcome_unknown` when the request may have been applied."""

    cause = Cause.XERO_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        outcome_unknown: bool = False,
        raw: str = "",
    ) -> None:
        super().__init__(message, status=status, raw=raw)
        self.outcome_unknown = outcome_unknown


class RemoteRateLimited(RemoteError):
    cause = Cause.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None, problem: str | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after
        self.problem = problem


class RemoteUnauthorised(RemoteError):
    cause = Cause.NOT_AUTHORISED


class ReconnectNeeded(RemoteUnauthorised):
    """The service refused our refresh token (or we hold none): only a new sign-in helps. Saved,
    so that every process sees it and none retries in a loop."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(
            f"{service} needs reconnecting ({reason}): run `axpush connect {service.lower()}`"
        )
        self.service = service
        self.reason = reason


class RemoteRejected(RemoteError):
    """The service understood the request and refused it (4xx), with its messages."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: tuple[str, ...] = (),
        raw: str = "",
    ) -> None:
        super().__init__(message, status=status, messages=messages, raw=raw)
        self.cause = classify(self.messages)
