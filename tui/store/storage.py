"""A TinyDB storage that never leaves a half-written file and never empties a damaged one.

TinyDB's own JSONStorage overwrites the file in place, so a crash mid-write leaves it unreadable.
Here every write goes to a temporary file in the same directory, is fsynced, and replaces the
original with `os.replace` (atomic on POSIX and Windows), under a cross-process file lock. A file
that fails to parse is moved aside (kept, with a timestamp) and reported; the database then starts
empty instead of crashing or silently losing the evidence.
"""

from __future__ import annotations

import contextlib
import errno
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

    @property
    def name(self) -> str:
        """The file as the profile's layout names it: `config.json`, `outbox/jobs-0.json`."""
        parts = self.original.parts
        for depth in (2, 3):  # outbox/jobs-0.json, history/2026-11.json, history/index/...
            if len(parts) > depth and parts[-depth] in ("history", "outbox", "bills"):
                return "/".join(parts[-depth:])
        return self.original.name

    def describe(self) -> str:
        return (
            f"{self.name} could not be read ({self.reason}); it was kept as "
            f"{self.moved_to} and a fresh one started. "
            + restore_steps(self.original, self.moved_to)
        )


def restore_steps(original: Path, kept: Path) -> str:
    """How to go back to a file that was set aside, once repaired."""
    return (
        "To go back to it: repair the kept file (it is JSON), stop every axpush using the "
        f"profile, then `mv '{kept}' '{original}'`"
    )


class StorageError(ConfigError):
    """A profile file could not be written: the disk is full, or the profile is read-only. The
    file is as it was before the write; nothing in it was lost."""

    title = "Profile not written"


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def unwritable(path: Path, error: OSError) -> StorageError | None:
    """What a failed write means for the admin, when it is the disk or the permissions."""
    if error.errno in _FULL:
        return StorageError(
            f"the disk holding {path.parent} is full ({error.strerror}): {path.name} was not "
            "changed and nothing in it was lost. Free some space there, then run the command "
            "again (an interrupted push is looked up in Xero first, so nothing is sent twice)"
        )
    if error.errno in _READ_ONLY:
        return StorageError(
            f"{path} cannot be written ({error.strerror}): the profile is read-only here. "
            "Commands that only read (status --offline, log, mapping log) still work; "
            "anything that records needs a writable profile"
        )
    return None


def write_atomically(path: Path, payload: bytes, mode: int = FILE_MODE) -> None:
    """Write `payload` to `path` so that readers see the old or the new file, never a mix. A
    full disk or a read-only profile raises StorageError, the old file left whole."""
    try:
        _write(path, payload, mode)
    except OSError as error:
        said = unwritable(path, error)
        if said is None:
            raise
        raise said from None


def _write(path: Path, payload: bytes, mode: int) -> None:
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
            try:
                os.replace(self.path, moved)
            except OSError as failure:
                said = unwritable(self.path, failure)
                if said is None:
                    raise
                raise ConfigError(
                    f"{self.path.name} could not be read ({_reason(error)}) and cannot be set "
                    f"aside: {said}"
                ) from None
        if self._on_set_aside is not None:
            self._on_set_aside(SetAside(self.path, moved, _reason(error)))
        return True

    def set_aside(self, error: Exception) -> None:
        """The file parses but its content cannot be used (a field of the wrong type): moved
        aside and reported like one that does not parse."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        self._set_aside(raw, error)


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0][:120] if str(error) else type(error).__name__
