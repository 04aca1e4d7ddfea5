"""One bill's history is found through an index, not by reading every history file: what a
long-lived firm needs so that `axpush log --bill` and the console's history pane stay instant."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tui.core.jobs import Attempt, Outcome
from tui.store.profile import Profile

T0 = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def attempt(bill: int, at: datetime, outcome: Outcome = Outcome.CREATED) -> Attempt:
    return Attempt(str(bill), f"INV-{bill:05d}", at, "ann@host", "create-invoice", outcome)


def two_years_of_history(profile: Profile) -> None:
    """Bills 1000..1099 pushed once a month for 24 months, in batches of 50; bill 1042 also
    failed in month 7. With 50 attempts to a file: two files a month, and one more in month 7."""
    for month in range(24):
        at = T0 + timedelta(days=31 * month)
        for batch in (range(1000, 1050), range(1050, 1100)):
            profile.append_history([attempt(b, at) for b in batch])
    profile.append_history([attempt(1042, T0 + timedelta(days=31 * 7, hours=1), Outcome.FAILED)])


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.store.profile.SHARD_ATTEMPTS", 50)


def files_read(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The history files a lookup reads, as it reads them."""
    read: list[str] = []
    original = Profile._shard_attempts

    def spy(self: Profile, shard: str, only: tuple[str, str] | None = None) -> list[Attempt]:
        read.append(shard)
        return original(self, shard, only)

    monkeypatch.setattr(Profile, "_shard_attempts", spy)
    return read


def test_a_bills_history_is_read_from_the_files_that_hold_it_alone(
    profile: Profile, small_shards: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_years_of_history(profile)
    every_file = list((profile.root / "history").glob("*.json"))
    assert len(every_file) == 49
    read = files_read(profile, monkeypatch)

    found = profile.attempts_of("1042")

    assert [a.outcome for a in found].count(Outcome.CREATED) == 24
    assert [a.outcome for a in found].count(Outcome.FAILED) == 1
    assert [a.at for a in found] == sorted(a.at for a in found)
    assert {a.bill_id for a in found} == {"1042"}
    assert len(read) == 25  # one file a month and the failure's, of 49


def test_a_bill_is_found_by_its_number_too(profile: Profile, small_shards: None) -> None:
    two_years_of_history(profile)
    assert len(profile.attempts_named("INV-01042")) == 25
    assert len(profile.attempts_named("1042")) == 25  # by id when no bill has that number
    assert profile.attempts_named("INV-09999") == []


def test_a_profile_from_before_the_index_is_indexed_once_when_first_asked(
    profile: Profile, small_shards: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_years_of_history(profile)
    shutil.rmtree(profile.root / "history" / "index")
    reopened = Profile(profile.root)
    read = files_read(reopened, monkeypatch)

    assert len(reopened.attempts_of("1007")) == 24
    assert len(read) == 49 + 24  # every file indexed, then the bill's read
    read.clear()
    assert len(reopened.attempts_of("1008")) == 24
    assert len(read) == 24
    reopened.close()


def test_a_damaged_index_file_is_set_aside_and_the_index_built_again(
    profile: Profile, small_shards: None
) -> None:
    two_years_of_history(profile)
    index = profile.root / "history" / "index"
    [ids] = [p for p in index.glob("id-*.json")]
    ids.write_text('{"keys": {"1": {"id:1042": "not a list of files"')
    reopened = Profile(profile.root)

    assert len(reopened.attempts_of("1042")) == 25
    assert [s.name for s in reopened.set_aside] == [f"history/index/{ids.name}"]
    reopened.close()


def test_an_index_that_names_a_file_too_many_is_harmless(
    profile: Profile, small_shards: None
) -> None:
    """What a crash between writing the index and writing the attempts leaves behind."""
    two_years_of_history(profile)
    index = profile.root / "history" / "index"
    [ids] = [p for p in index.glob("id-*.json")]
    data = json.loads(ids.read_text())
    data["keys"]["1"]["id:1042"].append("2025-01.2")  # bill 1042 was never written there
    ids.write_text(json.dumps(data))

    assert len(Profile(profile.root).attempts_of("1042")) == 25


def test_the_whole_history_streams_one_file_at_a_time_in_order(
    profile: Profile, small_shards: None
) -> None:
    two_years_of_history(profile)
    streamed = list(profile.history_stream())
    assert len(streamed) == 2401
    assert [a.at for a in streamed] == sorted(a.at for a in streamed)
    since = list(profile.history_stream(since_month="2026-12"))
    assert {a.at.strftime("%Y-%m") for a in since} == {"2026-12"}
