"""`axpush sandbox serve`."""

from __future__ import annotations

import contextlib
import threading

from tui.cli import EXIT_OK, EXIT_USAGE, fail


def serve(port: int, seed: int, faults: str) -> int:
    from tui.sandbox.faults import FaultSpecError
    from tui.sandbox.server import SandboxServer
    from tui.sandbox.state import SandboxState

    try:
        state = SandboxState.demo(seed, faults=faults)
    except FaultSpecError as error:
        return fail(f"--faults: {error}", EXIT_USAGE)
    try:
        server = SandboxServer(state, port, quiet=False)
    except OSError as error:
        return fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror}", EXIT_USAGE)
    with server:
        base = server.base_url
        print(
            f"axpush sandbox serving on {base} (Xero {base}/xero, Actionstep "
            f"{base}/actionstep/api, admin {base}/_sandbox)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return EXIT_OK
