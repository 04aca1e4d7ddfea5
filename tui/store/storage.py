"""A TinyDB storage that never leaves a half-written file and never empties a damaged one.

TinyDB's own JSONStorage overwrites the file in place, so a crash mid-write leaves it unreadable.
Here every write goes to a temporary file in the same directory, is fsynced, and replaces the
original with `os.replace` (atomic on POSIX and Windows), under a cross-process file lock. A file
that fails to parse is moved aside (kept, with a timestamp) and reported; the database then starts
empty instead of crashing or silently losing the evidence.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock
from tinydb.storages import Storage

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import ConfigError

META_TABLE = "_meta"
FILE_MODE = 0o600


class SchemaTooNew(ConfigError):
    """The file was written by a newer axpush; it is left untouched."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A damaged file that was moved out of the way."""

    original: Path
    moved_to: Path
    reason: str

    def describe(self) -> str:
        return (
            f"{self.original.name} could not be read ({self.reason}); it was kept as "
            f"{self.moved_to} and a fresh one started"
        )


def write_atomically(path: Path, payload: bytes, mode: int = FILE_MODE) -> None:
    """Write `payload` to `path` so that readers see the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):
    """TinyDB storage: whole-file JSON, atomic replace, schema-versioned, damage set aside."""

    def __init__(
        self,
        path: Path,
        *,
        lock: FileLock,
        schema: str,
        version: int,
        on_set_aside: Callable[[SetAside], None] | None = None,
        mode: int = FILE_MODE,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.path = path
        self._clock = clock
        self._lock = lock
        self._schema = schema
        self._version = version
        self._on_set_aside = on_set_aside
        self._mode = mode

    def read(self) -> dict[str, dict[str, Any]] | None:
        for _ in range(3):
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return None
            try:
                data = json.loads(raw)
                if not isinstance(data, dict) or not all(
                    isinstance(t, dict) for t in data.values()
                ):
                    raise ValueError("not a TinyDB document")
            except (ValueError, UnicodeDecodeError) as error:
                if self._set_aside(raw, error):
                    return None
                continue  # replaced by another process meanwhile: read it again
            self._check_schema(data)
            return data
        return None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        data = {**data, META_TABLE: {"1": {"schema": self._schema, "version": self._version}}}
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self._lock:
            write_atomically(self.path, payload, self._mode)

    def _check_schema(self, data: dict[str, dict[str, Any]]) -> None:
        meta = data.get(META_TABLE, {}).get("1", {})
        version = meta.get("version", self._version) if isinstance(meta, dict) else self._version
        if isinstance(version, int) and version > self._version:
            raise SchemaTooNew(
                f"{self.path} was written by a newer axpush (schema {self._schema} v{version}; "
                f"this one reads up to v{self._version}). Upgrade axpush; the file is untouched."
            )

    def _set_aside(self, raw: bytes, error: Exception) -> bool:
        """Move the damaged file aside; False if it changed meanwhile (so was not moved)."""
        with self._lock:
            try:
                if self.path.read_bytes() != raw:
                    return False
            except FileNotFoundError:
                return False
            stamp = self._clock.now().strftime("%Y%m%dT%H%M%S%fZ")
            moved = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            os.replace(self.path, moved)
        if self._on_set_aside is not None:
            reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
            self._on_set_aside(SetAside(self.path, moved, reason))
        return True
