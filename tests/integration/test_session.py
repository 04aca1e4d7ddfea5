"""A session names its profile as a shell user reaches it."""

from __future__ import annotations

from pathlib import Path

from tui.service.session import Session


def test_the_shell_command_for_a_profile_elsewhere_names_its_home(
    isolated_home: Path, tmp_path: Path
) -> None:
    usual = Session.open("default")
    assert usual.command("status") == "axpush status"
    named = Session.open("firm-b")
    assert named.command("status") == "axpush --profile firm-b status"
    elsewhere = Session.open("demo", home=tmp_path / "demo-home")
    assert elsewhere.command("status") == (
        f"AXPUSH_HOME={tmp_path / 'demo-home'} axpush --profile demo status"
    )
    for session in (usual, named, elsewhere):
        session.close()
