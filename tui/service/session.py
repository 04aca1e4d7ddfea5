"""A profile opened for one front end, with the clock and the network it runs on.

Every use case takes a session: the command line opens one per command, the console one per
run. Tests give theirs the sandbox's clock and, where they need one, a transport; nothing else
in the program chooses either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import ConfigError
from tui.remote.transport import DEFAULT_RETRY, RetryPolicy
from tui.store.profile import DEFAULT_PROFILE, HOME_ENV, Profile, axpush_home, current_user

__all__ = ["DEFAULT_PROFILE", "HOME_ENV", "Session"]


@dataclass
class Session:
    profile: Profile
    clock: Clock = REAL_CLOCK
    transport: httpx.AsyncBaseTransport | None = None
    """None: the network. Tests pass the sandbox in-process, or a faulty wrapper."""
    retry: RetryPolicy = DEFAULT_RETRY
    who: str = field(default_factory=current_user)
    """Who is acting (user@host), for history."""
    exports: Path | None = None
    """Where the console's exports go; None: the profile's `exports/`. The demo's profile is
    removed when it quits, so its exports go somewhere that stays."""

    @classmethod
    def open(
        cls, name: str = DEFAULT_PROFILE, *, home: Path | None = None, clock: Clock = REAL_CLOCK
    ) -> Session:
        """The named profile, created on first use."""
        try:
            return cls(Profile.named(name, home, clock), clock)
        except ValueError as error:
            raise ConfigError(f"cannot open profile {name!r}: {error}") from None
        except OSError as error:
            raise ConfigError(f"cannot open profile {name!r}: {error.strerror or error}") from None

    @property
    def name(self) -> str:
        return self.profile.root.name

    @property
    def root(self) -> Path:
        return self.profile.root

    def command(self, *args: str) -> str:
        """The shell command that reaches this profile: `axpush --profile demo status`, with
        AXPUSH_HOME when the profile lives elsewhere than profiles usually do."""
        home = self.root.parent.parent
        prefix = "" if home == axpush_home() else f"AXPUSH_HOME={home} "
        profile = "" if self.name == DEFAULT_PROFILE else f" --profile {self.name}"
        return f"{prefix}axpush{profile} {' '.join(args)}".rstrip()

    def damage(self) -> list[str]:
        """Each profile file found damaged and set aside since opening, in words."""
        return [report.describe() for report in self.profile.set_aside]

    def close(self) -> None:
        self.profile.close()
