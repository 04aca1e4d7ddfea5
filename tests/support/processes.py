"""The `axpush` command run as its users run it: from cron (no terminal, nothing on standard
input), or by a person over SSH who pastes back a sign-in address."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

FAST_RETRIES = {"AXPUSH_RETRY_BASE_SECONDS": "0.01"}
"""Backoff in hundredths of a second: the sandbox's faults are retried without waiting."""


def axpush(
    *args: str, home: Path | None = None, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """One command, to its end, as cron runs it."""
    extra = {"AXPUSH_HOME": str(home)} if home is not None else {}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        env={**os.environ, **FAST_RETRIES, **extra, **(env or {})},
    )


def axpush_pasting(*args: str, home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A person at the keyboard over SSH: reads the URL printed, opens it in a browser
    elsewhere (the sandbox consents at once), and pastes back the address it ended on."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AXPUSH_HOME": str(home), **env},
    )
    assert process.stdout is not None and process.stdin is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("  http"):
            ended_on = httpx.get(line.strip()).headers["location"]
            process.stdin.write(ended_on + "\n")
            process.stdin.flush()
            break
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(args, process.returncode, "".join(seen) + out, err)
