"""The mapping checked against Xero's chart: each row's problem in an accountant's words, what
changed in Xero since a row was mapped, and the rows as the Mapping view lists them.

Preflight, the Mapping view, auto-map, import and `axpush mapping check` all use these, so a
row is judged the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass

from tui.core.mapping import Mapping, Origin
from tui.core.models import Bill, Catalog, Chart, IncomeAccount, TaxCode, XeroAccount
from tui.core.problems import RECEIPTS, MappingKey, MappingKind, Problem
from tui.core.triage import Cause

ACTIVE = "ACTIVE"
BANK = "BANK"


def account_problem(account: IncomeAccount, mapping: Mapping, chart: Chart) -> Problem | None:
    """What is wrong with where this Actionstep account is mapped, if anything."""
    key = MappingKey(MappingKind.ACCOUNT, account.account_id)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, account.label)

    target_id = mapping.accounts.get(account.account_id)
    if target_id is None:
        return problem(
            Cause.MAPPING_MISSING,
            f"Actionstep account {account.label} is not mapped to a Xero account",
            "unmapped",
        )
    target = chart.accounts.get(target_id)
    if target is None:
        return problem(
            Cause.ACCOUNT_CODE,
            f"Actionstep account {account.label} is mapped to a Xero account that "
            "is no longer in Xero's chart",
            "not in Xero",
        )
    if target.status != ACTIVE:
        return problem(
            Cause.ACCOUNT_CODE,
            f"Xero account {target.label} (mapped from {account.label}) is {target.status.lower()}",
            target.status.lower(),
        )
    if not target.code:
        return problem(
            Cause.ACCOUNT_CODE,
            f"Xero account '{target.name}' (mapped from {account.label}) has no Code "
            '(Actionstep\'s "reference #")',
            "no Code",
        )
    if target.type == BANK:
        return problem(
            Cause.ACCOUNT_TYPE,
            f"Xero account {target.label} (mapped from {account.label}) is a bank "
            "account: invoice lines cannot be coded to it",
            "bank account",
        )
    if not target.is_income:
        return problem(
            Cause.ACCOUNT_TYPE,
            f"Xero account {target.label} (mapped from {account.label}) is "
            f"{_article(target.kind)} {target.kind.lower()} account ({target.type}): "
            "what a client is billed belongs in a revenue account",
            "not income",
        )
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def bank_problem(mapping: Mapping, chart: Chart) -> Problem | None:
    """What stops a payment being recorded in Xero, if anything: where receipts go."""
    key = MappingKey(MappingKind.BANK, RECEIPTS)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, "payments received")

    target_id = mapping.bank_accounts.get(RECEIPTS)
    if target_id is None:
        return problem(
            Cause.MAPPING_MISSING,
            "no Xero bank account is mapped for payments "
            "received, so payments cannot be recorded in Xero",
            "unmapped",
        )
    target = chart.accounts.get(target_id)
    if target is None:
        return problem(
            Cause.ACCOUNT_CODE,
            "payments received are mapped to a Xero account that is no longer in Xero's chart",
            "not in Xero",
        )
    if target.status != ACTIVE:
        return problem(
            Cause.ACCOUNT_CODE,
            f"Xero account {target.label}, where payments received go, is {target.status.lower()}",
            target.status.lower(),
        )
    if target.type != BANK and not target.enable_payments:
        return problem(
            Cause.ACCOUNT_TYPE,
            f"Xero account {target.label}, where payments "
            "received go, is neither a bank account nor enabled for payments",
            "not a bank account",
        )
    return None


def tax_problem(
    tax_code: TaxCode, mapping: Mapping, chart: Chart, account: XeroAccount | None = None
) -> Problem | None:
    """What is wrong with where this tax code is mapped, on a line coded to `account`."""
    key = MappingKey(MappingKind.TAX, tax_code.tax_code_id)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, f"tax {tax_code.code}")

    tax_type = mapping.tax_codes.get(tax_code.tax_code_id)
    if tax_type is None:
        return problem(
            Cause.MAPPING_MISSING,
            f"Actionstep tax code {tax_code.label} is not mapped to a Xero TaxType",
            "unmapped",
        )
    rate = chart.tax_rates.get(tax_type)
    if rate is None or rate.status != ACTIVE:
        return problem(
            Cause.TAX_NOT_ALLOWED,
            f"TaxType {tax_type} (mapped from {tax_code.code}) is not an active tax rate in Xero",
            "unknown TaxType",
        )
    if account is not None and not rate.allowed_on(account):
        return problem(
            Cause.TAX_NOT_ALLOWED,
            f"TaxType {tax_type} (mapped from {tax_code.code}) cannot be used with "
            f"account {account.label}",
            "not for sales" if account.is_income else "not on account",
        )
    if account is None and not rate.can_apply_to_revenue:
        return problem(
            Cause.TAX_NOT_ALLOWED,
            f"TaxType {tax_type} (mapped from {tax_code.code}) cannot be used on sales",
            "not for sales",
        )
    return None


def row_problem(
    key: MappingKey, mapping: Mapping, catalog: Catalog, chart: Chart
) -> Problem | None:
    """The problem with one row as mapped (None also when Actionstep has no such row)."""
    if key.kind is MappingKind.ACCOUNT:
        account = catalog.accounts.get(key.source_id)
        return account_problem(account, mapping, chart) if account else None
    if key.kind is MappingKind.TAX:
        tax_code = catalog.tax_codes.get(key.source_id)
        return tax_problem(tax_code, mapping, chart) if tax_code else None
    return bank_problem(mapping, chart)


def source_label(key: MappingKey, catalog: Catalog) -> str:
    """The Actionstep side of a row, as the admin knows it."""
    if key.kind is MappingKind.ACCOUNT:
        account = catalog.accounts.get(key.source_id)
        return account.label if account else f"account {key.source_id}"
    if key.kind is MappingKind.TAX:
        tax_code = catalog.tax_codes.get(key.source_id)
        return tax_code.label if tax_code else f"tax code {key.source_id}"
    return "Payments received"


def target_label(
    key: MappingKey, target: str | None, chart: Chart, mapping: Mapping | None = None
) -> str:
    """The Xero side of a row: "201 Legal Fees", "OUTPUT GST on Income", "" when unmapped; an
    account gone from the chart as `mapping` last saw it."""
    if target is None:
        return ""
    if key.kind is MappingKind.TAX:
        rate = chart.tax_rates.get(target)
        return rate.label if rate else target
    account = chart.accounts.get(target)
    if account is not None:
        return account.label
    seen = mapping.seen.get(key.text) if mapping and mapping.target(key) == target else None
    return f"{seen.code or '(no code)'} {seen.name} (not in Xero)" if seen else f"? {target}"


def gained_code(key: MappingKey, mapping: Mapping, chart: Chart) -> bool:
    """The row's account had no Code when last seen and has one now (the fix for "no Code")."""
    target, seen = mapping.target(key), mapping.seen.get(key.text)
    now = chart.accounts.get(target) if target and key.kind is not MappingKind.TAX else None
    return bool(seen and now and not seen.code and now.code)


