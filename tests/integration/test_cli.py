"""The `axpush` command as a shell user meets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.processes import axpush

from tui import __version__


def test_help_names_the_demo_and_where_profiles_live() -> None:
    result = axpush("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout and "AXPUSH_HOME" in result.stdout


def test_version() -> None:
    assert axpush("--version").stdout.strip() == f"axpush {__version__}"


def test_a_bad_profile_name_is_a_usage_error_not_a_traceback() -> None:
    result = axpush("--profile", "../elsewhere")
    assert result.returncode == 2
    assert "cannot open profile '../elsewhere'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_command_is_a_usage_error() -> None:
    result = axpush("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_sandbox_serve_prints_its_url_and_serves_on_loopback_only() -> None:
    import httpx

    server = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "serve", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("axpush sandbox serving on http://127.0.0.1:")
        base = line.split()[4]
        summary = httpx.get(f"{base}/_sandbox", timeout=10).json()
        assert summary["actionstep"]["bills"] == 220
        assert summary["xero"][0]["name"] == "Harbour & Finch Lawyers"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_bad_fault_spec_is_a_usage_error() -> None:
    result = axpush("sandbox", "serve", "--faults", "PUT */Invoices=sometimes")
    assert result.returncode == 2 and "unknown fault 'sometimes'" in result.stderr


def test_a_config_from_a_newer_axpush_is_one_line_and_a_configuration_error(
    tmp_path: Path,
) -> None:
    """Nothing anticipated shows a traceback: the error root ends as one line and its code."""
    config = tmp_path / "profiles" / "default" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text('{"_meta": {"1": {"schema": "axpush.config", "version": 99}}}')
    result = subprocess.run(
        [sys.executable, "-m", "tui", "status", "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AXPUSH_HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "written by a newer axpush" in result.stderr and "untouched" in result.stderr
    assert config.read_text().endswith("99}}}"), "the file is left as it was"


def test_a_bug_shows_its_traceback_and_where_to_report_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the unanticipated keeps its traceback, with a line saying it is axpush's fault."""
    from tui.cli import main as command_line

    def broken(_args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(command_line, "_dispatch", broken)
    assert command_line.main(["status"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err
    assert "this is a bug in axpush" in err and command_line.REPORT_URL in err
