"""`axpush sync`, `push`, `resolve` and `log`: the console's work on bills, for cron and
scripts."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tui.cli.common import Progress, say, warn, with_workspace
from tui.core.engine import PushSummary
from tui.core.errors import EXIT_FAILED, EXIT_OK, UsageError
from tui.core.events import EngineEvent
from tui.core.jobs import Attempt, Operation
from tui.core.money import format_money, plain_money
from tui.core.status import BillState
from tui.core.text import csv_cell
from tui.core.triage import Cause
from tui.core.words import count
from tui.service import history, pushing, syncing
from tui.service.done import Done
from tui.service.session import Session
from tui.service.workspace import Workspace


def sync_command(session: Session, args: argparse.Namespace) -> int:
    """Read what changed in Actionstep into the profile; with --states, then count every bill
    by state (which needs them all, and Xero's chart: a plain sync needs neither)."""
    progress = Progress()
    try:
        summary = asyncio.run(syncing.sync(session, full=args.full, progress=progress))
    finally:
        progress.done()
    report: dict[str, Any] = {
        "fetched": summary.fetched,
        "changed": summary.changed,
        "full": summary.full,
    }
    if args.states:

        async def work(workspace: Workspace) -> dict[str, int]:
            counts = workspace.counts()
            return {state.value: counts.get(state, 0) for state in BillState}

        report["states"] = with_workspace(session, work)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        kind = "full sync" if report["full"] else "sync"
        line = (
            f"{kind}: {count(report['fetched'], 'bill')} read from Actionstep, "
            f"{report['changed']:,} new or changed"
        )
        if args.states:
            states = ", ".join(f"{n:,} {s}" for s, n in report["states"].items() if n)
            line += f"; now {states}"
        say(line)
    return EXIT_OK


def _select(workspace: Workspace, args: argparse.Namespace) -> list[str] | None:
    """The bills the options name (None: all that are due)."""
    if args.all:
        return None
    if args.failed:
        return pushing.failed(workspace)
    if args.cause:
        return pushing.failed(workspace, Cause(args.cause))
    return [pushing.find_bill(workspace, wanted) for wanted in args.bill]


def push_command(session: Session, args: argparse.Namespace) -> int:
    if not (args.all or args.failed or args.bill or args.cause):
        raise UsageError("say what to push: --all, --failed, --bill NUMBER... or --cause CAUSE")

    def show(event: EngineEvent) -> None:
        if not args.json:
            say(event.line())

    async def work(workspace: Workspace) -> tuple[dict[str, Any], PushSummary | None]:
        pushing.guard(workspace)
        selected = _select(workspace, args)
        candidates = (
            pushing.due(workspace) if selected is None else pushing.pushable(workspace, selected)
        )
        requested = list(workspace.rows) if selected is None else selected
        if args.dry_run:
            return _report(workspace, candidates, None, dry_run=True, requested=requested), None
        if args.open_day and not args.json:
            say(f"dating locked documents on {pushing.first_open_day(workspace)}")
        summary = await pushing.push(workspace, selected, show, open_day=args.open_day)
        report = _report(workspace, candidates, summary, dry_run=False, requested=requested)
        return report, summary

    report, summary = with_workspace(session, work, sync=not args.no_sync)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    elif args.dry_run:
        _print_plan(report)
    if summary is None:
        return EXIT_OK
    if summary.stopped is not None:
        if not args.json:
            warn(f"stopped: {summary.stopped}")
        return summary.stopped.exit_code
    return EXIT_FAILED if summary.failed else EXIT_OK


def resolve_command(session: Session, args: argparse.Namespace) -> int:
    async def work(workspace: Workspace) -> Done:
        return await pushing.mark_resolved(
            workspace, pushing.find_bill(workspace, args.bill), args.why
        )

    done = with_workspace(session, work)
    say(done.log[0].text if done.log else done.message)
    return EXIT_OK


def _report(
    workspace: Workspace,
    chosen: Sequence[str],
    summary: PushSummary | None,
    *,
    dry_run: bool,
    requested: Sequence[str],
) -> dict[str, Any]:
    """The push (or the plan) for scripts. Money is a plain decimal string ("2767.60"), as in
    every JSON and CSV axpush writes."""
    bills = []
    for bill_id in chosen:
        row = workspace.rows[bill_id]
        bills.append(
            {
                "bill_id": bill_id,
                "number": row.bill.number,
                "client": row.bill.client_name,
                "total": plain_money(row.bill.total_inc),
                "state": row.state.value,
                "operation": row.due.operation.value if row.due else None,
                "cause": row.cause.value if row.cause else None,
                "message": row.reason or None,
                "invoice_id": row.job.invoice_id if row.job else None,
            }
        )
    planned = pushing.plan(workspace, chosen)
    left = set(chosen)
    blocked = [
        workspace.rows[b]
        for b in requested
        if b not in left and workspace.rows[b].state in (BillState.BLOCKED, BillState.FAILED)
    ]
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "bills": bills,
        "steps": [
            {
                "number": step.number,
                "operation": step.operation.value,
                "amount": plain_money(step.amount),
            }
            for step in planned.steps
        ],
        "plan": {
            op.value: {"count": n, "amount": plain_money(amount)}
            for op, n, amount in planned.kinds()
        },
        "blocked": [
            {
                "number": row.bill.number,
                "state": row.state.value,
                "cause": row.cause.value if row.cause else None,
                "message": row.reason,
            }
            for row in sorted(blocked, key=lambda r: r.bill.number)
        ],
    }
    if summary is not None:
        report.update(
            created=summary.created,
            adopted=summary.adopted,
            updated=summary.updated,
            voided=summary.voided,
            paid=summary.paid,
            reversed=summary.reversed,
            credited=summary.credited,
            failed=summary.failed,
            causes={c.value: n for c, n in summary.causes.items()},
            stopped=str(summary.stopped) if summary.stopped else None,
        )
    return report


