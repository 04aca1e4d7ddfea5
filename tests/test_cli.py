"""The `axpush` command as a shell user meets it."""

from __future__ import annotations

import subprocess
import sys

from tui import __version__


def axpush(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60
    )


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
