"""What the outbox and the caches keep survives their JSON exactly: a job's credits and the
earlier send it remembers, a bill's `totalDue`, an organisation's lock date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from tui.core.jobs import Job, JobState, Operation
from tui.core.models import Bill, BillStatus, Organisation

T0 = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def test_a_job_with_credits_and_a_prior_send_round_trips() -> None:
    job = Job(
        "801",
        "10001",
        JobState.FAILED,
        "k",
        T0,
        total=Decimal("6624.24"),
        operation=Operation.CREDIT,
        amount=Decimal("100.00"),
        prior_sending="f" * 32,
        prior_coding="c" * 16,
        prior_total=Decimal("6565.94"),
        credited=Decimal("33.33"),
        credits=2,
    )
    again = Job.from_json(json.loads(json.dumps(job.to_json())))
    assert again == job
    assert again.credit_number == "10001-CR3"
    assert again.sends[1] == ("f" * 32, "c" * 16, Decimal("6565.94"))


def test_a_job_from_before_credits_reads_as_having_none() -> None:
    old = Job("801", "10001", JobState.PUSHED, "k", T0).to_json()
    for name in ("credited", "credits", "prior_sending", "prior_coding", "prior_total"):
        old.pop(name)
    job = Job.from_json(old)
    assert (job.credited, job.credits, job.sends) == (Decimal("0.00"), 0, [("", "", None)])


def test_a_bill_keeps_its_total_due_and_what_was_credited() -> None:
    bill = Bill(
        "801",
        "10001",
        BillStatus.OPEN,
        "AUD",
        date(2026, 7, 1),
        None,
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("110.00"),
        Decimal("40.00"),
        None,
        None,
        total_due=Decimal("50.00"),
    )
    again = Bill.from_json(json.loads(json.dumps(bill.to_json())))
    assert again == bill and again.credited == Decimal("20.00")
    cached = bill.to_json()
    del cached["total_due"]  # a cache from before totalDue was read
    assert Bill.from_json(cached).credited == Decimal("0.00")


def test_an_organisation_keeps_its_lock_date_and_says_the_first_open_day() -> None:
    organisation = Organisation("o", "Firm", None, None, False, "AUD", lock_date=date(2026, 6, 30))
    again = Organisation.from_json(json.loads(json.dumps(organisation.to_json())))
    assert again == organisation and again.first_open_day == date(2026, 7, 1)