def _print_plan(report: dict[str, Any]) -> None:
    for step in report["steps"]:
        amount = format_money(Decimal(step["amount"]))
        say(f"would {step['operation']:<8} #{step['number']:<8} {amount:>12}")
    for row in report["blocked"]:
        say(f"blocked        #{row['number']:<8} {row['cause'] or row['state']}: {row['message']}")
    for operation, item in report["plan"].items():
        verb, noun = pushing.STEP_WORDS[Operation(operation)]
        say(f"  {verb} {count(item['count'], noun)}  {format_money(Decimal(item['amount']))}")
    say(
        f"{count(len(report['bills']), 'bill')} would be pushed, "
        f"{count(len(report['blocked']), 'bill')} cannot go (dry run: nothing was sent)"
    )


_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(text: str, now: datetime) -> datetime:
    """An ISO date or time, or a span back from now: 30m, 12h, 7d, 2w."""
    match = _RELATIVE.match(text.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        span = {
            "m": timedelta(minutes=amount),
            "h": timedelta(hours=amount),
            "d": timedelta(days=amount),
            "w": timedelta(weeks=amount),
        }[unit]
        return now - span
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=now.astimezone().tzinfo)


LOG_FIELDS = (
    "at",
    "who",
    "number",
    "bill_id",
    "action",
    "outcome",
    "invoice_id",
    "total",
    "cause",
    "message",
    "sent",
    "raw",
)


def log_command(session: Session, args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, session.clock.now()) if args.since else None
    except ValueError:
        raise UsageError(
            f"--since {args.since!r}: give a date (2026-11-01), a time, or a span like 7d or 12h"
        ) from None
    rows = (_log_row(a) for a in history.stream(session, since=since, bill=args.bill))
    # Written as read, a row at a time: a million attempts print in the memory of one file's.
    if args.json:
        _print_json_array(rows)
    elif args.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=LOG_FIELDS)
        writer.writeheader()
        for index, row in enumerate(rows):
            writer.writerow({k: csv_cell(str(v)) if v is not None else "" for k, v in row.items()})
            if index % 1000 == 999:  # in chunks: standard output may be unbuffered
                sys.stdout.write(out.getvalue())
                out.seek(0)
                out.truncate()
        sys.stdout.write(out.getvalue())
    else:
        printed = 0
        for row in rows:
            detail = row["invoice_id"] or row["message"] or ""
            say(
                f"{row['at'][:19]}  {row['who']:<20}  #{row['number']:<8} "
                f"{row['action']:<15} {row['outcome']:<8} {row['cause'] or '':<18} {detail}"
            )
            printed += 1
        if not printed:
            say("no attempts recorded" + (" in that period" if since else ""))
    return EXIT_OK


def _print_json_array(rows: Iterable[dict[str, Any]]) -> None:
    """A JSON array written element by element, as `json.dumps(list, indent=2)` would print it."""
    first = True
    for row in rows:
        item = textwrap.indent(json.dumps(row, indent=2), "  ")
        sys.stdout.write(("[\n" if first else ",\n") + item)
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")


def _log_row(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at.isoformat(),
        "who": attempt.who,
        "number": attempt.number,
        "bill_id": attempt.bill_id,
        "action": attempt.action,
        "outcome": attempt.outcome.value,
        "invoice_id": attempt.invoice_id,
        "total": plain_money(attempt.total) if attempt.total is not None else None,
        "cause": attempt.cause.value if attempt.cause else None,
        "message": attempt.message,
        "sent": attempt.sent,
        "raw": attempt.raw,
    }
