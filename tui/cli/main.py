"""`axpush`: the arguments, and dispatch to the command modules beside this one. The error
root is caught here and only here."""

from __future__ import annotations

import argparse
import json
import traceback
from collections.abc import Sequence

from tui import __version__
from tui.cli.common import warn
from tui.core.errors import EXIT_FAILED, AxpushError
from tui.core.triage import Cause
from tui.service.demo import DEFAULT_SEED, DEMO_BILLS, DEMO_FAULTS, MAX_BILLS
from tui.service.session import DEFAULT_PROFILE, HOME_ENV, Session


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axpush",
        description="Push Actionstep bills into Xero as invoices, and triage every failure.",
        epilog=f"Profiles live under ${HOME_ENV} if set, else the platform's user data "
        "directory. Try the built-in demo first: axpush demo",
    )
    parser.add_argument("--version", action="version", version=f"axpush {__version__}")
    parser.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="profile to use (default: %(default)s)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("tui", help="open the console on --profile (the default command)")
    _demo(commands)
    _pushing(commands)
    _connections(commands)
    _mapping(commands)
    _sandbox(commands)
    return parser


def _mapping(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mapping = commands.add_parser(
        "mapping",
        help="the account mapping as data: export, import, auto, check, log",
        description="Actionstep income accounts, tax codes and where payments go, against "
        "Xero's live chart. Exit codes: 0 done, 1 check found problems, 2 a file "
        "that cannot be used (nothing is changed), 3 reconnect needed.",
    )
    actions = mapping.add_subparsers(dest="mapping_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write the mapping as JSON (every row, mapped or not, in a stable order)"
    )
    export.add_argument("file", nargs="?", metavar="FILE", help="where (default: stdout)")
    imported = actions.add_parser(
        "import",
        help="set rows from a JSON file; every row is checked first",
        description="Set rows from a file in `axpush mapping export`'s format. Every row is "
        "checked against Actionstep and Xero's chart first; one bad row and "
        "nothing changes. Rows left out or with an empty Xero side stay as they "
        "are: import never unmaps.",
    )
    imported.add_argument("file", metavar="FILE", help="the file, or - for standard input")
    imported.add_argument("--dry-run", action="store_true", help="say what would change")
    imported.add_argument(
        "--by-code",
        action="store_true",
        help="match Xero accounts by Code only, ignoring the file's "
        "AccountIDs (a file from another organisation)",
    )
    auto = actions.add_parser(
        "auto",
        help="map unmapped rows by exact Code, then by name",
        description="Propose a Xero account for each unmapped Actionstep account by exact "
        "Code, then by normalised name, and a TaxType for each tax code likewise; "
        "only single, valid matches; never a row a person set.",
    )
    auto.add_argument("--dry-run", action="store_true", help="show the proposals, save none")
    check = actions.add_parser(
        "check",
        help="validate every row against Xero's chart; exit 1 while any row or "
        "pending bill has a mapping problem",
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--no-sync",
        action="store_true",
        help="count blocked bills as last synced, without asking Actionstep",
    )
    recode = actions.add_parser(
        "recode",
        help="after a mapping correction: re-code the invoices already in Xero that book "
        "otherwise than the mapping now says",
        description="Read back from Xero the invoices of bills already pushed, compare what "
        "their lines book (account, TaxType, amounts) with each bill under today's mapping, "
        "and update those that differ. Xero refuses paid or period-locked invoices: those go to "
        "triage. Exit codes: 0 done, 1 some were refused.",
    )
    recode.add_argument(
        "--dry-run", action="store_true", help="list what would change; send nothing"
    )
    recode.add_argument("--json", action="store_true", help="machine-readable output")
    log = actions.add_parser("log", help="every change to the mapping: who, when, old -> new")
    log.add_argument("--json", action="store_true", help="JSON")


def _demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="open the console on the built-in sandbox (a simulated Actionstep firm "
        "and Xero organisation, in a throw-away profile)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="demo data seed: the same seed gives the same firm (default: %(default)s)",
    )
    demo.add_argument(
        "--faults",
        default=DEMO_FAULTS,
        metavar="SPEC",
        help="faults the sandbox injects (default: %(default)r, one 503 that is "
        "retried; '' for none)",
    )