def drift(key: MappingKey, mapping: Mapping, chart: Chart) -> str | None:
    """What changed in Xero about this row's account since it was mapped or last confirmed:
    archived, deleted, lost or changed its Code, changed type, renamed."""
    target, seen = mapping.target(key), mapping.seen.get(key.text)
    if key.kind is MappingKind.TAX or target is None or seen is None:
        return None
    now = chart.accounts.get(target)
    if now is None:
        return f"deleted from Xero since it was mapped (was {seen.code or '(no code)'} {seen.name})"
    changes: list[str] = []
    if now.status != seen.status:
        changes.append(f"{now.status.lower()} (was {seen.status.lower()})")
    if seen.code and not now.code:
        changes.append(f"lost its Code (was {seen.code})")
    elif seen.code and now.code != seen.code:
        changes.append(f"Code {seen.code} → {now.code}")
    # An account that had no Code and has one now is the fix for "no Code", not a surprise.
    if now.type != seen.type:
        changes.append(f"type {seen.type} → {now.type}")
    if now.name != seen.name:
        changes.append(f"renamed from '{seen.name}'")
    return ", ".join(changes) + " since it was mapped" if changes else None


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One line of the Mapping screen."""

    key: MappingKey
    source_label: str
    target: str | None
    target_label: str
    problem: Problem | None
    bills_blocked: int
    drift: str | None = None
    """What changed in Xero since the row was mapped, until someone confirms it."""
    origin: Origin = Origin.ADMIN


def mapping_rows(
    catalog: Catalog, mapping: Mapping, chart: Chart, blocked_by_row: MappingABC[MappingKey, int]
) -> list[MappingRow]:
    """Every Actionstep account, then every tax code, then where payments go."""
    keys = [
        *(
            MappingKey(MappingKind.ACCOUNT, a.account_id)
            for a in sorted(catalog.accounts.values(), key=lambda a: a.number)
        ),
        *(
            MappingKey(MappingKind.TAX, t.tax_code_id)
            for t in sorted(catalog.tax_codes.values(), key=lambda t: t.code)
        ),
        MappingKey(MappingKind.BANK, RECEIPTS),
    ]
    return [
        MappingRow(
            key,
            source_label(key, catalog),
            mapping.target(key),
            target_label(key, mapping.target(key), chart, mapping),
            row_problem(key, mapping, catalog, chart),
            blocked_by_row.get(key, 0),
            drift(key, mapping, chart),
            mapping.origin(key),
        )
        for key in keys
    ]


def uses_row(bill: Bill, key: MappingKey) -> bool:
    """Whether this mapping row codes any of the bill's lines (the bank row: its receipts)."""
    if key.kind is MappingKind.BANK:
        return bill.total_paid > 0
    if key.kind is MappingKind.TAX:
        return any(line.tax_code_id == key.source_id for line in bill.lines)
    return any(line.account_id == key.source_id for line in bill.lines)
