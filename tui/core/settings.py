"""Where the two services are, and as whom axpush talks to them.

Every URL has a default (the real services), a per-profile setting, and an environment override
(`AXPUSH_XERO_*`, `AXPUSH_ACTIONSTEP_*`), in that order of strength, weakest first. No secret is
kept here: client secrets and tokens live in the profile's tokens.json (mode 0600).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

T = TypeVar("T")

XERO_GRANULAR_SCOPES = (
    "offline_access accounting.invoices accounting.payments "
    "accounting.contacts accounting.settings.read"
)
"""For Xero apps created on or after 2 March 2026 (the default)."""
XERO_BROAD_SCOPES = (
    "offline_access accounting.transactions accounting.contacts accounting.settings.read"
)
"""For older apps, which keep the broad scopes until September 2027."""
XERO_CUSTOM_CONNECTION_SCOPES = (
    "accounting.invoices accounting.payments accounting.contacts accounting.settings.read"
)
DEFAULT_REDIRECT_PORT = 8749

XERO_MODES = ("pkce", "secret", "client_credentials")


@dataclass(frozen=True, slots=True)
class XeroSettings:
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    token_url: str = "https://identity.xero.com/connect/token"
    revocation_url: str = "https://identity.xero.com/connect/revocation"
    connections_url: str = "https://api.xero.com/connections"
    api_url: str = "https://api.xero.com/api.xro/2.0"
    client_id: str = ""
    mode: str = "pkce"
    """pkce (no secret), secret (a web app's client secret) or client_credentials (a Custom
    Connection)."""
    scopes: str = XERO_GRANULAR_SCOPES
    redirect_port: int = DEFAULT_REDIRECT_PORT
    tenant_id: str = ""
    connection_id: str = ""

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.redirect_port}/callback"


ACTIONSTEP_ENVIRONMENTS = {
    "production": (
        "https://go.actionstep.com/api/oauth/authorize",
        "https://api.actionstep.com/api/oauth/token",
    ),
    "staging": (
        "https://go.actionstepstaging.com/api/oauth/authorize",
        "https://api.actionstepstaging.com/api/oauth/token",
    ),
}


@dataclass(frozen=True, slots=True)
class ActionstepSettings:
    authorize_url: str = ACTIONSTEP_ENVIRONMENTS["production"][0]
    token_url: str = ACTIONSTEP_ENVIRONMENTS["production"][1]
    client_id: str = ""
    scopes: str = "all"
    redirect_port: int = DEFAULT_REDIRECT_PORT
    api_endpoint: str = ""
    """From the token response, e.g. https://ap-southeast-2.actionstep.com/api/"""
    orgkey: str = ""

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.redirect_port}/callback"

    @property
    def rest_url(self) -> str:
        """The REST base: `api_endpoint` plus `rest` (the token's endpoint stops at /api/)."""
        if not self.api_endpoint:
            return ""
        base = self.api_endpoint.rstrip("/")
        return base if base.endswith("/rest") else f"{base}/rest"


@dataclass(frozen=True, slots=True)
class BoundOrganisation:
    """The Xero organisation this profile pushes to; changing it is deliberate (see README)."""

    organisation_id: str = ""
    name: str = ""
    short_code: str = ""
    org_class: str = ""
    is_demo: bool = False
    base_currency: str = ""
    trial_confirmed: bool = False
    """The admin confirmed pushing to a DEMO or TRIAL organisation."""


@dataclass(frozen=True, slots=True)
class Connections:
    xero: XeroSettings = field(default_factory=XeroSettings)
    actionstep: ActionstepSettings = field(default_factory=ActionstepSettings)
    binding: BoundOrganisation = field(default_factory=BoundOrganisation)

    def to_json(self) -> dict[str, Any]:
        return {
            "xero": asdict(self.xero),
            "actionstep": asdict(self.actionstep),
            "binding": asdict(self.binding),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Connections:
        return cls(
            _load(XeroSettings, data.get("xero")),
            _load(ActionstepSettings, data.get("actionstep")),
            _load(BoundOrganisation, data.get("binding")),
        )

    def with_environment(self, environ: Mapping[str, str] | None = None) -> Connections:
        """The settings with `AXPUSH_XERO_<FIELD>` / `AXPUSH_ACTIONSTEP_<FIELD>` applied."""
        env = os.environ if environ is None else environ
        actionstep = self.actionstep
        environment = env.get("AXPUSH_ACTIONSTEP_ENVIRONMENT")
        if environment in ACTIONSTEP_ENVIRONMENTS:
            authorize, token = ACTIONSTEP_ENVIRONMENTS[environment]
            actionstep = replace(actionstep, authorize_url=authorize, token_url=token)
        return replace(
            self,
            xero=_override(self.xero, "AXPUSH_XERO_", env),
            actionstep=_override(actionstep, "AXPUSH_ACTIONSTEP_", env),
        )


def _load(kind: type[T], data: Any) -> T:
    if not isinstance(data, Mapping):
        return kind()
    known = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    values = {k: v for k, v in data.items() if k in known}
    return kind(**values)


def _override(settings: T, prefix: str, env: Mapping[str, str]) -> T:
    changes: dict[str, Any] = {}
    for item in fields(settings):  # type: ignore[arg-type]
        value = env.get(prefix + item.name.upper())
        if value is not None:
            changes[item.name] = int(value) if item.type in ("int", int) else value
    return replace(settings, **changes) if changes else settings  # type: ignore[type-var]


def sandbox_connections(base_url: str) -> Connections:
    """Settings that point both services at a sandbox served at `base_url`."""
    base = base_url.rstrip("/")
    return Connections(
        xero=XeroSettings(
            authorize_url=f"{base}/xero/login/identity/connect/authorize",
            token_url=f"{base}/xero/identity/connect/token",
            revocation_url=f"{base}/xero/identity/connect/revocation",
            connections_url=f"{base}/xero/connections",
            api_url=f"{base}/xero/api.xro/2.0",
            client_id="axpush-sandbox",
        ),
        actionstep=ActionstepSettings(
            authorize_url=f"{base}/actionstep/api/oauth/authorize",
            token_url=f"{base}/actionstep/api/oauth/token",
            client_id="sandbox-actionstep",
        ),
    )
