"""What an admin saves: from the console, into the profile's `exports/` folder (private, like the
rest of the profile); from a command, where the command was told."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from tui.core.errors import AxpushError, UsageError
from tui.service.done import Done
from tui.service.session import Session
from tui.store.storage import write_atomically


class ExportFailed(AxpushError):
    title = "Not exported"


async def export_log(session: Session, lines: Sequence[str], *, filtered: bool) -> Done:
    """Save the Push log's lines as shown; says where."""
    stamp = session.clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    text = "".join(f"{line}\n" for line in lines)
    try:
        path = await asyncio.to_thread(
            session.profile.write_export, f"push-log-{stamp}.txt", text, session.exports
        )
    except OSError as error:
        raise ExportFailed(
            f"Could not save the log in {session.exports or session.root / 'exports'}: "
            f"{error.strerror or error}. Nothing else was changed."
        ) from None
    what = "the filtered lines" if filtered else "the log"
    return Done(
        "Log exported",
        f"{len(lines):,} lines ({what}) saved to {path}. The full record of every attempt: "
        "`axpush log --csv`.",
    )


def write_file(path: Path, text: str) -> None:
    """Write a file the person named (an exported mapping), whole or not at all (blocking)."""
    try:
        write_atomically(path, text.encode("utf-8"), 0o644)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
