"""Links into Xero's web app, for an admin to open an invoice from triage.

Xero documents deep links through its organisation login, which picks the right organisation by
its ShortCode before redirecting (developer.xero.com, "Deep link Xero").
"""

from __future__ import annotations

from urllib.parse import quote

LOGIN = "https://go.xero.com/organisationlogin/default.aspx"


def invoice_link(short_code: str | None, invoice_id: str) -> str:
    """Opens the sales invoice in the right organisation (or, without a ShortCode, in whichever
    organisation the browser last used)."""
    target = f"/AccountsReceivable/View.aspx?InvoiceID={invoice_id}"
    if not short_code:
        return f"https://go.xero.com{target}"
    return f"{LOGIN}?shortcode={quote(short_code, safe='')}&redirecturl={quote(target, safe='')}"