def _pushing(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser(
        "sync", help="read the bills changed in Actionstep since the last sync"
    )
    sync.add_argument("--full", action="store_true", help="read every bill again")
    sync.add_argument(
        "--states",
        action="store_true",
        help="then count every bill by state (reads every bill, and Xero's chart)",
    )
    sync.add_argument("--json", action="store_true", help="machine-readable output")
    push = commands.add_parser(
        "push",
        help="push bills to Xero (after an incremental sync)",
        description="Push bills to Xero. --all sends every ready bill and those whose last "
        "attempt failed for a passing reason (Xero offline, a rate limit, an "
        "interrupted push). Exit codes: 0 nothing failed, 1 some failed, 2 usage, "
        "3 reconnect needed, 4 paused by Xero's daily limit.",
    )
    which = push.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every bill that is due")
    which.add_argument(
        "--failed", action="store_true", help="every failed bill that passes preflight now"
    )
    which.add_argument(
        "--bill",
        nargs="+",
        metavar="NUMBER",
        default=[],
        help="these bills (Actionstep bill numbers or ids)",
    )
    which.add_argument(
        "--cause", choices=[c.value for c in Cause], help="the failed bills of one cause"
    )
    push.add_argument("--dry-run", action="store_true", help="say what would go; send nothing")
    push.add_argument(
        "--no-sync",
        action="store_true",
        help="push what the last sync read, without asking Actionstep first",
    )
    push.add_argument("--json", action="store_true", help="machine-readable output")
    push.add_argument(
        "--open-day",
        action="store_true",
        help="date on the first open day (the day after Xero's lock date) any invoice, payment "
        "or credit note Xero would refuse as dated in a locked period; only with the firm's "
        "agreement: the document's date in Xero then differs from Actionstep's",
    )
    resolve = commands.add_parser(
        "resolve",
        help="record that a failed or blocked bill was settled by hand in Xero",
        description="Record (who, when, why) that a bill was settled by hand in Xero; axpush "
        "then leaves it alone until Actionstep changes it again.",
    )
    resolve.add_argument("bill", metavar="NUMBER", help="the bill (number or id)")
    resolve.add_argument("--why", required=True, help="the reason, kept in history")
    log = commands.add_parser("log", help="every attempt recorded in the profile's history")
    log.add_argument(
        "--since",
        metavar="WHEN",
        help="a date or time (2026-11-01, 2026-11-01T09:00), or 30m, 12h, 7d, 2w",
    )
    log.add_argument("--bill", metavar="NUMBER", help="one bill (number or id)")
    form = log.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="JSON")
    form.add_argument("--csv", action="store_true", help="CSV")


