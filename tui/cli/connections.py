"""`axpush connect`, `disconnect`, `status` and `doctor`: the terminal's way of asking (a browser
or paste-back, a hidden prompt for a secret, a numbered list of organisations) around the same
sign-in the console uses."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from typing import Any

from tui.cli.common import say
from tui.core.errors import EXIT_FAILED, EXIT_OK, EXIT_RECONNECT, SignInError, UsageError
from tui.service.connections import (
    ACTIONSTEP,
    XERO,
    AppCredentials,
    ConsentAgent,
    LoopbackReceiver,
    PasteBack,
    SignInRequest,
    Tenant,
    connect_sandbox,
    disconnect,
    sign_in,
    status,
)
from tui.service.doctor import doctor
from tui.service.session import Session


async def ask(prompt: str) -> str:
    return await asyncio.to_thread(input, prompt)


class TerminalPrompts:
    """Asks on the terminal; with no terminal, says which option or variable to use instead."""

    def __init__(self, *, paste: bool, tenant: str | None) -> None:
        self._paste = paste
        self._tenant = tenant

    def agent(self, port: int) -> ConsentAgent:
        if self._paste:
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

    async def credentials(
        self, service: str, client_id: str, needs_secret: bool
    ) -> AppCredentials | None:
        if not client_id:
            variable = f"AXPUSH_{service.upper()}_CLIENT_ID"
            raise SignInError(f"no {service} client id: pass --client-id, or set {variable}")
        secret = ""
        if needs_secret:  # never echoed
            if sys.stdin.isatty():
                secret = await asyncio.to_thread(getpass.getpass, f"{service} client secret: ")
            else:
                secret = (await asyncio.to_thread(sys.stdin.readline)).strip()
        return AppCredentials(client_id, secret)

    async def choose(self, tenants: list[Tenant]) -> Tenant:
        if self._tenant:
            for tenant in tenants:
                if self._tenant in (tenant.tenant_id, tenant.name):
                    return tenant
            raise SignInError(
                f"no connected organisation is {self._tenant!r}; connected: "
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


def connect_command(session: Session, args: argparse.Namespace) -> int:
    if args.sandbox:
        for line in asyncio.run(connect_sandbox(session, args.sandbox)):
            say(line)
        return EXIT_OK
    if args.service is None:
        raise UsageError("name the service to connect (xero or actionstep), or --sandbox URL")
    request = SignInRequest(
        args.service,
        client_id=args.client_id,
        mode="client_credentials"
        if args.client_credentials
        else "secret"
        if args.client_secret
        else None,
        port=args.port,
        broad_scopes=args.broad_scopes,
        rebind=args.rebind,
        staging=args.staging,
    )
    prompts = TerminalPrompts(paste=args.paste, tenant=args.tenant)
    try:
        connected = asyncio.run(sign_in(session, request, prompts))
    except SignInError as error:
        raise SignInError(f"not connected: {error}") from None
    except (KeyboardInterrupt, EOFError):
        connected = None
    if connected is None:
        raise SignInError("not connected: cancelled")
    say(connected.describe())
    return EXIT_OK if connected.ok else EXIT_FAILED


def disconnect_command(session: Session, args: argparse.Namespace) -> int:
    say(asyncio.run(disconnect(session, args.service, revoke=args.revoke)))
    return EXIT_OK


def status_command(session: Session, args: argparse.Namespace) -> int:
    report = asyncio.run(status(session, check=not args.offline))
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
            hint = "" if "axpush connect" in reason else f"; run `axpush connect {service}`"
            lines.append(f"  {name}: {reason}{hint}")
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


def doctor_command(session: Session, args: argparse.Namespace) -> int:
    """Each link checked, with what to do about it."""
    checks = asyncio.run(doctor(session))
    for check in checks:
        hint = f"\n     -> {check.fix}" if check.fix and not check.ok else ""
        say(f"{'ok  ' if check.ok else 'FAIL'} {check.text}{hint}")
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED
