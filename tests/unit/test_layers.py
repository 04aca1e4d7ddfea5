"""The layers, checked at run time as well as by import-linter (`lint-imports`, in CI): the
domain imports neither Textual nor HTTP nor files, nothing below the console imports Textual,
and time comes from one clock."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import tui
import tui.core

CORE = sorted(f"tui.core.{m.name}" for m in pkgutil.iter_modules(tui.core.__path__))
BELOW_THE_CONSOLE = [
    "tui.store.profile",
    "tui.store.outbox",
    "tui.remote.xero.client",
    "tui.remote.actionstep.client",
    "tui.sandbox.server",
    "tui.service.workspace",
    "tui.service.pushing",
    "tui.service.mapping_edits",
    "tui.service.demo",
    "tui.cli.main",
    "tui.cli.pushing",
]
PACKAGE = Path(tui.__file__).parent


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


def test_nothing_below_the_console_imports_textual() -> None:
    """The command line loads Textual only to open the console."""
    assert "textual" not in imported_after(BELOW_THE_CONSOLE)


def test_only_the_package_entry_points_sit_at_its_root() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_time_comes_from_the_one_clock() -> None:
    """`datetime.now()` only in `tui.core.clock`: everything else is handed a clock, so tests
    can run it on the sandbox's time."""
    pattern = re.compile(r"\b(datetime\.now|date\.today|datetime\.utcnow)\(")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []
