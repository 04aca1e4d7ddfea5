"""`axpush mapping export|import|auto|check|log`: the mapping as data, for scripts and review.

Each reads Actionstep's accounts and Xero's chart live, so what it checks is what a push would
meet. Exit codes as for every command (see `tui.core.errors`): a file that cannot be used is 2, a
check that finds problems is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui.cli.common import say, warn, with_workspace
from tui.core import mapfile
from tui.core.engine import PushSummary
from tui.core.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from tui.core.events import EngineEvent
from tui.core.mapping import MappingChange, Origin, RowChange
from tui.core.mapping_check import MappingRow
from tui.core.money import plain_money
from tui.core.words import count
from tui.service import mapping_edits, recode
from tui.service.exports import write_file
from tui.service.recode import RecodePlan
from tui.service.session import Session
from tui.service.workspace import Workspace


def export_command(session: Session, args: argparse.Namespace) -> int:
    async def work(workspace: Workspace) -> dict[str, Any]:
        return mapfile.export(
            workspace.catalog, workspace.mapping, workspace.chart, workspace.organisation
        )

    data = with_workspace(session, work)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        write_file(Path(args.file), text)
        mapped = sum(
            1
            for row in data["accounts"] + data["tax_codes"]
            if row.get("xero_code") or row.get("xero_tax_type")
        )
        say(
            f"wrote {args.file}: {len(data['accounts'])} accounts and "
            f"{len(data['tax_codes'])} tax codes, {mapped} of them mapped"
        )
    return EXIT_OK


def import_command(session: Session, args: argparse.Namespace) -> int:
    source = "standard input" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"{source} is not JSON: {error}; nothing was changed") from None

    async def work(workspace: Workspace) -> tuple[mapfile.ImportPlan, list[MappingChange]]:
        plan = mapfile.plan_import(
            data,
            workspace.catalog,
            workspace.mapping,
            workspace.chart,
            workspace.organisation,
            by_code=args.by_code,
        )
        if plan.errors or args.dry_run or not plan.changes:
            return plan, []
        _, recorded = await mapping_edits.accept(
            workspace, plan.changes, Origin.IMPORT, f"imported from {Path(source).name}"
        )
        return plan, recorded

    plan, recorded = with_workspace(session, work)
    if plan.errors:
        warn(f"{source} was not imported, nothing was changed:")
        for problem in plan.errors:
            warn(f"  {problem}")
        return EXIT_USAGE
    _print_changes(plan.changes, "would change" if args.dry_run else "changed")
    done = len(plan.changes) if args.dry_run else len(recorded)
    verb = "would change" if args.dry_run else "changed"
    say(
        f"{verb} {count(done, 'row')}, {plan.unchanged} already so"
        + (" (dry run: nothing was saved)" if args.dry_run else "")
    )
    return EXIT_OK


def auto_command(session: Session, args: argparse.Namespace) -> int:
    async def work(workspace: Workspace) -> tuple[list[RowChange], list[MappingRow]]:
        proposals = mapping_edits.propose(workspace)
        left = mapping_edits.unmapped(workspace, proposals)
        if proposals and not args.dry_run:
            await mapping_edits.accept(workspace, proposals, Origin.AUTO)
        return proposals, left

    proposals, unmapped = with_workspace(session, work)
    _print_changes(proposals, "would map" if args.dry_run else "mapped")
    say(
        f"{'would map' if args.dry_run else 'mapped'} {count(len(proposals), 'row')}"
        + (" (dry run: nothing was saved)" if args.dry_run else "")
    )
    if unmapped:
        names = ", ".join(r.source_label for r in unmapped)
        say(
            f"{count(len(unmapped), 'row')} left for a person (no single match by Code or "
            f"name): {names}"
        )
    return EXIT_OK


def check_command(session: Session, args: argparse.Namespace) -> int:
    async def work(workspace: Workspace) -> dict[str, Any]:
        rows = mapping_edits.rows(workspace)
        blocked = mapping_edits.bills_blocked(workspace)
        elsewhere = mapping_edits.made_elsewhere(workspace)
        return {
            "ok": not blocked and not elsewhere and not any(r.problem for r in rows),
            "organisation_problem": elsewhere,
            "bills_blocked": blocked,
            "rows": [_row_json(r) for r in rows],
        }

    report = with_workspace(session, work, sync=not args.no_sync)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        if report["organisation_problem"]:
            say(f"✗ {report['organisation_problem']}")
        for row in report["rows"]:
            if row["problem"] or row["drift"]:
                blocks = f"  ({row['bills_blocked']} bills blocked)" if row["bills_blocked"] else ""
                say(
                    f"✗ {row['kind']:<7} {row['actionstep']:<34} "
                    f"{row['state'] or 'changed in Xero'}{blocks}"
                )
                if row["problem"] and row["state"] != "unmapped":
                    say(f"    {row['problem']}")
                if row["drift"]:
                    say(f"    Xero account {row['xero']}: {row['drift']}")
        problems = sum(1 for row in report["rows"] if row["problem"])
        say(
            f"{count(len(report['rows']), 'row')}: {problems} with a problem; "
            f"{count(report['bills_blocked'], 'pending bill')} blocked by the mapping"
            + (
                ""
                if report["ok"]
                else "  (fix: axpush mapping auto, or the console's Mapping view)"
            )
        )
    return EXIT_OK if report["ok"] else EXIT_FAILED


def log_command(session: Session, args: argparse.Namespace) -> int:
    changes = asyncio.run(mapping_edits.history(session))
    if args.json:
        print(json.dumps([c.to_json() for c in changes], indent=2, ensure_ascii=False))
    else:
        for change in changes:
            say(change.line())
        if not changes:
            say("no change to the mapping recorded yet")
    return EXIT_OK


def _row_json(row: MappingRow) -> dict[str, Any]:
    return {
        "kind": row.key.kind.value,
        "row": row.key.text,
        "actionstep": row.source_label,
        "xero": row.target_label or None,
        "origin": row.origin.value,
        "state": row.problem.short if row.problem else None,
        "problem": row.problem.message if row.problem else None,
        "cause": row.problem.cause.value if row.problem else None,
        "drift": row.drift,
        "bills_blocked": row.bills_blocked,
    }


def _print_changes(changes: list[RowChange], verb: str) -> None:
    for change in changes:
        say(f"{verb}  {change.line()}")


def recode_command(session: Session, args: argparse.Namespace) -> int:
    def show(event: EngineEvent) -> None:
        if not args.json:
            say(event.line())

    async def work(workspace: Workspace) -> tuple[RecodePlan, PushSummary | None]:
        planned = await recode.plan(workspace)
        if args.dry_run or not planned.recodes:
            return planned, None
        return planned, await recode.apply(workspace, planned, show)

    planned, summary = with_workspace(session, work, sync=True)
    if args.json:
        report: dict[str, Any] = {
            "dry_run": args.dry_run,
            "recodes": [
                {
                    "number": r.number,
                    "client": r.client,
                    "before": [_line_json(line) for line in r.before],
                    "after": [_line_json(line) for line in r.after],
                    "paid_in_xero": r.paid,
                }
                for r in planned.recodes
            ],
            "unchanged": planned.unchanged,
            "left": [{"number": n, "why": why} for n, why in planned.left],
        }
        if summary is not None:
            report.update(updated=summary.updated, failed=summary.failed)
        print(json.dumps(report, indent=2))
    else:
        if summary is None:
            for item in planned.recodes:
                say(f"would re-code {item.describe()}")
            for number, why in planned.left:
                say(f"cannot re-code #{number}: {why}")
        say(planned.summary + (" (dry run: nothing was sent)" if args.dry_run else ""))
    return EXIT_FAILED if summary is not None and summary.failed else EXIT_OK


def _line_json(line: tuple[str, str, Decimal, Decimal]) -> dict[str, str]:
    code, tax_type, amount, tax = line
    return {
        "code": code,
        "tax_type": tax_type,
        "amount": plain_money(amount),
        "tax": plain_money(tax),
    }


HANDLERS = {
    "export": export_command,
    "import": import_command,
    "auto": auto_command,
    "check": check_command,
    "log": log_command,
    "recode": recode_command,
}
