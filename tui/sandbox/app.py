"""Both services on one ASGI app: Xero under /xero, Actionstep under /actionstep/api, and the
sandbox's own admin API under /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tui.sandbox.actionstep_api import create_actionstep_app
from tui.sandbox.admin_api import create_admin_app
from tui.sandbox.state import SandboxState
from tui.sandbox.xero_api import create_xero_app

XERO_PREFIX = "/xero"
ACTIONSTEP_PREFIX = "/actionstep/api"
ADMIN_PREFIX = "/_sandbox"


def create_app(state: SandboxState) -> Starlette:
    admin = create_admin_app(state)
    return Starlette(
        routes=[
            Mount(XERO_PREFIX, app=create_xero_app(state)),
            Mount(ACTIONSTEP_PREFIX, app=create_actionstep_app(state)),
            Route(ADMIN_PREFIX, admin),  # the summary, without the trailing slash too
            Mount(ADMIN_PREFIX, app=admin),
        ]
    )


def xero_api_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{XERO_PREFIX}/api.xro/2.0"


def actionstep_api_url(base_url: str) -> str:
    """The REST base: Actionstep's `api_endpoint` plus `rest`."""
    return f"{base_url.rstrip('/')}{ACTIONSTEP_PREFIX}/rest"
