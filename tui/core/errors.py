"""One root for every failure axpush anticipates: a message for people and the exit code a
command ends with. Each family subclasses it, so the command line catches it once and the
console's error funnel shows it as it is; anything else is a bug, shown with its traceback.

Exit codes, for cron and scripts (the README has the same table):
  0  done, nothing failed
  1  done, but something failed (a bill, a check, another push running, a remote refusal)
  2  usage or configuration error (nothing was changed)
  3  not connected, or a service needs reconnecting
  4  paused by a rate limit (Xero's daily limit)
"""

from __future__ import annotations

from tui.core.triage import Cause, classify

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RECONNECT = 3
EXIT_PAUSED = 4


class AxpushError(Exception):
    """An anticipated failure. `str()` is written for the person reading it, and is safe to show
    and log (no secret ever goes into one)."""

    exit_code: int = EXIT_FAILED
    title: str = "Failed"
    """A short heading for a notification."""


class UsageError(AxpushError):
    """What was asked cannot be done as asked (an unknown bill, a bad option value)."""

    exit_code = EXIT_USAGE
    title = "Cannot do that"


class ConfigError(AxpushError):
    """A profile, a setting or a file that cannot be used; it is left as it is."""

    exit_code = EXIT_USAGE
    title = "Configuration"


class NotConnected(AxpushError):
    """The profile has no Xero or Actionstep connection to work with."""

    exit_code = EXIT_RECONNECT
    title = "Not connected"


class SignInError(AxpushError):
    """Signing in did not complete; the message says why and what to do."""

    exit_code = EXIT_RECONNECT
    title = "Sign-in"


class Busy(AxpushError):
    """Someone else is doing this right now (another push for the profile)."""

    title = "Busy"


class RemoteError(AxpushError):
    """A call to Xero or Actionstep failed as a whole."""

    cause: Cause = Cause.REFUSED
    title = "Xero or Actionstep refused"

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
        if problem == "day":
            self.exit_code = EXIT_PAUSED


class RemoteUnauthorised(RemoteError):
    cause = Cause.NOT_AUTHORISED


class ReconnectNeeded(RemoteUnauthorised):
    """The service refused our refresh token (or we hold none): only a new sign-in helps. Saved,
    so that every process sees it and none retries in a loop."""

    exit_code = EXIT_RECONNECT
    title = "Reconnect needed"

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
