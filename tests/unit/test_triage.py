"""Xero's refusals are recognised by their documented texts and explained with a fix."""

import pytest

from tui.core.triage import Cause, classify
from tui.remote.xero.links import invoice_link


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        ("Invoice not of valid status for modification", Cause.ALREADY_SETTLED),
        (
            "This document cannot be edited as it has a payment or credit note allocated to it.",
            Cause.ALREADY_SETTLED,
        ),
        ("Payment amount exceeds the amount outstanding on this document", Cause.ALREADY_SETTLED),
        ("Account code '215' is not a valid code for this document.", Cause.ACCOUNT_CODE),
        (
            "Account code '205' has been archived, or has been deleted. "
            "Each line item must reference a valid account.",
            Cause.ACCOUNT_CODE,
        ),
        ("The TaxType code 'INPUT' cannot be used with account code '201'.", Cause.TAX_NOT_ALLOWED),
        (
            "The TaxType code GST on Income does not exist or cannot be used for this type of "
            "transaction.",
            Cause.TAX_NOT_ALLOWED,
        ),
        ("Invoice # must be unique.", Cause.NUMBER_CONFLICT),
        ("The Organisation is Offline", Cause.XERO_UNAVAILABLE),
        ("Something nobody has seen before", Cause.REFUSED),
    ],
)
def test_xero_messages_map_to_their_cause(message: str, cause: Cause) -> None:
    assert classify([message]) is cause


def test_every_cause_explains_itself_and_offers_a_fix() -> None:
    for cause in Cause:
        assert cause.heading and cause.fix.endswith(".")


def test_every_cause_has_a_heading_a_fix_and_a_short_label() -> None:
    for cause in Cause:
        assert cause.heading and cause.fix.endswith(".") and 0 < len(cause.label) <= 24


def test_the_xero_link_opens_the_invoice_in_the_right_organisation() -> None:
    link = invoice_link("!mBdtL", "7f6d1c1e-0000-4000-8000-000000000001")
    assert link == (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=%21mBdtL"
        "&redirecturl=%2FAccountsReceivable%2FView.aspx%3FInvoiceID%3D"
        "7f6d1c1e-0000-4000-8000-000000000001"
    )
    assert invoice_link(None, "x").endswith("/AccountsReceivable/View.aspx?InvoiceID=x")
