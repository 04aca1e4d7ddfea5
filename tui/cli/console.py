"""`axpush` (the console on a profile), `axpush demo`, and `axpush sandbox serve`."""

from __future__ import annotations

import contextlib
import threading

from tui.cli.common import say
from tui.core.errors import EXIT_OK
from tui.service.demo import running_demo, serving
from tui.service.session import Session


def run_console(session: Session) -> int:
    # The console is the one front end the command line opens; Textual loads only here.
    from tui.console.app import AxpushApp

    AxpushApp(session, context=f"profile {session.name}").run()
    return EXIT_OK


def run_demo(seed: int, faults: str) -> int:
    from tui.console.app import AxpushApp

    with running_demo(seed, faults=faults) as demo:
        AxpushApp(
            demo.session,
            context=f"demo sandbox {demo.server.base_url}",
            simulated_xero=demo.simulated_xero,
        ).run()
    return EXIT_OK


def serve_sandbox(port: int, seed: int, faults: str, bills: int) -> int:
    with serving(port, seed, faults, bills) as base:
        say(
            f"axpush sandbox serving on {base} (Xero {base}/xero, Actionstep "
            f"{base}/actionstep/api, admin {base}/_sandbox)"
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return EXIT_OK
