"""The account mapping: which Xero account and TaxType each Actionstep account and tax code goes to.

Accounts are mapped to a Xero AccountID, not a Code: a Code can be edited or removed in Xero, and
the mapping must notice that rather than silently follow a code to another account.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace

from tui.core.models import Catalog, Chart, IncomeAccount, TaxCode, XeroAccount
from tui.core.problems import RECEIPTS, MappingKey, MappingKind, Problem
from tui.core.triage import Cause

ACTIVE = "ACTIVE"
BANK = "BANK"
_TABLES = {MappingKind.ACCOUNT: "accounts", MappingKind.TAX: "tax_codes",
           MappingKind.BANK: "bank_accounts"}


@dataclass(frozen=True, slots=True)
class Mapping:
    accounts: dict[str, str] = field(default_factory=dict)
    """Actionstep income account id -> Xero AccountID."""
    tax_codes: dict[str, str] = field(default_factory=dict)
    """Actionstep tax code id -> Xero TaxType."""
    bank_accounts: dict[str, str] = field(default_factory=dict)
    """Where payments received go: `RECEIPTS` -> Xero AccountID of a bank account."""

    def target(self, key: MappingKey) -> str | None:
        table: dict[str, str] = getattr(self, _TABLES[key.kind])
        return table.get(key.source_id)

    def with_target(self, key: MappingKey, target: str | None) -> Mapping:
        """A copy with one row set (or cleared when `target` is None)."""
        field_name = _TABLES[key.kind]
        table = dict(getattr(self, field_name))
        if target is None:
            table.pop(key.source_id, None)
        else:
            table[key.source_id] = target
        return replace(self, **{field_name: table})

    def to_json(self) -> dict[str, dict[str, str]]:
        return {name: dict(sorted(getattr(self, name).items())) for name in _TABLES.values()}

    @classmethod
    def from_json(cls, data: MappingABC[str, object]) -> Mapping:
        def table(name: str) -> dict[str, str]:
            raw = data.get(name) or {}
            if not isinstance(raw, dict):
                raise ValueError(f"mapping.{name} must be an object")
            return {str(k): str(v) for k, v in raw.items()}

        return cls(**{name: table(name) for name in _TABLES.values()})


def account_problem(account: IncomeAccount, mapping: Mapping, chart: Chart) -> Problem | None:
    """What is wrong with where this Actionstep account is mapped, if anything."""
    key = MappingKey(MappingKind.ACCOUNT, account.account_id)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, account.label)

    target_id = mapping.accounts.get(account.account_id)
    if target_id is None:
        return problem(Cause.MAPPING_MISSING,
                       f"Actionstep account {account.label} is not mapped to a Xero account",
                       "unmapped")
    target = chart.accounts.get(target_id)
    if target is None:
        return problem(Cause.ACCOUNT_CODE,
                       f"Actionstep account {account.label} is mapped to a Xero account that "
                       "is no longer in Xero's chart", "not in Xero")
    if target.status != ACTIVE:
        return problem(Cause.ACCOUNT_CODE,
                       f"Xero account {target.label} (mapped from {account.label}) is "
                       f"{target.status.lower()}", target.status.lower())
    if not target.code:
        return problem(Cause.ACCOUNT_CODE,
                       f"Xero account '{target.name}' (mapped from {account.label}) has no Code "
                       "(Actionstep's \"reference #\")", "no Code")
    if target.type == BANK:
        return problem(Cause.ACCOUNT_TYPE,
                       f"Xero account {target.label} (mapped from {account.label}) is a bank "
                       "account: invoice lines cannot be coded to it", "bank account")
    return None


def bank_problem(mapping: Mapping, chart: Chart) -> Problem | None:
    """What stops a payment being recorded in Xero, if anything: where receipts go."""
    key = MappingKey(MappingKind.BANK, RECEIPTS)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, "payments received")

    target_id = mapping.bank_accounts.get(RECEIPTS)
    if target_id is None:
        return problem(Cause.MAPPING_MISSING, "no Xero bank account is mapped for payments "
                       "received, so payments cannot be recorded in Xero", "unmapped")
    target = chart.accounts.get(target_id)
    if target is None:
        return problem(Cause.ACCOUNT_CODE, "payments received are mapped to a Xero account "
                       "that is no longer in Xero's chart", "not in Xero")
    if target.status != ACTIVE:
        return problem(Cause.ACCOUNT_CODE, f"Xero account {target.label}, where payments "
                       f"received go, is {target.status.lower()}", target.status.lower())
    if target.type != BANK and not target.enable_payments:
        return problem(Cause.ACCOUNT_TYPE, f"Xero account {target.label}, where payments "
                       "received go, is neither a bank account nor enabled for payments",
                       "not a bank account")
    return None


def tax_problem(tax_code: TaxCode, mapping: Mapping, chart: Chart,
                account: XeroAccount | None = None) -> Problem | None:
    """What is wrong with where this tax code is mapped, on a line coded to `account`."""
    key = MappingKey(MappingKind.TAX, tax_code.tax_code_id)

    def problem(cause: Cause, message: str, short: str) -> Problem:
        return Problem(cause, message, key, short, f"tax {tax_code.code}")

    tax_type = mapping.tax_codes.get(tax_code.tax_code_id)
    if tax_type is None:
        return problem(Cause.MAPPING_MISSING,
                       f"Actionstep tax code {tax_code.label} is not mapped to a Xero TaxType",
                       "unmapped")
    rate = chart.tax_rates.get(tax_type)
    if rate is None or rate.status != ACTIVE:
        return problem(Cause.TAX_NOT_ALLOWED,
                       f"TaxType {tax_type} (mapped from {tax_code.code}) is not an active tax "
                       "rate in Xero", "unknown TaxType")
    if not rate.can_apply_to_revenue:
        where = f" with account {account.label}" if account else " on sales"
        return problem(Cause.TAX_NOT_ALLOWED,
                       f"TaxType {tax_type} (mapped from {tax_code.code}) cannot be used{where}",
                       "not for sales")
    return None


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One line of the Mapping screen."""

    key: MappingKey
    source_label: str
    target: str | None
    target_label: str
    problem: Problem | None
    bills_blocked: int


