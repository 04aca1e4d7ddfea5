"""The mapping against the live (sandbox) chart over loopback: from a shell with no terminal,
through the workspace when Xero's chart changes under it, and in the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.pilot import demo_app, loaded, screen_text, until
from support.processes import axpush
from support.sandboxes import admin, connect_another_organisation

from tui.console.dialogs.automap import AutoMapDialog
from tui.console.dialogs.picker import PickerDialog
from tui.console.screens.mapping import MappingScreen
from tui.core.mapping import Mapping
from tui.core.problems import MappingKey, MappingKind
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.sandbox.server import SandboxServer
from tui.service import mapping_edits
from tui.service.demo import Demo
from tui.service.workspace import Workspace


def test_connect_auto_map_sync_and_push_all_from_a_shell_with_no_terminal(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    def run(*args: str) -> tuple[int, str]:
        done = axpush(*args, home=isolated_home)
        assert done.returncode in (0, 1), done.stderr
        return done.returncode, done.stdout

    assert run("connect", "--sandbox", sandbox.base_url)[0] == 0
    code, before = run("mapping", "check", "--no-sync")
    assert code == 1 and "11 rows: 11 with a problem" in before

    code, dry = run("mapping", "auto", "--dry-run")
    assert "would map 6 rows (dry run: nothing was saved)" in dry
    assert "5 rows left for a person" in dry, "the dry run counts as the real run does"
    assert "no change to the mapping recorded yet" in run("mapping", "log")[1]
    code, auto = run("mapping", "auto")
    assert code == 0 and "mapped 6 rows" in auto
    assert "mapped  201 Professional Fees: (unmapped) → 201 Legal Fees  (same Code 201)" in auto
    assert "5 rows left for a person" in auto and "215 Mediation Fees" in auto
    assert run("sync")[0] == 0
    code, pushed = run("push", "--all")
    assert code == 0 and " 0 failed" in pushed

    states = json.loads(run("sync", "--json", "--states")[1])["states"]
    assert states["pushed"] > 0 and states["ready"] == 0
    assert len(sandbox.state.xero.invoices) == states["pushed"]
    check = axpush("mapping", "check", "--json", home=isolated_home)
    report = json.loads(check.stdout)
    assert check.returncode == 1 and report["bills_blocked"] == states["blocked"]
    problems = {r["actionstep"] for r in report["rows"] if r["problem"]}
    assert problems == {
        "203 Consulting Fees",
        "204 Conveyancing Fees",
        "215 Mediation Fees",
        "INP GST on Purchases (10%)",
        "N-T No Tax",
    }, "only what auto left"

    log = json.loads(run("mapping", "log", "--json")[1])
    assert len(log) == 6 and {e["how"] for e in log} == {"auto"}
    assert all(e["who"] and e["at"] and e["old"] is None and e["new"] for e in log)


def test_a_mapping_file_round_trips_and_a_bad_one_changes_nothing_from_a_shell(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    assert axpush("mapping", "auto", home=isolated_home).returncode == 0
    nowhere = axpush("mapping", "export", str(isolated_home / "no" / "m.json"), home=isolated_home)
    assert nowhere.returncode == 2 and "cannot write" in nowhere.stderr
    exported = isolated_home / "mapping.json"
    assert axpush("mapping", "export", str(exported), home=isolated_home).returncode == 0
    data = json.loads(exported.read_text())
    assert axpush("mapping", "export", home=isolated_home).stdout == exported.read_text(), (
        "the same mapping exports the same bytes"
    )

    for row in data["accounts"]:
        if row["actionstep"] == "203":
            row["xero_code"] = "260"
        if row["actionstep"] == "215":
            row["xero_code"] = "205"  # archived in Xero
    exported.write_text(json.dumps(data))
    bad = axpush("mapping", "import", str(exported), home=isolated_home)
    assert bad.returncode == 2
    assert "was not imported, nothing was changed" in bad.stderr
    assert (
        "accounts[4]: Xero account 205 Old Fee Income (mapped from 215 Mediation Fees) is "
        "archived" in bad.stderr
    )
    assert len(json.loads(axpush("mapping", "log", "--json", home=isolated_home).stdout)) == 6

    (isolated_home / "broken.json").write_text('{"format": ')
    broken = axpush("mapping", "import", str(isolated_home / "broken.json"), home=isolated_home)
    assert broken.returncode == 2 and "is not JSON" in broken.stderr

    data["accounts"][4]["xero_code"] = "260"
    exported.write_text(json.dumps(data))
    dry = axpush("mapping", "import", str(exported), "--dry-run", home=isolated_home)
    assert dry.returncode == 0 and "would change 2 rows" in dry.stdout
    done = axpush("mapping", "import", str(exported), home=isolated_home)
    assert done.returncode == 0 and "changed 2 rows, 6 already so" in done.stdout
    log = json.loads(axpush("mapping", "log", "--json", home=isolated_home).stdout)
    assert [(e["how"], e["subject"], e["new_label"]) for e in log[6:]] == [
        ("import", "203 Consulting Fees", "260 Other Revenue"),
        ("import", "215 Mediation Fees", "260 Other Revenue"),
    ]
    assert log[-1]["note"] == "imported from mapping.json"

    # A script can pipe a file in: `axpush mapping export | edit | axpush mapping import -`.
    data["tax_codes"][3]["xero_tax_type"] = "BASEXCLUDED"  # N-T No Tax
    piped = subprocess.run(
        [sys.executable, "-m", "tui", "mapping", "import", "-"],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "AXPUSH_HOME": str(isolated_home)},
    )
    assert piped.returncode == 0, piped.stderr
    assert "changed  N-T No Tax: (unmapped) → BASEXCLUDED BAS Excluded" in piped.stdout


async def test_a_chart_refresh_flags_an_archived_account_and_blocks_the_bills_coded_to_it(
    demo: Demo, workspace: Workspace
) -> None:
    fees = MappingKey(MappingKind.ACCOUNT, "4001")  # 201 Professional Fees -> 201 Legal Fees
    coded = [
        b
        for b, row in workspace.rows.items()
        if row.state is BillState.READY
        and any(line.account_id == "4001" for line in row.bill.lines)
    ]
    assert coded and workspace.mapping.seen[fees.text].status == "ACTIVE"

    await admin(demo.server.base_url, "xero/accounts/201", {"archive": True})
    refreshed = await mapping_edits.refresh_chart(workspace)
    drifted = [r for r in mapping_edits.rows(workspace) if r.drift]
    assert refreshed.warning and "2 mapped accounts changed in Xero" in refreshed.message

    assert {r.source_label for r in drifted} == {"201 Professional Fees", "203 Consulting Fees"}
    [row] = [r for r in drifted if r.key == fees]  # both were mapped to 201 Legal Fees
    assert row.drift == "archived (was active) since it was mapped"
    assert row.problem is not None and row.problem.cause is Cause.ACCOUNT_CODE
    assert all(workspace.rows[b].state is BillState.BLOCKED for b in coded)
    assert all(workspace.rows[b].cause is Cause.ACCOUNT_CODE for b in coded)

    await mapping_edits.keep(workspace, [fees])
    [after] = [r for r in mapping_edits.rows(workspace) if r.key == fees]
    assert after.drift is None and after.problem is not None, "seen, but still archived"
    [record] = await mapping_edits.history(workspace.session)
    assert (record.how, record.subject, record.note) == (
        "confirmed",
        "201 Professional Fees",
        "archived (was active) since it was mapped",
    )


async def test_an_account_that_changes_type_or_loses_its_code_is_flagged_with_the_change(
    demo: Demo, workspace: Workspace
) -> None:
    await admin(demo.server.base_url, "xero/accounts/202", {"type": "EXPENSE"})
    await admin(demo.server.base_url, "xero/accounts/270", {"clear_code": True})
    await mapping_edits.refresh_chart(workspace)
    drifted = {row.source_label: row for row in mapping_edits.rows(workspace) if row.drift}
    disbursements = drifted["202 Disbursements Recovered"]
    assert disbursements.drift == "type REVENUE → EXPENSE since it was mapped"
    assert disbursements.problem is not None and disbursements.problem.short == "not income"
    interest = drifted["270 Interest on Overdue Accounts"]
    assert interest.drift == "lost its Code (was 270) since it was mapped"
    assert interest.problem is not None and interest.problem.short == "no Code"
    assert demo.profile.mapping().seen == workspace.mapping.seen, "nothing confirmed by itself"


async def test_auto_map_in_the_console_shows_a_diff_to_accept_row_by_row(demo: Demo) -> None:
    demo.profile.save_mapping(Mapping())
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AutoMapDialog))
        text = screen_text(app)
        assert "Auto-map proposes 6 rows" in text
        assert "201 Legal Fees  same Code 201" in text
        assert "Still for a person: 203 Consulting Fees" in text
        await pilot.press("space")  # untick the first: 201 Professional Fees
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await app.workers.wait_for_complete()
        assert app.workspace is not None
        mapping = demo.profile.mapping()
        assert "4001" not in mapping.accounts and "4003" in mapping.accounts
        assert len(demo.profile.mapping_changes()) == 5
        await until(
            pilot, lambda: "set by auto-map" in screen_text(app) or "unmapped" in screen_text(app)
        )


async def test_refreshing_the_chart_in_the_console_marks_the_changed_row_until_kept(
    demo: Demo,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await admin(demo.server.base_url, "xero/accounts/201", {"name": "Fee Income"})
        await pilot.press("r")
        await until(pilot, lambda: "2 changed in Xero" in screen_text(app))  # 201 and 203
        screen = app.screen
        assert isinstance(screen, MappingScreen)
        await until(pilot, lambda: screen._current() is not None)
        assert screen._current().drift == "renamed from 'Legal Fees' since it was mapped"  # type: ignore[union-attr]
        assert "k: keep it as mapped" in screen_text(app)
        await pilot.press("k")
        await until(pilot, lambda: "1 changed in Xero" in screen_text(app))
        await app.workers.wait_for_complete()
        [record] = demo.profile.mapping_changes()
        assert record.how == "confirmed" and "renamed" in record.note
        await until(pilot, lambda: "Last change: confirmed by" in screen_text(app))


async def test_the_picker_says_what_xero_would_refuse_about_each_choice(demo: Demo) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await pilot.press("enter")  # 201 Professional Fees
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        text = screen_text(app)
        assert "205          Old Fee Income  REVENUE · archived" in text
        assert "400          Advertising  EXPENSE · not income" in text
        assert "090          Business Bank Account  BANK · bank account" in text
        assert "201          Legal Fees  REVENUE  ← current" in text
        await pilot.press("escape")
        screen = app.screen
        assert isinstance(screen, MappingScreen)
        await pilot.press(*["down"] * 8)  # INP GST on Purchases
        await until(
            pilot,
            lambda: (row := screen._current()) is not None and row.source_label.startswith("INP"),
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        text = screen_text(app)
        assert "INPUT        GST on Expenses  10% · not for sales" in text
        assert "OUTPUT       GST on Income  10%" in text


def test_two_admins_importing_at_once_lose_neither_change(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    """Each import re-reads the stored mapping under the profile's lock before saving, so two
    processes changing different rows at the same moment both land, each in the history."""
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    files = []
    for number, code in (("201", "201"), ("202", "202"), ("203", "260"), ("270", "270")):
        path = isolated_home / f"row-{number}.json"
        path.write_text(
            json.dumps(
                {
                    "format": "axpush-mapping",
                    "version": 1,
                    "accounts": [{"actionstep": number, "xero_code": code}],
                }
            )
        )
        files.append(path)
    env = {**os.environ, "AXPUSH_HOME": str(isolated_home)}
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "tui", "mapping", "import", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for f in files
    ]
    for process in running:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        assert "changed 1 row" in out
    exported = json.loads(axpush("mapping", "export", home=isolated_home).stdout)
    mapped = {row["actionstep"]: row["xero_code"] for row in exported["accounts"]}
    assert mapped == {
        "201": "201",
        "202": "202",
        "203": "260",
        "204": None,
        "215": None,
        "270": "270",
    }
    log = json.loads(axpush("mapping", "log", "--json", home=isolated_home).stdout)
    assert sorted(e["subject"][:3] for e in log) == ["201", "202", "203", "270"]


def test_after_swapping_organisations_the_mapping_says_so_and_carries_over_by_code(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    """The seed's warning: a new Xero organisation leaves the mapping pointing at the old one's
    accounts. axpush says which organisation the mapping was made for, and its export keeps the
    old Codes so `import --by-code` re-maps every row onto the new chart."""
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    assert axpush("mapping", "auto", home=isolated_home).returncode == 0
    before = json.loads(axpush("mapping", "check", "--json", home=isolated_home).stdout)
    assert before["organisation_problem"] is None
    rebound, _ = connect_another_organisation(
        sandbox, isolated_home, "Harbour & Finch (new books)", "--rebind"
    )
    assert rebound.returncode == 0, rebound.stderr

    check = axpush("mapping", "check", home=isolated_home)
    assert check.returncode == 1
    assert (
        "✗ This mapping was made for Harbour & Finch Lawyers, but Xero here is Harbour & "
        "Finch (new books)" in check.stdout
    )
    assert "201 Professional Fees" in check.stdout and "not in Xero" in check.stdout

    carried = isolated_home / "carried.json"
    assert axpush("mapping", "export", str(carried), home=isolated_home).returncode == 0
    rows = {r["actionstep"]: r["xero_code"] for r in json.loads(carried.read_text())["accounts"]}
    assert rows["201"] == "201", "the old Code is kept for a row whose account is gone"
    assert axpush("mapping", "import", str(carried), home=isolated_home).returncode == 2
    moved = axpush("mapping", "import", str(carried), "--by-code", home=isolated_home)
    assert moved.returncode == 0, moved.stderr
    assert "changed 4 rows, 2 already so" in moved.stdout  # TaxTypes are the same
    assert "201 Professional Fees: 201 Legal Fees (not in Xero) → 201 Legal Fees" in moved.stdout

    after = json.loads(axpush("mapping", "check", "--json", home=isolated_home).stdout)
    assert after["organisation_problem"] is None
    assert {r["actionstep"] for r in after["rows"] if r["problem"]} == {
        "203 Consulting Fees",
        "204 Conveyancing Fees",
        "215 Mediation Fees",
        "INP GST on Purchases (10%)",
        "N-T No Tax",
    }, "as before the swap"


async def test_the_mapping_view_says_when_the_mapping_was_made_for_another_organisation(
    demo: Demo,
) -> None:
    old = Mapping(accounts={"4001": "an-account-of-the-old-books"}).for_organisation(
        "org-of-the-old-books", "Harbour & Finch 2019"
    )
    demo.profile.save_mapping(old)
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen))
        await until(
            pilot,
            lambda: (
                "This mapping was made for Harbour & Finch 2019, but Xero "
                "here is Harbour & Finch Lawyers" in screen_text(app)
            ),
        )
        await pilot.press(*["down"] * 4, "enter")  # 215 Mediation Fees
        await until(pilot, lambda: isinstance(app.screen, PickerDialog))
        await pilot.press(*"other rev", "enter")
        await until(pilot, lambda: "This mapping was made for" not in screen_text(app))
        assert demo.profile.mapping().organisation_name == "Harbour & Finch Lawyers"
