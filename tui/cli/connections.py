"""`axpush connect`, `disconnect`, `status` and `doctor`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from dataclasses import replace
from typing import Any

from tui.cli import EXIT_FAILED, EXIT_OK, EXIT_RECONNECT, fail
from tui.core.errors import RemoteError
from tui.core.settings import ACTIONSTEP_ENVIRONMENTS, XERO_BROAD_SCOPES
from tui.remote.oauth import ConsentAgent, LoopbackReceiver, PasteBack, SignInError
from tui.remote.xero.auth import Tenant
from tui.service.connections import (
    ACTIONSTEP,
    XERO,
    ChooseTenant,
    client_secret,
    connect_actionstep,
    connect_sandbox,
    connect_xero,
    disconnect,
    settings_of,
    status,
)
from tui.store.profile import Profile


def say(message: str) -> None:
    print(message, flush=True)


async def ask(prompt: str) -> str:
    return await asyncio.to_thread(input, prompt)


def _secret(service: str, profile: Profile) -> str:
    """From the environment, else the profile, else asked for (hidden) on a terminal, else a
    line of standard input. Never echoed."""
    variable = f"AXPUSH_{service.upper()}_CLIENT_SECRET"
    if os.environ.get(variable):
        return os.environ[variable]
    stored = client_secret(profile, service)
    if stored:
        return stored
    if sys.stdin.isatty():
        return getpass.getpass(f"{service.capitalize()} client secret: ")
    return sys.stdin.readline().strip()


def _agent(args: argparse.Namespace, port: int) -> ConsentAgent:
    if args.paste:
        return PasteBack(say, ask)
    remote = bool(os.environ.get("SSH_CONNECTION")) or (
        sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
    )
    if remote:
        say(
            "No local browser here: sign in from any browser and the redirect reaches this "
            f"machine only through `ssh -L {port}:localhost:{port}`; otherwise use --paste."
        )
    return LoopbackReceiver(port, say, open_browser=not remote)


def _chooser(wanted: str | None) -> ChooseTenant:
    async def choose(tenants: list[Tenant]) -> Tenant:
        if wanted:
            for tenant in tenants:
                if wanted in (tenant.tenant_id, tenant.name):
                    return tenant
            raise SignInError(
                f"no connected organisation is {wanted!r}; connected: "
                + ", ".join(t.name for t in tenants)
            )
        if not sys.stdin.isatty():
            raise SignInError(
                "the sign-in connected several organisations: pass --tenant "
                "NAME (" + ", ".join(t.name for t in tenants) + ")"
            )
        for number, tenant in enumerate(tenants, start=1):
            say(f"  {number}. {tenant.name}")
        answer = await ask("Which organisation does this profile push to? ")
        try:
            return tenants[int(answer) - 1]
        except (ValueError, IndexError):
            raise SignInError(f"{answer!r} is not one of the numbers listed") from None

    return choose


def connect(profile: Profile, args: argparse.Namespace) -> int:
    try:
        if args.sandbox:
            for line in asyncio.run(connect_sandbox(profile, args.sandbox)):
                say(line)
            return EXIT_OK
        if args.service is None:
            return fail("name the service to connect (xero or actionstep), or --sandbox URL")
        settings = settings_of(profile)
        if args.service == XERO:
            xero = settings.xero
            mode = (
                "client_credentials"
                if args.client_credentials
                else "secret"
                if args.client_secret
                else xero.mode
            )
            xero = replace(
                xero,
                mode=mode,
                client_id=args.client_id or xero.client_id,
                redirect_port=args.port or xero.redirect_port,
                scopes=XERO_BROAD_SCOPES if args.broad_scopes else xero.scopes,
            )
            secret = _secret(XERO, profile) if mode != "pkce" else ""
            agent = None if mode == "client_credentials" else _agent(args, xero.redirect_port)
            result = asyncio.run(
                connect_xero(
                    profile,
                    xero,
                    secret=secret,
                    agent=agent,
                    choose=_chooser(args.tenant),
                    rebind=args.rebind,
                )
            )
            say(result.describe())
            return EXIT_OK if result.bound else EXIT_FAILED
        actionstep = settings.actionstep
        if args.staging:
            authorize, token = ACTIONSTEP_ENVIRONMENTS["staging"]
            actionstep = replace(actionstep, authorize_url=authorize, token_url=token)
        actionstep = replace(
            actionstep,
            client_id=args.client_id or actionstep.client_id,
            redirect_port=args.port or actionstep.redirect_port,
        )
        connected = asyncio.run(
            connect_actionstep(
                profile,
                actionstep,
                secret=_secret(ACTIONSTEP, profile),
                agent=_agent(args, actionstep.redirect_port),
            )
        )
        say(connected.describe())
        return EXIT_OK
    except SignInError as error:
        return fail(f"not connected: {error}", EXIT_RECONNECT)
    except RemoteError as error:
        return fail(str(error), EXIT_FAILED)
    except (KeyboardInterrupt, EOFError):
        return fail("not connected: cancelled", EXIT_RECONNECT)


def disconnect_command(profile: Profile, args: argparse.Namespace) -> int:
    say(asyncio.run(disconnect(profile, args.service, revoke=args.revoke)))
    return EXIT_OK


def status_command(profile: Profile, args: argparse.Namespace) -> int:
    report = asyncio.run(status(profile, check=not args.offline))
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        for line in describe(report):
            say(line)
    return _exit_code(report)


def _exit_code(report: dict[str, Any]) -> int:
    services = (report["xero"], report["actionstep"])
    if any(not s.get("connected") for s in services):
        return EXIT_RECONNECT
    return EXIT_OK if all(s.get("ok", True) for s in services) else EXIT_FAILED


def describe(report: dict[str, Any]) -> list[str]:
    lines = [f"profile {report['profile']}"]
    binding = report["binding"]
    lines.append(
        "  bound to Xero organisation: "
        + (
            f"{binding['name']} ({binding['class'] or 'class unknown'})"
            if binding["organisation_id"]
            else "none yet"
        )
    )
    for service in (XERO, ACTIONSTEP):
        item = report[service]
        name = service.capitalize()
        if not item.get("connected"):
            reason = item.get("reconnect_needed") or item.get("problem") or "not connected"
            lines.append(f"  {name}: {reason}; run `axpush connect {service}`")
            continue
        state = "ok" if item.get("ok", True) else f"problem: {item.get('problem')}"
        detail = f"token until {item['token_expires_at']}"
        if service == XERO and item.get("organisation"):
            detail = (
                f"{item['organisation']}, {item.get('calls_left_this_minute')} calls left "
                f"this minute, {item.get('calls_left_today')} today, {detail}"
            )
        lines.append(f"  {name}: {state} ({detail})")
    return lines


def doctor_command(profile: Profile, args: argparse.Namespace) -> int:
    """Each link checked, with what to do about it."""
    report = asyncio.run(status(profile, check=True))
    checks: list[tuple[bool, str, str]] = []
    for service in (XERO, ACTIONSTEP):
        item = report[service]
        ok = bool(item.get("connected")) and bool(item.get("ok", True))
        fix = (
            ""
            if ok
            else (
                f"`axpush connect {service}`"
                if not item.get("connected")
                else "`axpush status` shows the details"
            )
        )
        checks.append(
            (
                ok,
                f"{service.capitalize()} link: "
                + (
                    "ok"
                    if ok
                    else str(item.get("problem") or item.get("reconnect_needed") or "not connected")
                ),
                fix,
            )
        )
    if all(ok for ok, _, _ in checks):
        checks.append(_mapping_check(profile))
    mode = oct(profile.root.stat().st_mode & 0o777)
    checks.append(
        (
            mode == "0o700",
            f"profile directory {profile.root} is {mode}",
            f"chmod 700 {profile.root}",
        )
    )
    tokens = profile.root / "tokens.json"
    if tokens.exists():
        token_mode = oct(tokens.stat().st_mode & 0o777)
        checks.append(
            (token_mode == "0o600", f"tokens.json is {token_mode}", f"chmod 600 {tokens}")
        )
    for damaged in profile.set_aside:
        checks.append((False, damaged.describe(), "look at the kept file; nothing was lost"))
    for ok, text, fix in checks:
        hint = f"\n     -> {fix}" if fix and not ok and fix not in text else ""
        say(f"{'ok  ' if ok else 'FAIL'} {text}{hint}")
    return EXIT_OK if all(ok for ok, _, _ in checks) else EXIT_FAILED


def _mapping_check(profile: Profile) -> tuple[bool, str, str]:
    """The mapping against the live chart, as `axpush mapping check` sees it (without a sync)."""
    from tui.cli.session import opened

    async def problems() -> tuple[int, int, int]:
        workspace = await opened(profile, sync=False)
        try:
            rows = workspace.mapping_rows()
            return (
                sum(1 for r in rows if r.problem),
                sum(1 for r in rows if r.drift),
                workspace.bills_blocked_by_mapping(),
            )
        finally:
            await workspace.aclose()

    try:
        bad, changed, blocked = asyncio.run(problems())
    except RemoteError as error:
        return False, f"mapping: could not be checked: {error}", "`axpush status`"
    if not bad and not changed:
        return True, "mapping: every row is usable with Xero's chart", ""
    return (
        False,
        (
            f"mapping: {bad} rows with a problem, {changed} changed in Xero since "
            f"mapped; {blocked} bills blocked by it as last synced"
        ),
        "`axpush mapping check`, then `axpush mapping auto` or the console's Mapping view",
    )
