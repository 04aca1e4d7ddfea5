"""What each `axpush` subcommand does; `tui.cli.main` only parses and dispatches.

Exit codes, for cron and scripts:
  0  done, nothing failed
  1  done, but something failed (a bill, a check)
  2  usage or configuration error
  3  not connected, or a service needs reconnecting
  4  paused by a rate limit (Xero's daily limit)
"""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RECONNECT = 3
EXIT_PAUSED = 4


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"axpush: {message}", file=sys.stderr)
    return code
