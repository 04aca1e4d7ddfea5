"""Damaged files, a full disk, a read-only profile: every command ends with a clear message and
the right exit code, and nothing is lost or silently replaced.

Each damage is done to a real profile, then the command runs as a process, as cron runs it.
A full disk and a read-only profile are real where the test can mount a small tmpfs (as root
here); a full disk is otherwise the write failing with ENOSPC at the file-system edge."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.processes import axpush

from tui.core.errors import EXIT_USAGE
from tui.core.mapping import Mapping
from tui.sandbox.server import SandboxServer
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.store import storage
from tui.store.profile import Profile
from tui.store.storage import StorageError


def ready(server: SandboxServer, home: Path) -> Path:
    """A profile connected to the sandbox, mapped, with a push done; returns its folder."""
    session = Session.open("default", home=home)
    asyncio.run(connect_sandbox(session, server.base_url))
    session.profile.save_mapping(Mapping(*server.state.firm.demo_mapping()))
    session.close()
    done = axpush("push", "--bill", "10001", "10002", home=home)
    assert done.returncode == 0, done.stderr
    return home / "profiles" / "default"


def test_a_truncated_config_is_named_with_the_way_back_and_doctor_lists_it(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    root = ready(sandbox, isolated_home)
    config = root / "config.json"
    config.write_bytes(config.read_bytes()[:-30])
    status = axpush("status", "--offline", home=isolated_home)
    assert "Traceback" not in status.stderr
    assert "config.json could not be read" in status.stderr and "To go back to it" in status.stderr
    [kept] = root.glob("config.json.damaged-*")
    assert f"mv '{kept}' '{config}'" in status.stderr, "the exact step back"
    doctor = axpush("doctor", home=isolated_home)
    assert doctor.returncode == 1
    assert f"FAIL config.json was set aside as damaged, kept as {kept.name}" in doctor.stdout


def test_a_damaged_history_shard_is_said_not_taken_for_an_empty_history(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    root = ready(sandbox, isolated_home)
    [shard] = (root / "history").glob("*.json")
    shard.write_text("{ this is not json")
    log = axpush("log", home=isolated_home)
    assert log.returncode == 0 and "Traceback" not in log.stderr
    assert f"history/{shard.name} could not be read" in log.stderr


@pytest.mark.parametrize(
    ("file", "damage"),
    [
        ("outbox/jobs-0.json", lambda d: d["jobs"]["1"].update(state=None)),
        ("bills/bills-0.json", lambda d: d["bills"]["1"].update(total_inc=[1, 2])),
        ("history", lambda d: d["attempts"]["1"].update(at="yesterday")),
        ("config.json", lambda d: d["mapping"]["1"].update(accounts=7)),
    ],
)
def test_valid_json_with_fields_of_the_wrong_type_is_set_aside_not_a_traceback(
    sandbox: SandboxServer, isolated_home: Path, file: str, damage: object
) -> None:
    root = ready(sandbox, isolated_home)
    path = next((root / "history").glob("*.json")) if file == "history" else root / file
    data = json.loads(path.read_text())
    damage(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    command = ("log",) if file == "history" else ("push", "--all", "--json")
    done = axpush(*command, home=isolated_home)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1)
    named = path.relative_to(root).as_posix()  # config.json, outbox/jobs-0.json, history/...
    assert f"{named} could not be read" in done.stderr
    assert list(path.parent.glob(f"{path.name}.damaged-*")), "kept, byte for byte"
    numbers = [inv["InvoiceNumber"] for inv in sandbox.state.xero.invoices.values()]
    assert len(numbers) == len(set(numbers)), "nothing doubled in Xero"


def test_profiles_folder_is_private_too(isolated_home: Path) -> None:
    Profile.named("firm", home=isolated_home).close()
    mode = stat.S_IMODE((isolated_home / "profiles").stat().st_mode)
    assert mode == 0o700, oct(mode)


def test_a_full_disk_during_a_push_is_said_and_nothing_is_lost(
    sandbox: SandboxServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the file-system edge: the next write of the profile fails with ENOSPC."""
    root = ready(sandbox, isolated_home)
    before = {p.name: p.read_bytes() for p in root.glob("*.json")}

    def full(path: Path, payload: bytes, mode: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(storage, "_write", full)
    session = Session.open("default", home=isolated_home)
    with pytest.raises(StorageError, match="is full") as said:
        session.profile.save_mapping(Mapping())
    assert "nothing in it was lost" in str(said.value) and said.value.exit_code == EXIT_USAGE
    session.close()
    assert {p.name: p.read_bytes() for p in root.glob("*.json")} == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, where this machine lets the test mount one (root on Linux)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("no tmpfs can be mounted here: the ENOSPC test above stands in")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_on_a_real_full_disk_commands_say_so_and_the_files_stay_whole(
    sandbox: SandboxServer, small_disk: Path
) -> None:
    home = small_disk / "home"
    root = ready(sandbox, home)
    before = {p.name: p.read_bytes() for p in root.glob("*.json")}
    filler = small_disk / "filler"
    with filler.open("wb") as handle:  # the disk fills up
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    done = axpush("push", "--all", home=home)
    assert done.returncode == EXIT_USAGE and "Traceback" not in done.stderr, done.stderr
    assert "is full" in done.stderr and "nothing in it was lost" in done.stderr
    assert {p.name: p.read_bytes() for p in root.glob("*.json")} == before
    filler.unlink()
    again = axpush("push", "--all", home=home)
    assert again.returncode in (0, 1), again.stderr
    numbers = [inv["InvoiceNumber"] for inv in sandbox.state.xero.invoices.values()]
    assert len(numbers) == len(set(numbers)), "nothing doubled once space was freed"


def test_a_read_only_profile_still_answers_status_and_log(
    sandbox: SandboxServer, small_disk: Path
) -> None:
    home = small_disk / "home"
    ready(sandbox, home)
    shutil.rmtree(home / "profiles" / "default" / "history" / "index")  # as from before it
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True)
    if remounted.returncode != 0:
        pytest.skip("the tmpfs cannot be made read-only here")
    status = axpush("status", "--offline", home=home)
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    log = axpush("log", home=home)
    assert log.returncode == 0 and "#10001" in log.stdout, log.stderr
    one = axpush("log", "--bill", "10001", home=home)  # no index to use: every file is read
    assert one.returncode == 0 and "#10001" in one.stdout and "#10002" not in one.stdout
    push = axpush("push", "--all", home=home)
    assert push.returncode == EXIT_USAGE and "read-only" in push.stderr, push.stderr
    assert "Traceback" not in push.stderr
