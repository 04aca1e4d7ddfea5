"""The profile's files: never half-written, shared safely between processes, damage set aside
and reported rather than silently emptied."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from support.bills import open_bill

from tui.core.connection import ActionstepLink, ConnectionState, XeroLink
from tui.core.jobs import Attempt, Job, JobState, Outcome
from tui.core.mapping import Mapping
from tui.core.models import Bill
from tui.core.settings import Settings, XeroSettings
from tui.store.profile import Profile
from tui.store.storage import SchemaTooNew

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def run_python(code: str, home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "AXPUSH_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_files_are_private_to_the_user(profile: Profile) -> None:
    profile.save_token("xero", {"access_token": "secret"})
    assert stat.S_IMODE(profile.root.stat().st_mode) == 0o700
    for name in ("tokens.json",):
        assert stat.S_IMODE((profile.root / name).stat().st_mode) == 0o600


def test_every_file_carries_its_schema_version(profile: Profile) -> None:
    profile.save_mapping(Mapping({"1": "x"}, {}))
    data = json.loads((profile.root / "config.json").read_text())
    assert data["_meta"]["1"] == {"schema": "axpush.config", "version": 2}


def test_settings_and_connection_state_survive_a_reopen(
    profile: Profile, isolated_home: Path
) -> None:
    profile.save_settings(Settings(XeroSettings(api_url="https://x/api.xro/2.0")))
    profile.save_connection(
        ConnectionState(XeroLink("tenant"), ActionstepLink("https://a.example/api/"))
    )
    profile.save_mapping(Mapping({"4001": "acc-1"}, {"1": "OUTPUT"}))
    profile.save_mapping(Mapping({"4002": "acc-2"}, {}))
    again = Profile.named("test", home=isolated_home)
    assert again.settings().xero.api_url == "https://x/api.xro/2.0"
    assert again.connection().xero.tenant_id == "tenant"
    assert again.connection().actionstep.rest_url == "https://a.example/api/rest"
    assert again.mapping() == Mapping({"4002": "acc-2"}, {})


def test_a_config_from_schema_1_reads_its_settings_and_connection_apart(
    profile: Profile,
) -> None:
    """Schema 1 kept settings and what sign-in produced in one table, `connections`."""
    old = {
        "xero": {"api_url": "https://x/api.xro/2.0", "client_id": "app", "tenant_id": "t-1"},
        "actionstep": {"client_id": "as", "api_endpoint": "https://a.example/api/"},
        "binding": {"organisation_id": "org-1", "name": "Old Firm"},
    }
    (profile.root / "config.json").write_text(
        json.dumps({"connections": {"1": old}, "_meta": {"1": {"version": 1}}})
    )
    assert profile.settings().xero.client_id == "app"
    assert profile.settings().actionstep.client_id == "as"
    assert profile.connection().xero.tenant_id == "t-1"
    assert profile.connection().binding.name == "Old Firm"
    assert profile.connection().actionstep.rest_url == "https://a.example/api/rest"


def test_a_damaged_file_is_set_aside_and_reported_not_emptied(
    profile: Profile, isolated_home: Path
) -> None:
    profile.record_jobs([Job("801", "10001", JobState.PUSHED, "k", T0, invoice_id="inv-1")])
    state = profile.root / "outbox" / "jobs-0.json"
    damaged = state.read_bytes()[: len(state.read_bytes()) // 2]  # truncated mid-write
    state.write_bytes(damaged)

    reopened = Profile.named("test", home=isolated_home)
    assert reopened.jobs() == {}
    [report] = reopened.set_aside
    assert report.moved_to.read_bytes() == damaged, "the evidence is kept byte for byte"
    assert "outbox/jobs-0.json could not be read" in report.describe()
    reopened.record_jobs([Job("802", "10002", JobState.SENDING, "k2", T0)])
    assert list(reopened.jobs()) == ["802"]


def test_a_file_from_a_newer_axpush_is_refused_and_left_untouched(
    profile: Profile, isolated_home: Path
) -> None:
    config = profile.root / "config.json"
    newer = json.dumps({"_meta": {"1": {"schema": "axpush.config", "version": 99}}})
    config.write_text(newer)
    with pytest.raises(SchemaTooNew, match="newer axpush"):
        Profile.named("test", home=isolated_home).mapping()
    assert config.read_text() == newer


def test_jobs_count_their_attempts_and_history_is_sharded_by_month(profile: Profile) -> None:
    job = Job("801", "10001", JobState.SENDING, "k1", T0, total=Decimal("110.00"))
    assert profile.record_jobs([job])[0].attempts == 1
    assert profile.record_jobs([job])[0].attempts == 2
    done = job.settled(JobState.PUSHED, T0, invoice_id="inv-1")
    profile.record_jobs(
        [done],
        [
            Attempt(
                "801",
                "10001",
                T0,
                "ann@host",
                "create-invoice",
                Outcome.CREATED,
                "inv-1",
                Decimal("110.00"),
            ),
            Attempt(
                "801",
                "10001",
                T0.replace(month=12),
                "ann@host",
                "create-invoice",
                Outcome.FAILED,
                message="Xero offline",
            ),
        ],
    )
    stored = profile.jobs()["801"]
    assert (stored.state, stored.invoice_id, stored.attempts) == (JobState.PUSHED, "inv-1", 2)
    assert profile.history_months() == ["2026-11", "2026-12"]
    assert [a.outcome for a in profile.history()] == [Outcome.CREATED, Outcome.FAILED]
    assert profile.history("2026-11")[0].total == Decimal("110.00")


def test_a_busy_month_continues_in_a_new_shard_so_a_write_stays_small(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.store.profile.SHARD_ATTEMPTS", 3)
    attempts = [
        Attempt(
            str(800 + i),
            str(10000 + i),
            T0.replace(minute=i),
            "ann@host",
            "create-invoice",
            Outcome.CREATED,
        )
        for i in range(8)
    ]
    for attempt in attempts:
        profile.append_history([attempt])
    files = sorted(p.name for p in (profile.root / "history").glob("*.json"))
    assert files == ["2026-11.2.json", "2026-11.3.json", "2026-11.json"]
    assert profile.history_months() == ["2026-11"]
    assert [a.bill_id for a in profile.history("2026-11")] == [a.bill_id for a in attempts]
    assert [a.number for a in profile.attempts_of("807")] == ["10007"]


def test_a_write_that_dies_half_way_leaves_the_previous_file_whole(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash is simulated at the worst moment: data written, not yet synced or renamed."""
    profile.save_mapping(Mapping({"1": "old"}, {}))
    before = (profile.root / "config.json").read_bytes()

    def crash(_fd: int) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(SystemExit):
        profile.save_mapping(Mapping({str(i): "new" for i in range(500)}, {}))
    monkeypatch.undo()
    assert (profile.root / "config.json").read_bytes() == before
    assert not [p for p in profile.root.iterdir() if p.name.endswith(".tmp")]
    assert profile.mapping() == Mapping({"1": "old"}, {})


