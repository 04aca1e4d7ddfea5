"""Connecting to Xero and Actionstep through the same OAuth2 code paths as with the real
services, against the sandbox over loopback; and keeping the tokens good."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.processes import axpush, axpush_pasting
from support.sandbox_time import SandboxTime
from support.sandboxes import connect_another_organisation

from tui.core.errors import ReconnectNeeded, RemoteRateLimited, RemoteUnauthorised, SignInError
from tui.core.mapping import Mapping
from tui.core.settings import sandbox_settings
from tui.core.status import BillState
from tui.remote.oauth import (
    AuthorizationRequest,
    LoopbackReceiver,
    PasteBack,
    TokenRecord,
)
from tui.remote.xero.auth import Tenant
from tui.remote.xero.client import XeroClient
from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer
from tui.sandbox.state import SandboxState
from tui.service.connections import (
    connect_actionstep,
    connect_sandbox,
    connect_xero,
    open_links,
    status,
)
from tui.service.session import Session
from tui.service.workspace import Workspace
from tui.store.profile import Profile


async def first(tenants: list[Tenant]) -> Tenant:
    return tenants[0]


def browser() -> Callable[[str], Awaitable[str]]:
    """What a person's browser does with the sign-in URL: the sandbox consents at once and
    redirects to the app's redirect URI."""

    async def open_url(url: str) -> str:
        async with httpx.AsyncClient() as http:
            response = await http.get(url)
        return str(response.headers["location"])

    return open_url


