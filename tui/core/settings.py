"""Settings: where the two services are, and as which app axpush talks to them.

Each field has a default (the real services), a per-profile value in config.json, and an
environment override, `AXPUSH_XERO_<FIELD>` / `AXPUSH_ACTIONSTEP_<FIELD>`, in that order of
strength, weakest first. What a sign-in produced (the tenant, the Actionstep endpoint, the bound
organisation) is not a setting: it lives in `tui.core.connection`. No secret is kept here: client
secrets and tokens live in the profile's tokens.json (mode 0600).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

T = TypeVar("T")

ENV_PREFIX = "AXPUSH_"
"""Every environment override starts with this, then the service, then the field's name."""

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
    """Where the browser signs in and consents."""
    token_url: str = "https://identity.xero.com/connect/token"
    """Where codes and refresh tokens are exchanged for access tokens."""
    revocation_url: str = "https://identity.xero.com/connect/revocation"
    """Where `disconnect xero --revoke` ends the whole sign-in."""
    connections_url: str = "https://api.xero.com/connections"
    """Lists (and deletes) the organisations a sign-in reaches."""
    api_url: str = "https://api.xero.com/api.xro/2.0"
    """The Accounting API's base."""
    client_id: str = ""
    """The Xero app's client id."""
    mode: str = "pkce"
    """pkce (no secret), secret (a web app's client secret) or client_credentials (a Custom
    Connection)."""
    scopes: str = XERO_GRANULAR_SCOPES
    """Space-separated; apps made before 2 March 2026 need `XERO_BROAD_SCOPES`."""
    redirect_port: int = DEFAULT_REDIRECT_PORT
    """The port of the redirect URI registered for the app, http://localhost:PORT/callback."""

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
    """Where the browser signs in (`AXPUSH_ACTIONSTEP_ENVIRONMENT=staging` picks staging's)."""
    token_url: str = ACTIONSTEP_ENVIRONMENTS["production"][1]
    """Where codes and refresh tokens are exchanged for access tokens."""
    client_id: str = ""
    """The API Access Key Actionstep issued."""
    scopes: str = "all"
    redirect_port: int = DEFAULT_REDIRECT_PORT
    """The port of the redirect URI registered for the app."""

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.redirect_port}/callback"


@dataclass(frozen=True, slots=True)
class Settings:
    xero: XeroSettings = field(default_factory=XeroSettings)
    actionstep: ActionstepSettings = field(default_factory=ActionstepSettings)

    def to_json(self) -> dict[str, Any]:
        return {"xero": asdict(self.xero), "actionstep": asdict(self.actionstep)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Settings:
        """Unknown fields are ignored (a file from an older axpush may carry some)."""
        return cls(
            load_fields(XeroSettings, data.get("xero")),
            load_fields(ActionstepSettings, data.get("actionstep")),
        )

    def with_environment(self, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings with `AXPUSH_XERO_<FIELD>` / `AXPUSH_ACTIONSTEP_<FIELD>` applied."""
        env = os.environ if environ is None else environ
        actionstep = self.actionstep
        environment = env.get(f"{ENV_PREFIX}ACTIONSTEP_ENVIRONMENT")
        if environment in ACTIONSTEP_ENVIRONMENTS:
            authorize, token = ACTIONSTEP_ENVIRONMENTS[environment]
            actionstep = replace(actionstep, authorize_url=authorize, token_url=token)
        return replace(
            self,
            xero=_override(self.xero, f"{ENV_PREFIX}XERO_", env),
            actionstep=_override(actionstep, f"{ENV_PREFIX}ACTIONSTEP_", env),
        )


def load_fields(kind: type[T], data: Any) -> T:
    """A dataclass from a stored mapping, keeping only the fields it has."""
    if not isinstance(data, Mapping):
        return kind()
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in data.items() if k in known})


def _override(settings: T, prefix: str, env: Mapping[str, str]) -> T:
    changes: dict[str, Any] = {}
    for item in fields(settings):  # type: ignore[arg-type]
        value = env.get(prefix + item.name.upper())
        if value is not None:
            changes[item.name] = int(value) if item.type in ("int", int) else value
    return replace(settings, **changes) if changes else settings  # type: ignore[type-var]


def sandbox_settings(base_url: str) -> Settings:
    """Settings that point both services at a sandbox served at `base_url`."""
    base = base_url.rstrip("/")
    return Settings(
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