def test_two_processes_updating_one_profile_lose_no_update(isolated_home: Path) -> None:
    Profile.named("shared", home=isolated_home).close()
    code = """
        from datetime import UTC, datetime
        from tui.core.jobs import Job, JobState
        from tui.store.profile import Profile
        profile = Profile.named("shared")
        for _ in range(40):
            profile.record_jobs([Job("801", "10001", JobState.SENDING, "k",
                                     datetime.now(UTC))])
        print("done")
    """
    workers = [run_python(code, isolated_home) for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    assert Profile.named("shared", home=isolated_home).jobs()["801"].attempts == 80


def test_kill_9_mid_write_never_leaves_an_unreadable_file(isolated_home: Path) -> None:
    """A writer killed at random moments, ten times: each time the file reads back whole."""
    code = """
        from tui.core.mapping import Mapping
        from tui.store.profile import Profile
        profile = Profile.named("crash")
        big = Mapping({str(i): "account-" + "x" * 40 for i in range(3000)}, {})
        small = Mapping({"1": "a"}, {"1": "OUTPUT"})
        print("ready", flush=True)
        while True:
            profile.save_mapping(big)
            profile.save_mapping(small)
    """
    rng = random.Random(7)
    for _ in range(10):
        writer = run_python(code, isolated_home)
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        reader = Profile.named("crash", home=isolated_home)
        mapping = reader.mapping()
        assert reader.set_aside == []
        assert len(mapping.accounts) in (1, 3000)
        reader.close()
        leftovers = [p for p in reader.root.iterdir() if p.name.endswith(".tmp")]
        for leftover in leftovers:  # a killed writer may leave its temp file; never the DB
            leftover.unlink()


def test_a_reader_never_sees_a_half_written_file(isolated_home: Path) -> None:
    """While another process rewrites the mapping as fast as it can, every read is whole."""
    code = """
        import sys, time
        from tui.core.mapping import Mapping
        from tui.store.profile import Profile
        profile = Profile.named("busy")
        big = Mapping({str(i): "account-" + "x" * 40 for i in range(3000)}, {})
        small = Mapping({"1": "a"}, {"1": "OUTPUT"})
        profile.save_mapping(small)
        print("ready", flush=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not sys.stdin.closed:
            profile.save_mapping(big)
            profile.save_mapping(small)
    """
    writer = run_python(code, isolated_home)
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
    reader = Profile.named("busy", home=isolated_home)
    sizes: set[int] = set()
    try:
        reads = 0
        while sizes != {1, 3000} or reads < 200:  # until both versions were read, many times
            sizes.add(len(reader.mapping().accounts))
            assert reader.set_aside == [], reader.set_aside[0].describe()
            reads += 1
            assert reads < 200_000 and writer.poll() is None, "the writer stopped early"
    finally:
        writer.kill()
        writer.wait(timeout=10)
    assert sizes == {1, 3000}, "the reader saw both versions, and only whole ones"


def test_an_outbox_from_schema_1_moves_into_its_files_and_the_old_one_is_kept(
    profile: Profile, isolated_home: Path
) -> None:
    """state.json held every job; each now lives in the outbox file of its thousand bills."""
    jobs = {
        "1": Job("801", "10001", JobState.PUSHED, "k", T0, invoice_id="inv-1").to_json(),
        "2": Job("2450", "12450", JobState.SENDING, "k2", T0).to_json(),
    }
    old = profile.root / "state.json"
    old.write_text(json.dumps({"jobs": jobs, "_meta": {"1": {"version": 1}}}))
    reopened = Profile.named("test", home=isolated_home)
    assert set(reopened.jobs()) == {"801", "2450"}
    assert not old.exists() and list(profile.root.glob("state.json.migrated-*"))
    assert sorted(p.name for p in (profile.root / "outbox").glob("*.json")) == [
        "jobs-0.json",
        "jobs-2.json",
    ]
    assert reopened.jobs()["2450"].state is JobState.SENDING, "still to be looked up in Xero"


def cached(bill_id: str, total: str = "110.00") -> Bill:
    return open_bill(bill_id, f"1{bill_id:0>4}", total)


def test_a_sync_writes_the_files_of_the_bills_that_changed_and_no_other(
    profile: Profile,
) -> None:
    every = [cached(str(i)) for i in range(0, 5000, 7)]
    assert profile.save_bills(every, T0, replace_all=True) == len(every)
    inodes = {p.name: p.stat().st_ino for p in (profile.root / "bills").glob("bills-*")}
    assert len(inodes) == 5
    assert profile.save_bills(every, T0, replace_all=True) == 0, "a full sync, nothing new"

    read_again = [cached("7"), cached("1001"), cached("2451", "99.00")]  # only 2451 is new
    assert profile.save_bills(read_again, T0.replace(hour=10), replace_all=False) == 1

    written = {  # each write replaces its file whole: a new inode
        p.name
        for p in (profile.root / "bills").glob("bills-*")
        if p.stat().st_ino != inodes[p.name]
    }
    assert written == {"bills-2.json"}
    assert profile.sync_cursor() == T0.replace(hour=10)
    assert profile.cached_bills(["2451", "9999"]) == {"2451": cached("2451", "99.00")}
    assert len(profile.cached_bills()) == len(range(0, 5000, 7)) + 1


def test_a_full_sync_leaves_no_file_of_bills_no_longer_there(profile: Profile) -> None:
    profile.save_bills([cached("5"), cached("2450")], T0, replace_all=True)
    profile.save_bills([cached("5")], T0, replace_all=True)
    assert [p.name for p in (profile.root / "bills").glob("bills-*")] == ["bills-0.json"]
    assert set(profile.cached_bills()) == {"5"}


def test_bills_from_schema_1_move_into_their_files_and_the_old_file_is_kept(
    profile: Profile, isolated_home: Path
) -> None:
    old = profile.root / "bills.json"
    old.write_text(
        json.dumps(
            {
                "bills": {"1": cached("801").to_json(), "2": cached("2450").to_json()},
                "sync": {"1": {"cursor": T0.isoformat()}},
                "_meta": {"1": {"version": 1}},
            }
        )
    )
    reopened = Profile.named("test", home=isolated_home)
    assert reopened.sync_cursor() == T0, "the next sync is incremental, as before"
    assert set(reopened.cached_bills()) == {"801", "2450"}
    assert not old.exists() and list(profile.root.glob("bills.json.migrated-*"))
    assert sorted(p.name for p in (profile.root / "bills").glob("bills-*")) == [
        "bills-0.json",
        "bills-2.json",
    ]