def test_connect_sandbox_then_status_json_from_a_shell_without_a_terminal(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    connected = axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home)
    assert connected.returncode == 0, connected.stderr
    assert "Xero: connected to Harbour & Finch Lawyers" in connected.stdout
    assert "Actionstep: connected to harbourfinch" in connected.stdout
    result = axpush("status", "--json", home=isolated_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["xero"]["connected"] and report["xero"]["ok"]
    assert report["xero"]["organisation"] == "Harbour & Finch Lawyers"
    assert 0 < report["xero"]["calls_left_today"] < 5000
    assert report["actionstep"]["api_endpoint"] == f"{sandbox.base_url}/actionstep/api/"
    assert report["binding"]["name"] == "Harbour & Finch Lawyers"


async def test_pkce_with_paste_back_checks_state(sandbox: SandboxServer, profile: Profile) -> None:
    settings = sandbox_settings(sandbox.base_url).xero
    pasted: list[str] = []

    async def ask(prompt: str) -> str:  # the admin pastes what the browser ended on
        return await browser()(next(line for line in pasted if line.startswith("http")))

    agent = PasteBack(lambda line: pasted.append(line.strip()), ask)
    result = await connect_xero(Session(profile), settings, agent=agent, choose=first)
    assert result.bound and result.organisation.name == "Harbour & Finch Lawyers"
    assert any("code_challenge_method=S256" in line for line in pasted)

    class WrongState:
        async def consent(self, request: AuthorizationRequest) -> str:
            url = await browser()(request.url)
            return url.replace(f"state={request.state}", "state=forged")

    with pytest.raises(SignInError, match="state does not match"):
        await connect_xero(Session(profile), settings, agent=WrongState(), choose=first)


async def test_the_loopback_redirect_receives_the_sign_in(
    sandbox: SandboxServer, profile: Profile
) -> None:
    settings = replace(sandbox_settings(sandbox.base_url).xero, redirect_port=_free_port())
    shown: list[str] = []
    url_shown = asyncio.Event()

    def say(line: str) -> None:
        shown.append(line)
        if line.startswith("  http"):
            url_shown.set()

    agent = LoopbackReceiver(settings.redirect_port, say, open_browser=False)

    async def person() -> None:  # opens the URL shown, and the browser follows the redirect
        await url_shown.wait()
        location = await browser()(shown[-1].strip())
        async with httpx.AsyncClient() as http:
            assert (await http.get(location)).status_code == 200

    results = await asyncio.gather(
        connect_xero(Session(profile), settings, agent=agent, choose=first), person()
    )
    assert results[0].tenant.tenant_id == sandbox.state.xero.tenant_id


async def test_a_web_app_and_a_custom_connection(sandbox: SandboxServer, profile: Profile) -> None:
    base = sandbox_settings(sandbox.base_url).xero
    web = replace(base, client_id="sandbox-web", mode="secret")
    with pytest.raises(SignInError, match="refused the sign-in"):
        await connect_xero(Session(profile), web, secret="wrong", agent=_auto(), choose=first)
    assert (
        await connect_xero(
            Session(profile), web, secret="sandbox-web-secret", agent=_auto(), choose=first
        )
    ).bound
    custom = replace(base, client_id="sandbox-client", mode="client_credentials", scopes="")
    result = await connect_xero(
        Session(profile), custom, secret="sandbox-secret", agent=None, choose=first
    )
    assert result.organisation.name == "Harbour & Finch Lawyers"


def test_a_custom_connection_from_the_command_line(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    base = sandbox.base_url
    env = {
        "AXPUSH_XERO_TOKEN_URL": f"{base}/xero/identity/connect/token",
        "AXPUSH_XERO_CONNECTIONS_URL": f"{base}/xero/connections",
        "AXPUSH_XERO_API_URL": f"{base}/xero/api.xro/2.0",
        "AXPUSH_XERO_CLIENT_SECRET": "sandbox-secret",
    }
    result = axpush(
        "connect",
        "xero",
        "--client-credentials",
        "--client-id",
        "sandbox-client",
        home=isolated_home,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "sandbox-secret" not in result.stdout + result.stderr
    refused = axpush(
        "connect",
        "xero",
        "--client-credentials",
        "--client-id",
        "sandbox-client",
        home=isolated_home,
        env={**env, "AXPUSH_XERO_CLIENT_SECRET": "nope"},
    )
    assert refused.returncode == 3 and "not connected" in refused.stderr


def test_two_processes_refreshing_at_once_refresh_once_and_both_work(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    profile = Profile.named("shared", home=isolated_home)
    asyncio.run(connect_sandbox(Session(profile), sandbox.base_url))
    sandbox.state.clock.advance(timedelta(minutes=31))  # every access token has expired
    before = list(sandbox.state.identity.token_requests)
    code = """
        import asyncio, sys
        from tui.service.session import Session
        from tui.service.workspace import Workspace
        async def main():
            workspace = await Workspace.connect(Session.open("shared"))
            try:
                print((await workspace.xero.organisation()).name)
            finally:
                await workspace.aclose()
        asyncio.run(main())
    """
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _dedent(code)],
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "AXPUSH_HOME": str(isolated_home)},
        )
        for _ in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out.strip() == "Harbour & Finch Lawyers"
    new = sandbox.state.identity.token_requests[len(before) :]
    assert new == [("xero", "refresh_token")], "exactly one refresh reached Xero"


async def test_a_refresh_token_past_its_grace_means_reconnect_and_no_retry_loop(
    sandbox: SandboxServer, profile: Profile
) -> None:
    time = SandboxTime(sandbox.state)
    await connect_sandbox(Session(profile, time), sandbox.base_url)
    links = await open_links(Session(profile, time))
    try:
        stale = await links.xero_tokens.read()
        assert stale is not None
        sandbox.state.clock.advance(timedelta(minutes=31))
        await links.xero_tokens.token()  # refreshes: the old refresh token is now rotated
        await links.xero_tokens.save(stale)  # a stale copy comes back (a restored backup, say)
        sandbox.state.clock.advance(timedelta(minutes=31))  # past Xero's 30-minute grace
        with pytest.raises(ReconnectNeeded, match="Xero needs reconnecting"):
            await links.xero_tokens.token()
        calls = len(sandbox.state.identity.token_requests)
        for _ in range(3):
            with pytest.raises(ReconnectNeeded):
                await links.xero_tokens.token()
        assert len(sandbox.state.identity.token_requests) == calls, "no crash loop"
    finally:
        await links.aclose()
    report = await status(Session(profile, time))
    assert report["xero"]["connected"] is False
    assert "refresh token was refused" in report["xero"]["reconnect_needed"]


async def test_a_lost_refresh_answer_is_retried_within_the_grace(profile: Profile) -> None:
    with SandboxServer(
        SandboxState.demo(tour=False, faults="POST */connect/token=seq:ok,lost")
    ) as server:
        time = SandboxTime(server.state)
        await connect_sandbox(Session(profile, time), server.base_url)  # the code exchange: ok
        links = await open_links(Session(profile, time))
        try:
            server.state.clock.advance(timedelta(minutes=31))
            token = await links.xero_tokens.token()  # refresh lost, retried with the same one
        finally:
            await links.aclose()
        assert token and server.state.identity.token_requests[-2:] == [
            ("xero", "refresh_token"),
            ("xero", "refresh_token"),
        ]


def test_disconnect_with_revoke_ends_the_sign_in(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    revoked = axpush("disconnect", "xero", "--revoke", home=isolated_home)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert not sandbox.state.identity.connections
    result = axpush("status", home=isolated_home)
    assert result.returncode == 3 and "axpush connect xero" in result.stdout


async def test_a_wrong_tenant_is_refused_with_a_reason(
    sandbox: SandboxServer, profile: Profile
) -> None:
    await connect_sandbox(Session(profile), sandbox.base_url)
    links = await open_links(Session(profile))
    xero = XeroClient(
        links.settings.xero.api_url, "00000000-0000-0000-0000-000000000000", links.xero_tokens
    )
    try:
        with pytest.raises(RemoteUnauthorised, match="not connected to this app"):
            await xero.organisation()
    finally:
        await xero.aclose()
        await links.aclose()


async def test_the_minute_limit_waits_and_the_day_limit_pauses(profile: Profile) -> None:
    state = SandboxState.demo(tour=False, limits=Limits(per_minute=3, per_day=8))
    with SandboxServer(state) as server:
        time = SandboxTime(state)
        await connect_sandbox(Session(profile, time), server.base_url)  # one call (Organisation)
        links = await open_links(Session(profile, time))
        xero = XeroClient(
            links.settings.xero.api_url,
            links.state.xero.tenant_id,
            links.xero_tokens,
            clock=time,
        )
        waits: list[str] = []
        xero.on_wait = waits.append
        try:
            for _ in range(7):  # the fourth call meets the minute limit and waits it out
                await xero.organisation()
            assert len(waits) >= 1 and "minute limit" in waits[0]
            assert 1 <= time.slept[0] <= 60
            with pytest.raises(RemoteRateLimited, match="daily call limit") as paused:
                await xero.organisation()
            assert paused.value.problem == "day"
            sent = len(state.faults.injected), state.limits.headers(xero.tenant_id)
            with pytest.raises(RemoteRateLimited):
                await xero.organisation()  # paused: not even sent
            assert state.limits.headers(xero.tenant_id) == sent[1]
        finally:
            await xero.aclose()
            await links.aclose()


async def test_actionstep_connects_and_refreshes_after_a_401(
    sandbox: SandboxServer, profile: Profile
) -> None:
    time = SandboxTime(sandbox.state)
    settings = sandbox_settings(sandbox.base_url).actionstep
    connected = await connect_actionstep(
        Session(profile, time), settings, secret="sandbox-actionstep-secret", agent=_auto()
    )
    assert connected.orgkey == "harbourfinch"
    sandbox.state.clock.advance(timedelta(minutes=61))
    links = await open_links(Session(profile, time))
    from tui.remote.actionstep.client import ActionstepClient

    client = ActionstepClient(links.state.actionstep.rest_url, links.actionstep_tokens, clock=time)
    try:
        assert len((await client.catalog()).accounts) >= 5
    finally:
        await client.aclose()
        await links.aclose()
    assert sandbox.state.identity.token_requests[-1] == ("actionstep", "refresh_token")


def test_token_records_round_trip() -> None:
    from datetime import UTC, datetime

    record = TokenRecord("a", datetime(2026, 1, 1, tzinfo=UTC), "r", "s")
    assert TokenRecord.from_json(record.to_json()) == record


def _auto() -> Any:
    from tui.remote.oauth import AutoConsent

    return AutoConsent()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code)


def test_another_organisation_blocks_pushing_until_rebound_on_purpose(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    profile = Profile.named("default", home=isolated_home)
    profile.save_mapping(Mapping(*sandbox.state.firm.demo_mapping()))
    swapped, env = connect_another_organisation(sandbox, isolated_home, "Harbour & Finch (new)")
    assert swapped.returncode == 1, swapped.stderr
    assert "bound to Harbour & Finch Lawyers" in swapped.stdout and "--rebind" in swapped.stdout

    async def states() -> set[str]:
        workspace = await Workspace.connect(Session(profile))
        try:
            await workspace.load()
            reasons = {
                row.reason for row in workspace.rows.values() if row.state is BillState.BLOCKED
            }
            assert workspace.counts()[BillState.READY] == 0
            return reasons
        finally:
            await workspace.aclose()

    assert any(
        "but this profile pushes to Harbour & Finch Lawyers" in r for r in asyncio.run(states())
    )
    refused = axpush("push", "--all", home=isolated_home)
    assert refused.returncode == 1, "not 'nothing to push' and 0: cron must hear it"
    assert "nothing can be pushed" in refused.stderr and "--rebind" in refused.stderr
    planned = axpush("push", "--all", "--dry-run", "--json", home=isolated_home)
    assert planned.returncode == 1
    assert "pushes to Harbour & Finch Lawyers" in json.loads(planned.stdout)["error"]
    rebound = axpush_pasting(
        "connect",
        "xero",
        "--tenant",
        "Harbour & Finch (new)",
        "--paste",
        "--rebind",
        home=isolated_home,
        env=env,
    )
    assert rebound.returncode == 0, rebound.stderr
    assert (
        Profile.named("default", home=isolated_home).connection().binding.name
        == "Harbour & Finch (new)"
    )


def test_disconnect_deletes_the_connection_and_doctor_says_what_to_do(
    sandbox: SandboxServer, isolated_home: Path
) -> None:
    assert axpush("connect", "--sandbox", sandbox.base_url, home=isolated_home).returncode == 0
    linked = axpush("doctor", home=isolated_home)
    fails = [line for line in linked.stdout.splitlines() if line.startswith("FAIL")]
    assert fails == [
        "FAIL mapping: 11 rows with a problem, 0 changed in Xero since mapped; 0 "
        "bills blocked by it as last synced"
    ], "links fine; nothing mapped yet"
    assert "-> `axpush mapping check`, then `axpush mapping auto`" in linked.stdout
    gone = axpush("disconnect", "xero", home=isolated_home)
    assert "disconnected from the app in Xero" in gone.stdout
    assert not sandbox.state.identity.connections
    sick = axpush("doctor", home=isolated_home)
    assert sick.returncode == 1
    assert "FAIL Xero link: not connected: run `axpush connect xero`" in sick.stdout
    assert Profile.named("default", home=isolated_home).connection().binding.name, (
        "the binding outlives a disconnect"
    )


async def test_the_rate_gate_keeps_five_calls_in_flight(profile: Profile) -> None:
    """Ten calls at once, each slow: the sixth would be refused by Xero; the gate holds it."""
    with SandboxServer(SandboxState.demo(tour=False, faults="GET */Accounts=slow(0.3)")) as s:
        await connect_sandbox(Session(profile), s.base_url)
        links = await open_links(Session(profile))
        xero = XeroClient(
            links.settings.xero.api_url, links.state.xero.tenant_id, links.xero_tokens
        )
        try:
            charts = await asyncio.gather(*(xero.chart() for _ in range(10)))
        finally:
            await xero.aclose()
            await links.aclose()
    assert all(chart.accounts for chart in charts)


async def test_actionstep_429s_are_waited_out(profile: Profile) -> None:
    with SandboxServer(
        SandboxState.demo(tour=False, faults="GET */rest/accounts=seq:429-minute")
    ) as s:
        time = SandboxTime(s.state)
        await connect_sandbox(Session(profile, time), s.base_url)
        links = await open_links(Session(profile, time))
        from tui.remote.actionstep.client import ActionstepClient

        client = ActionstepClient(
            links.state.actionstep.rest_url, links.actionstep_tokens, clock=time
        )
        try:
            assert (await client.catalog()).accounts
        finally:
            await client.aclose()
            await links.aclose()
        assert time.slept == [60.0]


def test_settings_pick_scopes_and_actionstep_systems() -> None:
    from tui.core.settings import XERO_BROAD_SCOPES, Settings
    from tui.remote.transport import redact

    staged = Settings().with_environment(
        {"AXPUSH_ACTIONSTEP_ENVIRONMENT": "staging", "AXPUSH_XERO_SCOPES": XERO_BROAD_SCOPES}
    )
    assert staged.actionstep.token_url == "https://api.actionstepstaging.com/api/oauth/token"
    assert "accounting.transactions" in staged.xero.scopes
    assert Settings().xero.scopes.startswith("offline_access accounting.invoices")
    assert (
        redact('{"refresh_token": "abc"} Bearer xyz.1')
        == '{"refresh_token": "[redacted]"} Bearer [redacted]'
    )