def _connections(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect = commands.add_parser(
        "connect",
        help="sign in to Xero or Actionstep for this profile",
        description="Sign in to a service and store its tokens in the profile (mode 0600). "
        "Secrets come from AXPUSH_XERO_CLIENT_SECRET / "
        "AXPUSH_ACTIONSTEP_CLIENT_SECRET, else a hidden prompt, else a line of "
        "standard input; every URL can be set with AXPUSH_XERO_* / "
        "AXPUSH_ACTIONSTEP_* (see README).",
    )
    connect.add_argument("service", nargs="?", choices=("xero", "actionstep"))
    connect.add_argument(
        "--sandbox", metavar="URL", help="connect both services to a running `axpush sandbox serve`"
    )
    connect.add_argument(
        "--paste",
        action="store_true",
        help="over SSH: show the sign-in URL and paste back where it ended",
    )
    connect.add_argument("--client-id", help="the app's client id")
    connect.add_argument(
        "--port", type=int, help="local port of the redirect URI http://localhost:PORT/callback"
    )
    connect.add_argument(
        "--client-credentials",
        action="store_true",
        help="Xero: a Custom Connection (client id and secret, no browser)",
    )
    connect.add_argument(
        "--client-secret",
        action="store_true",
        help="Xero: a web app that authenticates with its client secret",
    )
    connect.add_argument(
        "--broad-scopes",
        action="store_true",
        help="Xero: the broad scopes of apps created before 2 March 2026",
    )
    connect.add_argument(
        "--tenant",
        help="Xero: the organisation to use (name or tenant id) when the sign-in connects several",
    )
    connect.add_argument(
        "--rebind",
        action="store_true",
        help="Xero: bind the profile to this organisation, replacing the one "
        "it was bound to (the mapping may point at the old one's accounts)",
    )
    connect.add_argument(
        "--staging", action="store_true", help="Actionstep: use the staging system"
    )
    disconnect = commands.add_parser(
        "disconnect", help="forget a service's tokens (Xero: also disconnect the organisation)"
    )
    disconnect.add_argument("service", choices=("xero", "actionstep"))
    disconnect.add_argument(
        "--revoke",
        action="store_true",
        help="Xero: revoke the whole sign-in (every organisation it reached)",
    )
    status = commands.add_parser(
        "status", help="connections, bound organisation, token expiry, rate budget left"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--offline", action="store_true", help="only what is stored; make no call to either service"
    )
    commands.add_parser("doctor", help="check every link and say what to do about each")


def _sandbox(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = commands.add_parser(
        "sandbox", help="the simulated Xero and Actionstep, for trying things and for tests"
    )
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="serve the sandbox on 127.0.0.1 until interrupted; prints its URL",
        description="Serve the simulated Xero (/xero) and Actionstep (/actionstep/api) with the "
        "demo firm, and the admin API (/_sandbox), on 127.0.0.1 only.",
    )
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="demo data seed (default: %(default)s)"
    )
    serve.add_argument(
        "--bills",
        type=_bill_count,
        default=DEMO_BILLS,
        metavar="N",
        help="how many bills the firm has, up to 100,000 (default: %(default)s; the same seed "
        "and N give the same firm)",
    )
    serve.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="faults to inject, e.g. 'PUT */Invoices=lost:0.2,503:0.1; "
        "*/Contacts=seq:ok,500' (see README)",
    )


def _bill_count(text: str) -> int:
    count = int(text)
    if not 1 <= count <= MAX_BILLS:
        raise argparse.ArgumentTypeError(f"give 1 to {MAX_BILLS:,} bills")
    return count


REPORT_URL = "https://example.invalid/axpush/issues"
"""Where a bug in axpush is reported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Anticipated failures end as one line on standard error and their exit
    code; anything else is a bug, shown with its traceback and where to report it."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except AxpushError as error:
        warn(str(error))
        if getattr(args, "json", False):  # a script reading standard output hears it too
            print(json.dumps({"error": str(error), "exit_code": error.exit_code}))
        return error.exit_code
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except Exception:
        traceback.print_exc()
        warn(
            f"this is a bug in axpush {__version__}, not a problem with your setup. Please "
            f"report it, with the lines above, at {REPORT_URL}"
        )
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from tui.cli.console import run_demo

        return run_demo(args.seed, args.faults)
    if args.command == "sandbox":
        from tui.cli.console import serve_sandbox

        return serve_sandbox(args.port, args.seed, args.faults, args.bills)
    session = Session.open(args.profile)
    try:
        return _run(args, session)
    finally:
        for damaged in session.damage():  # whatever the command, a file set aside is said
            warn(f"warning: {damaged}")
        session.close()


def _run(args: argparse.Namespace, session: Session) -> int:
    """The command on an opened profile."""
    if args.command in ("sync", "push", "log", "resolve"):
        from tui.cli import pushing

        return {
            "sync": pushing.sync_command,
            "push": pushing.push_command,
            "log": pushing.log_command,
            "resolve": pushing.resolve_command,
        }[args.command](session, args)
    if args.command == "mapping":
        from tui.cli.mapping import HANDLERS

        return HANDLERS[args.mapping_command](session, args)
    if args.command in ("connect", "disconnect", "status", "doctor"):
        from tui.cli import connections

        handler = {
            "connect": connections.connect_command,
            "disconnect": connections.disconnect_command,
            "status": connections.status_command,
            "doctor": connections.doctor_command,
        }[args.command]
        return handler(session, args)
    from tui.cli.console import run_console

    return run_console(session)


if __name__ == "__main__":
    raise SystemExit(main())
