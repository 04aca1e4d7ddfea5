"""`axpush doctor`: every link and file checked, each with what to do about it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tui.core.errors import RemoteError
from tui.core.words import count
from tui.service import mapping_edits
from tui.service.connections import ACTIONSTEP, XERO, status
from tui.service.session import Session
from tui.service.workspace import Workspace
from tui.store.storage import restore_steps


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str
    fix: str = ""
    """What to do when not ok (empty: the text says it)."""


async def doctor(session: Session) -> list[Check]:
    report = await status(session, check=True)
    checks: list[Check] = []
    for service in (XERO, ACTIONSTEP):
        item = report[service]
        connected = bool(item.get("connected"))
        ok = connected and bool(item.get("ok", True))
        problem = str(item.get("problem") or item.get("reconnect_needed") or "not connected")
        if not connected and "axpush connect" not in problem:
            problem += f": run `axpush connect {service}`"
        fix = "" if ok or not connected else "`axpush status` shows the details"
        checks.append(Check(ok, f"{service.capitalize()} link: " + ("ok" if ok else problem), fix))
    if all(check.ok for check in checks):
        checks.append(await _mapping_check(session))
    checks += await asyncio.to_thread(_file_checks, session)
    return checks


def _file_checks(session: Session) -> list[Check]:
    root = session.root
    mode = oct(root.stat().st_mode & 0o777)
    checks = [Check(mode == "0o700", f"profile directory {root} is {mode}", f"chmod 700 {root}")]
    tokens = root / "tokens.json"
    if tokens.exists():
        token_mode = oct(tokens.stat().st_mode & 0o777)
        checks.append(
            Check(token_mode == "0o600", f"tokens.json is {token_mode}", f"chmod 600 {tokens}")
        )
    for kept in sorted([*root.glob("*.damaged-*"), *root.glob("history/*.damaged-*")]):
        original = kept.with_name(kept.name.split(".damaged-")[0])
        checks.append(
            Check(
                False,
                f"{original.name} was set aside as damaged, kept as {kept.name}",
                restore_steps(original, kept) + "; or delete the kept file once it is not needed",
            )
        )
    return checks


async def _mapping_check(session: Session) -> Check:
    """The mapping against the live chart, as `axpush mapping check` sees it (without a sync)."""
    try:
        workspace = await Workspace.connect(session)
        try:
            await workspace.load(sync=False)
            rows = mapping_edits.rows(workspace)
            bad = sum(1 for r in rows if r.problem)
            changed = sum(1 for r in rows if r.drift)
            blocked = mapping_edits.bills_blocked(workspace)
        finally:
            await workspace.aclose()
    except RemoteError as error:
        return Check(False, f"mapping: could not be checked: {error}", "`axpush status`")
    if not bad and not changed:
        return Check(True, "mapping: every row is usable with Xero's chart")
    return Check(
        False,
        f"mapping: {count(bad, 'row')} with a problem, {changed} changed in Xero since "
        f"mapped; {count(blocked, 'bill')} blocked by it as last synced",
        "`axpush mapping check`, then `axpush mapping auto` or the console's Mapping view",
    )
