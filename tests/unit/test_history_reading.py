"""History read as a stream tells the same story as history read whole: a `sending` record is
left out once its answer is recorded, and kept (unanswered) when none came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tui.core.jobs import Attempt, Outcome, as_read, read_stream

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def reference(attempts: list[Attempt]) -> list[Attempt]:
    """The definition, over a whole list: each answer closes the newest open `sending` of its
    bill and action."""
    answered: set[int] = set()
    open_: dict[tuple[str, str], int] = {}
    for index, attempt in enumerate(attempts):
        key = (attempt.bill_id, attempt.action)
        if attempt.outcome is Outcome.SENDING:
            open_[key] = index
        elif key in open_:
            answered.add(open_.pop(key))
    return [a for i, a in enumerate(attempts) if i not in answered]


RECORDS = st.lists(
    st.tuples(
        st.sampled_from(["801", "802", "803"]),
        st.sampled_from(["create-invoice", "add-payment"]),
        st.sampled_from([Outcome.SENDING, Outcome.CREATED, Outcome.FAILED]),
    ),
    max_size=60,
)


def history(records: list[tuple[str, str, Outcome]]) -> list[Attempt]:
    return [
        Attempt(bill, bill, T0 + timedelta(seconds=i), "ann@host", action, outcome)
        for i, (bill, action, outcome) in enumerate(records)
    ]


@given(RECORDS)
def test_history_read_whole_follows_the_definition(records: list[tuple[str, str, Outcome]]) -> None:
    attempts = history(records)
    assert as_read(attempts) == reference(attempts)


@given(RECORDS)
def test_a_stream_tells_the_same_story_when_answers_come_within_its_window(
    records: list[tuple[str, str, Outcome]],
) -> None:
    attempts = history(records)
    assert list(read_stream(iter(attempts), window=len(attempts) + 1)) == reference(attempts)


def test_a_stream_holds_no_more_than_its_window() -> None:
    """A `sending` never answered is told as unanswered once the window has passed it, so a
    million records stream in the memory of the window."""
    never_answered = Attempt("801", "801", T0, "ann@host", "create-invoice", Outcome.SENDING)
    later = history([("802", "create-invoice", Outcome.CREATED)] * 10)
    stream = read_stream(iter([never_answered, *later]), window=3)
    assert next(stream) is never_answered  # told after 3 more records, not at the end
    assert len(list(stream)) == 10
