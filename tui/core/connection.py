"""What signing in produced, as opposed to settings: the Xero organisation the tokens reach,
where Actionstep keeps the firm's data, and the organisation the profile is bound to.

Settings say how to reach a service; this says what was reached. It changes only by connecting,
disconnecting or re-binding, never by the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tui.core.settings import load_fields


@dataclass(frozen=True, slots=True)
class XeroLink:
    tenant_id: str = ""
    """The organisation the tokens act on (the `xero-tenant-id` header); empty: not connected."""
    connection_id: str = ""
    """Xero's id for this app's connection to it, to delete on disconnect."""


@dataclass(frozen=True, slots=True)
class ActionstepLink:
    api_endpoint: str = ""
    """From the token answer, e.g. https://ap-southeast-2.actionstep.com/api/ (empty: not
    connected)."""
    orgkey: str = ""
    """The firm's Actionstep organisation key, from the same answer."""

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
    """For links into Xero's web app."""
    org_class: str = ""
    """Xero's Class: DEMO, TRIAL, STARTER, ..."""
    is_demo: bool = False
    base_currency: str = ""
    trial_confirmed: bool = False
    """The admin confirmed pushing to a DEMO or TRIAL organisation."""


@dataclass(frozen=True, slots=True)
class ConnectionState:
    xero: XeroLink = field(default_factory=XeroLink)
    actionstep: ActionstepLink = field(default_factory=ActionstepLink)
    binding: BoundOrganisation = field(default_factory=BoundOrganisation)

    def to_json(self) -> dict[str, Any]:
        return {
            "xero": asdict(self.xero),
            "actionstep": asdict(self.actionstep),
            "binding": asdict(self.binding),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConnectionState:
        """Unknown fields are ignored, so the combined record of schema 1 reads too."""
        return cls(
            load_fields(XeroLink, data.get("xero")),
            load_fields(ActionstepLink, data.get("actionstep")),
            load_fields(BoundOrganisation, data.get("binding")),
        )
