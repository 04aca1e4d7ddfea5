"""Serve the sandbox over real HTTP on loopback, from a background thread.

Used by the demo (so the TUI talks to it as it would to the real services, without sharing its
event loop) and by the integration tests.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from tui.sandbox.app import actionstep_api_url, create_app, xero_api_url
from tui.sandbox.http import ConnectionDropped
from tui.sandbox.state import SandboxState

LOOPBACK = "127.0.0.1"


def _not_a_dropped_connection(record: logging.LogRecord) -> bool:
    """A connection the sandbox drops on purpose (an injected fault) is not an error to log."""
    return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


class SandboxServer:
    """`with SandboxServer(state) as server:` serves on `server.base_url` until the block ends."""

    def __init__(self, state: SandboxState, port: int = 0, *, quiet: bool = True) -> None:
        """`quiet`: log nothing (the demo draws a TUI on the same terminal, and injected faults
        would otherwise print server tracebacks)."""
        self.state = state
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self.port: int = self._socket.getsockname()[1]
        if quiet:
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
                logger = logging.getLogger(name)
                logger.handlers = [logging.NullHandler()]
                logger.propagate = False
        logging.getLogger("uvicorn.error").addFilter(_not_a_dropped_connection)
        config = uvicorn.Config(
            create_app(state),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
            log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="axpush-sandbox", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def xero_api_url(self) -> str:
        return xero_api_url(self.base_url)

    @property
    def actionstep_api_url(self) -> str:
        return actionstep_api_url(self.base_url)

    def _serve(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
