"""`axpush sync`, `push` and `log` as cron and scripts use them: no terminal, JSON, exit codes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import httpx
from support.processes import axpush

from tui.core.mapping import Mapping
from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.connections import connect_sandbox
from tui.service.session import Session
from tui.store.profile import Profile


def ready_profile(server: SandboxServer, home: Path) -> Profile:
    import asyncio

    profile = Profile.named("default", home=home)
    asyncio.run(connect_sandbox(Session(profile), server.base_url))
    profile.save_mapping(Mapping(*server.state.firm.demo_mapping()))
    return profile


def test_sync_then_push_then_log_from_a_shell(sandbox: SandboxServer, isolated_home: Path) -> None:
    ready_profile(sandbox, isolated_home)
    synced = axpush("sync", "--json", "--states", home=isolated_home)
    assert synced.returncode == 0, synced.stderr
    report = json.loads(synced.stdout)
    assert report["full"] and report["fetched"] == 220 and report["states"]["ready"] > 150
    again = json.loads(axpush("sync", "--json", home=isolated_home).stdout)
    assert not again["full"] and again["changed"] == 0 and "states" not in again

    dry = axpush("push", "--all", "--dry-run", home=isolated_home)
    assert dry.returncode == 0 and "cannot go (dry run: nothing was sent)" in dry.stdout
    assert "would create   #10001" in dry.stdout and "record " in dry.stdout  # payments too
    assert "blocked" in dry.stdout
    planned = json.loads(axpush("push", "--all", "--dry-run", "--json", home=isolated_home).stdout)
    money = re.compile(r"-?\d+\.\d\d")  # one format for every amount a script reads
    assert all(money.fullmatch(bill["total"]) for bill in planned["bills"])
    assert all(money.fullmatch(step["amount"]) for step in planned["steps"])
    assert planned["plan"]["create"]["count"] == len(planned["bills"])
    assert planned["plan"]["payment"]["count"] > 0
    assert planned["blocked"] and all(row["cause"] and row["message"] for row in planned["blocked"])
    assert sandbox.state.xero.invoices == {}

    one = axpush("push", "--bill", "10001", "--json", home=isolated_home)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["created"] == 1
    pushed = axpush("push", "--all", home=isolated_home)
    assert pushed.returncode == 0, pushed.stderr
    assert re.search(r"done +\d+ created, 0 adopted, \d+ paid, 0 failed", pushed.stdout)
    blocked = axpush("push", "--cause", "mapping-missing", "--json", home=isolated_home)
    assert json.loads(blocked.stdout)["bills"] == [], "blocked bills are not pushed"

    log = axpush("log", "--bill", "10001", "--json", home=isolated_home)
    [entry] = json.loads(log.stdout)
    assert entry["outcome"] == "created" and entry["invoice_id"]
    table = list(csv.DictReader(io.StringIO(axpush("log", "--csv", home=isolated_home).stdout)))
    created = [row for row in table if row["outcome"] == "created"]
    assert len(created) == len(sandbox.state.xero.invoices)
    assert {row["action"] for row in table} == {"create-invoice", "create-payment"}
    assert axpush("log", "--since", "1h", home=isolated_home).stdout.count(" created ") == len(
        created
    )
    assert axpush("log", "--since", "soon", home=isolated_home).returncode == 2


def test_push_needs_to_be_told_what_to_push(sandbox: SandboxServer, isolated_home: Path) -> None:
    ready_profile(sandbox, isolated_home)
    result = axpush("push", home=isolated_home)
    assert result.returncode == 2 and "--all, --failed, --bill" in result.stderr
    missing = axpush("push", "--bill", "99999", home=isolated_home)
    assert missing.returncode == 2 and "no bill '99999'" in missing.stderr


def test_exit_codes_say_failed_reconnect_and_paused(isolated_home: Path) -> None:
    state = SandboxState.demo(tour=True, limits=Limits(per_minute=1000, per_day=8))
    with SandboxServer(state) as server:
        ready_profile(server, isolated_home)
        paused = axpush("push", "--all", home=isolated_home)
        assert paused.returncode == 4, paused.stderr
        assert "daily call limit" in paused.stderr and "resumes after" in paused.stderr
        state.clock.advance(timedelta(days=1))
        httpx.put(
            f"{server.base_url}/_sandbox/limits",
            json={"per_minute": 1000, "per_day": 5000, "concurrent": 5},
        )
        some_failed = axpush("push", "--all", home=isolated_home)
        assert some_failed.returncode == 1, some_failed.stderr  # the bill paid then edited
        httpx.post(f"{server.base_url}/_sandbox/clock", json={"advance": 61 * 24 * 3600})
        gone = axpush("push", "--all", home=isolated_home)
        assert gone.returncode == 3 and "reconnect" in gone.stderr


def test_not_connected_is_exit_3(isolated_home: Path) -> None:
    result = axpush("push", "--all", home=isolated_home)
    assert result.returncode == 3 and "axpush connect" in result.stderr


def test_a_bill_settled_by_hand_in_xero_is_marked_resolved_from_a_shell(
    isolated_home: Path,
) -> None:
    with SandboxServer(SandboxState.demo(tour=True)) as server:
        profile = ready_profile(server, isolated_home)
        assert (
            axpush("push", "--all", home=isolated_home).returncode == 1
        )  # the paid-then-edited bill
        failed = json.loads(
            axpush("push", "--failed", "--dry-run", "--json", home=isolated_home).stdout
        )["bills"]
        [number] = [b["number"] for b in failed]
        ready = next(k for k, j in profile.jobs().items() if j.number != number)
        not_failed = axpush("resolve", ready, "--why", "typo", home=isolated_home)
        assert not_failed.returncode == 2 and "only a failed or blocked bill" in not_failed.stderr

        done = axpush("resolve", number, "--why", "credit note CN-7 in Xero", home=isolated_home)

        assert done.returncode == 0, done.stderr
        assert f"#{number} marked resolved in Xero by" in done.stdout
        log = json.loads(axpush("log", "--bill", number, "--json", home=isolated_home).stdout)
        assert [e["outcome"] for e in log] == ["failed", "resolved"]
        assert log[-1]["message"] == "credit note CN-7 in Xero" and log[-1]["who"]
        again = json.loads(axpush("push", "--failed", "--json", home=isolated_home).stdout)
        assert again["bills"] == [] and again["failed"] == 0


def test_push_all_from_a_shell_credits_and_reverses_until_xero_agrees_with_actionstep(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    """The issue's own check: after a push, 100.00 credited on one bill and 50.00 of a receipt
    reversed on another in Actionstep; `push --all` leaves every invoice's Total, AmountPaid and
    AmountDue equal to Actionstep's, and a second `push --all` changes nothing."""
    ready_profile(sandbox, isolated_home)
    bills = sandbox.state.firm.actionstep["bills"]
    open_ = sorted(
        b for b, bill in bills.items() if bill["status"] == "Open" and bill["totalPaid"] == 0
    )
    credited, reversed_ = open_[0], open_[1]
    admin = f"{sandbox.base_url}/_sandbox/actionstep/bills"
    httpx.post(f"{admin}/{reversed_}", json={"pay": "200.00"}).raise_for_status()
    assert axpush("push", "--all", home=isolated_home).returncode == 0

    httpx.post(f"{admin}/{credited}", json={"credit": "100.00"}).raise_for_status()
    httpx.post(f"{admin}/{reversed_}", json={"unpay": "50.00"}).raise_for_status()
    pushed = axpush("push", "--all", "--json", home=isolated_home)

    assert pushed.returncode == 0, pushed.stderr
    report = json.loads(pushed.stdout)
    assert (report["credited"], report["reversed"], report["paid"]) == (1, 1, 1)
    invoices = {i["InvoiceNumber"]: i for i in sandbox.state.xero.invoices.values()}
    for bill in bills.values():
        invoice = invoices.get(bill["ourReference"])
        if invoice is None or invoice["Status"] == "VOIDED":
            continue
        xero = (invoice["Total"], invoice["AmountPaid"], invoice["AmountDue"])
        assert xero == (bill["totalInclusive"], bill["totalPaid"], bill["totalDue"]), bill["id"]
    again = json.loads(axpush("push", "--all", "--json", home=isolated_home).stdout)
    assert again["bills"] == [] and again["failed"] == 0
