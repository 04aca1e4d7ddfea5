"""`axpush sync`, `axpush push` and `axpush log`: the console's work for cron and scripts."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.cli import EXIT_FAILED, EXIT_OK, EXIT_RECONNECT, EXIT_USAGE, fail
from tui.cli.session import opened, remote_exit
from tui.core.engine import PushSummary
from tui.core.errors import RemoteError
from tui.core.events import EngineEvent
from tui.core.jobs import Attempt
from tui.core.money import format_money
from tui.core.status import BillState
from tui.core.triage import Cause
from tui.service.workspace import NotConnected, Workspace
from tui.store.profile import Profile
from tui.store.pusher import PusherBusy


def sync_command(profile: Profile, args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any]:
        workspace = await opened(profile, sync=False)
        try:
            summary = await workspace.sync(full=args.full)
            counts = workspace.counts()
        finally:
            await workspace.aclose()
        return {
            "fetched": summary.fetched,
            "changed": summary.changed,
            "full": summary.full,
            "states": {state.value: counts.get(state, 0) for state in BillState},
        }

    try:
        report = asyncio.run(run())
    except NotConnected as error:
        return fail(str(error), EXIT_RECONNECT)
    except RemoteError as error:
        return fail(str(error), remote_exit(error))
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        kind = "full sync" if report["full"] else "sync"
        states = ", ".join(f"{n} {s}" for s, n in report["states"].items() if n)
        print(
            f"{kind}: {report['fetched']} bills read from Actionstep, {report['changed']} "
            f"new or changed; now {states}"
        )
    return EXIT_OK


def _select(workspace: Workspace, args: argparse.Namespace) -> list[str] | None:
    """The bills the options name (None: all that are due)."""
    if args.all:
        return None
    if args.failed:
        return [b for b, row in workspace.rows.items() if row.state is BillState.FAILED]
    if args.cause:
        return [
            b
            for b, row in workspace.rows.items()
            if row.state in (BillState.FAILED, BillState.BLOCKED) and row.cause is Cause(args.cause)
        ]
    return [_bill_id(workspace, wanted) for wanted in args.bill]


def _bill_id(workspace: Workspace, wanted: str) -> str:
    """A bill by its Actionstep number or id."""
    by_number = {row.bill.number: b for b, row in workspace.rows.items()}
    bill_id = by_number.get(wanted) or (wanted if wanted in workspace.rows else None)
    if bill_id is None:
        raise LookupError(f"no bill {wanted!r} (give the Actionstep bill number or id)")
    return bill_id


def push_command(profile: Profile, args: argparse.Namespace) -> int:
    if not (args.all or args.failed or args.bill or args.cause):
        return fail("say what to push: --all, --failed, --bill NUMBER... or --cause CAUSE")

    def show(event: EngineEvent) -> None:
        if not args.json:
            print(event.line(), flush=True)

    async def run() -> tuple[dict[str, Any], PushSummary | None]:
        workspace = await opened(profile, sync=not args.no_sync)
        try:
            selected = _select(workspace, args)
            candidates = workspace.due() if selected is None else workspace.pushable(selected)
            if args.dry_run:
                return _report(workspace, candidates, None, dry_run=True), None
            summary = await workspace.push(selected, show)
            return _report(workspace, candidates, summary, dry_run=False), summary
        finally:
            await workspace.aclose()

    try:
        report, summary = asyncio.run(run())
    except NotConnected as error:
        return fail(str(error), EXIT_RECONNECT)
    except (PusherBusy, LookupError) as error:
        return fail(
            str(error).strip("'\""), EXIT_FAILED if isinstance(error, PusherBusy) else EXIT_USAGE
        )
    except RemoteError as error:
        return fail(str(error), remote_exit(error))
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    elif args.dry_run:
        for bill in report["bills"]:
            print(
                f"would {bill['operation'] or 'push'} #{bill['number']}  {bill['total']:>12}  "
                f"{bill['client']}"
            )
        print(f"{len(report['bills'])} bills would be pushed (dry run: nothing was sent)")
    if summary is None:
        return EXIT_OK
    if summary.stopped is not None:
        if not args.json:
            print(f"stopped: {summary.stopped}", file=sys.stderr)
        return remote_exit(summary.stopped)
    return EXIT_FAILED if summary.failed else EXIT_OK


def resolve_command(profile: Profile, args: argparse.Namespace) -> int:
    if not args.why.strip():
        return fail("say why (--why): the reason is kept in history")

    async def run() -> str:
        workspace = await opened(profile, sync=False)
        try:
            bill_id = _bill_id(workspace, args.bill)
            row = workspace.rows[bill_id]
            if row.state not in (BillState.FAILED, BillState.BLOCKED):
                raise LookupError(
                    f"bill {row.bill.number} is {row.state.value}: only a failed "
                    "or blocked bill is marked resolved"
                )
            await workspace.mark_resolved(bill_id, args.why.strip())
            return f"#{row.bill.number} marked resolved in Xero by {workspace.who}"
        finally:
            await workspace.aclose()

    try:
        said = asyncio.run(run())
    except NotConnected as error:
        return fail(str(error), EXIT_RECONNECT)
    except LookupError as error:
        return fail(str(error).strip("'\""), EXIT_USAGE)
    except PusherBusy as error:
        return fail(str(error), EXIT_FAILED)
    except RemoteError as error:
        return fail(str(error), remote_exit(error))
    print(said)
    return EXIT_OK


def _report(
    workspace: Workspace, chosen: Sequence[str], summary: PushSummary | None, *, dry_run: bool
) -> dict[str, Any]:
    bills = []
    for bill_id in chosen:
        row = workspace.rows[bill_id]
        bills.append(
            {
                "bill_id": bill_id,
                "number": row.bill.number,
                "client": row.bill.client_name,
                "total": format_money(row.bill.total_inc),
                "state": row.state.value,
                "operation": row.due.operation.value if row.due else None,
                "cause": row.cause.value if row.cause else None,
                "message": row.reason or None,
                "invoice_id": row.job.invoice_id if row.job else None,
            }
        )
    report: dict[str, Any] = {"dry_run": dry_run, "bills": bills}
    if summary is not None:
        report.update(
            created=summary.created,
            adopted=summary.adopted,
            updated=summary.updated,
            voided=summary.voided,
            paid=summary.paid,
            failed=summary.failed,
            causes={c.value: n for c, n in summary.causes.items()},
            stopped=str(summary.stopped) if summary.stopped else None,
        )
    return report


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


def log_command(profile: Profile, args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC)) if args.since else None
    except ValueError:
        return fail(
            f"--since {args.since!r}: give a date (2026-11-01), a time, or a span like 7d or 12h"
        )
    months = profile.history_months()
    if since is not None:
        months = [m for m in months if m >= since.strftime("%Y-%m")]
    attempts: list[Attempt] = []
    for month in months:
        attempts += profile.history(month)
    attempts = [
        a
        for a in attempts
        if (since is None or a.at >= since)
        and (not args.bill or args.bill in (a.number, a.bill_id))
    ]
    rows = [_log_row(a) for a in attempts]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=LOG_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        print(out.getvalue(), end="")
    else:
        for row in rows:
            detail = row["invoice_id"] or row["message"] or ""
            print(
                f"{row['at'][:19]}  {row['who']:<20}  #{row['number']:<8} "
                f"{row['action']:<15} {row['outcome']:<8} {row['cause'] or '':<18} {detail}"
            )
        if not rows:
            print("no attempts recorded" + (" in that period" if since else ""))
    return EXIT_OK


def _log_row(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at.isoformat(),
        "who": attempt.who,
        "number": attempt.number,
        "bill_id": attempt.bill_id,
        "action": attempt.action,
        "outcome": attempt.outcome.value,
        "invoice_id": attempt.invoice_id,
        "total": str(attempt.total) if attempt.total is not None else None,
        "cause": attempt.cause.value if attempt.cause else None,
        "message": attempt.message,
        "sent": attempt.sent,
        "raw": attempt.raw,
    }
