"""The `axpush` command: the console (TUI) on a profile, and the built-in demo."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

from tui import __version__
from tui.sandbox.demo_firm import DEFAULT_SEED, DEMO_FAULTS
from tui.store.profile import DEFAULT_PROFILE, HOME_ENV

EXIT_OK = 0
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axpush",
        description="Push Actionstep bills into Xero as invoices, and triage every failure.",
        epilog=f"Profiles live under ${HOME_ENV} if set, else the platform's user data "
               "directory. Try the built-in demo first: axpush demo")
    parser.add_argument("--version", action="version", version=f"axpush {__version__}")
    parser.add_argument("--profile", default=DEFAULT_PROFILE,
                        help="profile to open (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="open the console on the built-in sandbox (a simulated Actionstep firm "
                     "and Xero organisation, in a throw-away profile)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help="demo data seed: the same seed gives the same firm "
                           "(default: %(default)s)")
    demo.add_argument("--faults", default=DEMO_FAULTS, metavar="SPEC",
                      help="faults the sandbox injects (default: %(default)r, the second batch "
                           "of invoices meets an offline organisation; '' for none)")
    commands.add_parser("tui", help="open the console on --profile (the default command)")
    sandbox = commands.add_parser(
        "sandbox", help="the simulated Xero and Actionstep, for trying things and for tests")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION",
                                              required=True)
    serve = sandbox_commands.add_parser(
        "serve", help="serve the sandbox on 127.0.0.1 until interrupted; prints its URL",
        description="Serve the simulated Xero (/xero) and Actionstep (/actionstep/api) with the "
                    "demo firm, and the admin API (/_sandbox), on 127.0.0.1 only.")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.add_argument("--seed", type=int, default=DEFAULT_SEED,
                       help="demo data seed (default: %(default)s)")
    serve.add_argument("--faults", default="", metavar="SPEC",
                       help="faults to inject, e.g. 'PUT */Invoices=lost:0.2,503:0.1; "
                            "*/Contacts=seq:ok,500' (see tui/sandbox/faults.py)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return run_demo(args.seed, args.faults)
    if args.command == "sandbox":
        return serve_sandbox(args.port, args.seed, args.faults)
    return run_console(args.profile)


def run_console(profile_name: str) -> int:
    from tui.app import AxpushApp
    from tui.store.profile import Profile
    from tui.workspace import Workspace

    try:
        profile = Profile.named(profile_name)
    except (ValueError, OSError) as error:
        print(f"axpush: cannot open profile {profile_name!r}: {error}", file=sys.stderr)
        return EXIT_USAGE

    async def opener() -> Workspace:
        return await Workspace.connect(profile)

    AxpushApp(opener, context=f"profile {profile_name}").run()
    profile.close()
    return EXIT_OK


def run_demo(seed: int, faults: str) -> int:
    from tui.app import AxpushApp
    from tui.demo import running_demo
    from tui.sandbox.faults import FaultSpecError, parse
    from tui.workspace import Workspace

    try:
        parse(faults)
    except FaultSpecError as error:
        print(f"axpush: --faults: {error}", file=sys.stderr)
        return EXIT_USAGE
    with running_demo(seed, faults=faults) as demo:
        async def opener() -> Workspace:
            return await Workspace.connect(demo.profile)

        AxpushApp(opener, context=f"demo sandbox {demo.server.base_url}").run()
    return EXIT_OK


def serve_sandbox(port: int, seed: int, faults: str) -> int:
    import threading

    from tui.sandbox.faults import FaultSpecError
    from tui.sandbox.server import SandboxServer
    from tui.sandbox.state import SandboxState

    try:
        state = SandboxState.demo(seed, faults=faults)
    except FaultSpecError as error:
        print(f"axpush: --faults: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = SandboxServer(state, port, quiet=False)
    except OSError as error:
        print(f"axpush: cannot listen on 127.0.0.1:{port}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    with server:
        print(f"axpush sandbox serving on {server.base_url} (Xero {server.base_url}/xero, "
              f"Actionstep {server.base_url}/actionstep/api, admin {server.base_url}/_sandbox)",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
