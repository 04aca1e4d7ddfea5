"""Layering, checked at run time: the domain imports neither Textual nor HTTP nor files, and
nothing below the screens imports Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui.core

CORE = sorted(f"tui.core.{m.name}" for m in pkgutil.iter_modules(tui.core.__path__))
BELOW_THE_UI = [
    "tui.store.profile",
    "tui.store.outbox",
    "tui.remote.xero.client",
    "tui.remote.actionstep.client",
    "tui.sandbox.server",
    "tui.service.workspace",
    "tui.service.demo",
    "tui.cli.main",
]


def imported_after(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_domain_core_needs_no_textual_http_or_files() -> None:
    assert len(CORE) >= 10
    loaded = imported_after(CORE)
    assert loaded.isdisjoint(
        {"textual", "httpx", "tinydb", "filelock", "platformdirs", "starlette", "uvicorn"}
    ), loaded


def test_clients_store_sandbox_and_workspace_do_not_import_textual() -> None:
    assert "textual" not in imported_after(BELOW_THE_UI)