def mapping_rows(catalog: Catalog, mapping: Mapping, chart: Chart,
                 blocked_by_row: MappingABC[MappingKey, int]) -> list[MappingRow]:
    """Every Actionstep account, then every tax code, then where payments go."""
    rows: list[MappingRow] = []
    for account in sorted(catalog.accounts.values(), key=lambda a: a.number):
        key = MappingKey(MappingKind.ACCOUNT, account.account_id)
        target = mapping.accounts.get(account.account_id)
        xero = chart.accounts.get(target) if target else None
        label = xero.label if xero else (f"? {target}" if target else "")
        rows.append(MappingRow(key, account.label, target, label,
                               account_problem(account, mapping, chart),
                               blocked_by_row.get(key, 0)))
    for tax_code in sorted(catalog.tax_codes.values(), key=lambda t: t.code):
        key = MappingKey(MappingKind.TAX, tax_code.tax_code_id)
        target = mapping.tax_codes.get(tax_code.tax_code_id)
        rate = chart.tax_rates.get(target) if target else None
        label = rate.label if rate else (target or "")
        rows.append(MappingRow(key, tax_code.label, target, label,
                               tax_problem(tax_code, mapping, chart),
                               blocked_by_row.get(key, 0)))
    key = MappingKey(MappingKind.BANK, RECEIPTS)
    target = mapping.bank_accounts.get(RECEIPTS)
    bank = chart.accounts.get(target) if target else None
    rows.append(MappingRow(key, "Payments received", target,
                           bank.label if bank else (f"? {target}" if target else ""),
                           bank_problem(mapping, chart), blocked_by_row.get(key, 0)))
    return rows
