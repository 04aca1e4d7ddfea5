"""Why a bill failed or is blocked, in words an accountant understands, and what fixes it.

The causes and the texts that recognise them come from Actionstep's help pages and Xero's
documented error messages; the Triage view and `axpush log` show them with their fixes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Cause(StrEnum):
    ALREADY_SETTLED = "already-settled"
    ACCOUNT_CODE = "account-code"
    ACCOUNT_TYPE = "account-type"
    MAPPING_MISSING = "mapping-missing"
    TAX_NOT_ALLOWED = "tax-not-allowed"
    NUMBER_CONFLICT = "number-conflict"
    XERO_UNAVAILABLE = "xero-unavailable"
    INTERRUPTED = "interrupted"
    """Sent, and the push stopped (a crash, a quit) before Xero's answer arrived."""
    RATE_LIMITED = "rate-limited"
    NOT_AUTHORISED = "not-authorised"
    WRONG_ORGANISATION = "wrong-organisation"
    BAD_DATA = "bad-data"
    PERIOD_LOCKED = "period-locked"
    """The document's date falls in a period Xero has locked."""
    REFUSED = "refused"

    @property
    def heading(self) -> str:
        return _EXPLANATIONS[self].heading

    @property
    def fix(self) -> str:
        return _EXPLANATIONS[self].fix

    @property
    def label(self) -> str:
        """A few words, for a narrow column."""
        return _LABELS[self]


_LABELS = {
    Cause.ALREADY_SETTLED: "Paid or voided in Xero",
    Cause.ACCOUNT_CODE: "Account without Code",
    Cause.ACCOUNT_TYPE: "Wrong account type",
    Cause.MAPPING_MISSING: "Mapping missing",
    Cause.TAX_NOT_ALLOWED: "Tax not allowed",
    Cause.NUMBER_CONFLICT: "Number conflict",
    Cause.XERO_UNAVAILABLE: "Xero unavailable",
    Cause.INTERRUPTED: "Answer not received",
    Cause.RATE_LIMITED: "Rate limited",
    Cause.NOT_AUTHORISED: "Not authorised",
    Cause.WRONG_ORGANISATION: "Wrong organisation",
    Cause.BAD_DATA: "Bad data from Actionstep",
    Cause.PERIOD_LOCKED: "Period locked in Xero",
    Cause.REFUSED: "Refused by Xero",
}


@dataclass(frozen=True, slots=True)
class _Explanation:
    heading: str
    fix: str


_EXPLANATIONS: dict[Cause, _Explanation] = {
    Cause.ALREADY_SETTLED: _Explanation(
        "Already paid, written off or voided in Xero",
        "Open the invoice in Xero, remove the payment or credit (or re-create a voided invoice), "
        "then push again; or mark it resolved in Xero.",
    ),
    Cause.ACCOUNT_CODE: _Explanation(
        "Xero account has no Code or is archived",
        "Give the Xero account a unique Code (or restore it, or map the row to another "
        "account), refresh the chart (r in the Mapping view), then push again.",
    ),
    Cause.ACCOUNT_TYPE: _Explanation(
        "Xero account of the wrong type",
        "Map income to a revenue-type account and payments received to a BANK account (or one "
        "with payments enabled).",
    ),
    Cause.MAPPING_MISSING: _Explanation(
        "Mapping missing",
        "Map the Actionstep account, tax code or bank account to its Xero counterpart.",
    ),
    Cause.TAX_NOT_ALLOWED: _Explanation(
        "Tax type not allowed on the account",
        "Map the Actionstep tax code to a TaxType that Xero allows on the mapped account.",
    ),
    Cause.NUMBER_CONFLICT: _Explanation(
        "Invoice number already in Xero with different amounts",
        "Compare the two in Xero; void the wrong one there, then push again.",
    ),
    Cause.XERO_UNAVAILABLE: _Explanation(
        "Xero offline or unstable",
        "Nothing to fix here: push again when Xero is back.",
    ),
    Cause.INTERRUPTED: _Explanation(
        "Sent, but the push stopped before Xero answered",
        "Push again: each bill is looked up in Xero first (by invoice number, or a payment by "
        "its Reference), so what already arrived is recorded, not sent twice.",
    ),
    Cause.RATE_LIMITED: _Explanation(
        "Xero rate limit reached",
        "Wait for the limit to reset, then push again.",
    ),
    Cause.NOT_AUTHORISED: _Explanation(
        "Not authorised by Xero",
        "Reconnect to Xero.",
    ),
    Cause.WRONG_ORGANISATION: _Explanation(
        "Connected to a different Xero organisation",
        "Check which organisation is connected; re-bind the profile only on purpose.",
    ),
    Cause.BAD_DATA: _Explanation(
        "Bad data from Actionstep",
        "Correct the bill in Actionstep, then sync again.",
    ),
    Cause.PERIOD_LOCKED: _Explanation(
        "Dated in a period locked in Xero",
        "Ask the accountant to move the lock date in Xero (Advisor > Financial settings), or "
        "date the document on the first open day: push it again with the later date once the "
        "firm agrees.",
    ),
    Cause.REFUSED: _Explanation(
        "Refused by Xero",
        "Read Xero's message, correct the cause, then push again.",
    ),
}

# Xero's texts, lower-cased, with the cause each one means. Order matters: first match wins.
_PATTERNS: tuple[tuple[str, Cause], ...] = (
    ("not of valid status for modification", Cause.ALREADY_SETTLED),
    ("has a payment or credit note allocated", Cause.ALREADY_SETTLED),
    ("payments can only be made against authorised documents", Cause.ALREADY_SETTLED),
    ("payment amount exceeds the amount outstanding", Cause.ALREADY_SETTLED),
    ("cannot be applied to the invoice because it has payments", Cause.ALREADY_SETTLED),
    ("has already been paid off", Cause.ALREADY_SETTLED),
    ("amount is greater than amount outstanding", Cause.ALREADY_SETTLED),
    ("cannot be before the period lock date", Cause.PERIOD_LOCKED),
    ("cannot be before the end of year lock date", Cause.PERIOD_LOCKED),
    ("has been archived, or has been deleted", Cause.ACCOUNT_CODE),
    ("is not a valid code for this document", Cause.ACCOUNT_CODE),
    ("account code must be specified", Cause.ACCOUNT_CODE),
    ("account code or id must be specified", Cause.ACCOUNT_CODE),
    ("account must be valid", Cause.ACCOUNT_CODE),
    ("account type is invalid for making a payment", Cause.ACCOUNT_TYPE),
    ("cannot be used with account code", Cause.TAX_NOT_ALLOWED),
    ("cannot be used for this type of transaction", Cause.TAX_NOT_ALLOWED),
    ("tax rate must be valid", Cause.TAX_NOT_ALLOWED),
    ("must be unique", Cause.NUMBER_CONFLICT),
    ("organisation is offline", Cause.XERO_UNAVAILABLE),
    ("currently offline", Cause.XERO_UNAVAILABLE),
    ("temporarily unavailable", Cause.XERO_UNAVAILABLE),
)


def classify(messages: Iterable[str]) -> Cause:
    """The cause behind Xero's validation messages; `REFUSED` when none is recognised."""
    lowered = [message.lower() for message in messages]
    for pattern, cause in _PATTERNS:
        if any(pattern in message for message in lowered):
            return cause
    return Cause.REFUSED
