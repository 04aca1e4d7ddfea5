"""The account mapping: which Xero account and TaxType each Actionstep account and tax code goes to.

Accounts are mapped to a Xero AccountID, not a Code: a Code can be edited or removed in Xero, and
the mapping must notice that rather than silently follow a code to another account.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from tui.core.models import Catalog, Chart, IncomeAccount, TaxCode, XeroAccount
from tui.core.problems import RECEIPTS, MappingKey, MappingKind, Problem
from tui.core.triage import Cause

ACTIVE = "ACTIVE"
BANK = "BANK"
_TABLES = {MappingKind.ACCOUNT: "accounts", MappingKind.TAX: "tax_codes",
           MappingKind.BANK: "bank_accounts"}


class Origin(StrEnum):
    """Who set a row: auto-map may redo its own rows, never one a person set."""

    ADMIN = "admin"
    AUTO = "auto"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Seen:
    """A mapped Xero account as it was when it was mapped (or last confirmed), so a chart
    refresh can say what changed since: archived, deleted, lost its Code, changed type."""

    code: str | None
    name: str
    type: str
    status: str

    @classmethod
    def of(cls, account: XeroAccount) -> Seen:
        return cls(account.code, account.name, account.type, account.status)

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "name": self.name, "type": self.type, "status": self.status}

    @classmethod
    def from_json(cls, data: object) -> Seen:
        if not isinstance(data, dict):
            raise ValueError("mapping.seen entries must be objects")
        code = data.get("code")
        return cls(str(code) if code is not None else None, str(data.get("name") or ""),
                   str(data.get("type") or ""), str(data.get("status") or ""))


@dataclass(frozen=True, slots=True)
class Mapping:
    accounts: dict[str, str] = field(default_factory=dict)
    """Actionstep income account id -> Xero AccountID."""
    tax_codes: dict[str, str] = field(default_factory=dict)
    """Actionstep tax code id -> Xero TaxType."""
    bank_accounts: dict[str, str] = field(default_factory=dict)
    """Where payments received go: `RECEIPTS` -> Xero AccountID of a bank account."""
    seen: dict[str, Seen] = field(default_factory=dict)
    """Row (`MappingKey.text`) -> its Xero account as last confirmed; account rows only."""
    origins: dict[str, Origin] = field(default_factory=dict)
    """Row -> who set it; a row without one counts as set by a person."""

    def target(self, key: MappingKey) -> str | None:
        table: dict[str, str] = getattr(self, _TABLES[key.kind])
        return table.get(key.source_id)

    def origin(self, key: MappingKey) -> Origin:
        return self.origins.get(key.text, Origin.ADMIN)

    def with_target(self, key: MappingKey, target: str | None, chart: Chart | None = None,
                    origin: Origin = Origin.ADMIN) -> Mapping:
        """A copy with one row set (or cleared when `target` is None), remembering what the
        Xero account looked like in `chart` at that moment."""
        field_name = _TABLES[key.kind]
        table = dict(getattr(self, field_name))
        seen, origins = dict(self.seen), dict(self.origins)
        seen.pop(key.text, None)
        origins.pop(key.text, None)
        if target is None:
            table.pop(key.source_id, None)
        else:
            table[key.source_id] = target
            origins[key.text] = origin
            account = chart.accounts.get(target) if chart and key.kind is not \
                MappingKind.TAX else None
            if account is not None:
                seen[key.text] = Seen.of(account)
        return replace(self, **{field_name: table}, seen=seen, origins=origins)

    def confirmed(self, chart: Chart, keys: Iterable[MappingKey] | None = None) -> Mapping:
        """A copy that takes the chart as it is now for these rows (all by default): what a
        refresh reported has been seen. Rows whose account is gone keep their old picture."""
        seen = dict(self.seen)
        for key in self.keys() if keys is None else keys:
            target = self.target(key)
            account = chart.accounts.get(target) if target and key.kind is not \
                MappingKind.TAX else None
            if account is not None:
                seen[key.text] = Seen.of(account)
        return replace(self, seen=seen)

    def unseen(self, chart: Chart) -> list[MappingKey]:
        """Account rows mapped before axpush kept a picture of their account."""
        return [key for key in self.keys() if key.kind is not MappingKind.TAX
                and key.text not in self.seen and self.target(key) in chart.accounts]

    def keys(self) -> list[MappingKey]:
        """Every mapped row."""
        return [MappingKey(kind, source_id) for kind, name in _TABLES.items()
                for source_id in getattr(self, name)]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: dict(sorted(getattr(self, name).items()))
                                for name in _TABLES.values()}
        data["seen"] = {k: v.to_json() for k, v in sorted(self.seen.items())}
        data["origins"] = {k: v.value for k, v in sorted(self.origins.items())}
        return data

    @classmethod
    def from_json(cls, data: MappingABC[str, object]) -> Mapping:
        def table(name: str) -> dict[str, object]:
            raw = data.get(name) or {}
            if not isinstance(raw, dict):
                raise ValueError(f"mapping.{name} must be an object")
            return {str(k): v for k, v in raw.items()}

        tables = {name: {k: str(v) for k, v in table(name).items()}
                  for name in _TABLES.values()}
        return cls(**tables,
                   seen={k: Seen.from_json(v) for k, v in table("seen").items()},
                   origins={k: Origin(str(v)) for k, v in table("origins").items()})


@dataclass(frozen=True, slots=True)
class RowChange:
    """A change to one row that someone may accept: from auto-map or an imported file."""

    key: MappingKey
    subject: str
    old: str | None
    old_label: str
    new: str
    new_label: str
    reason: str = ""
    """Why this target: "same Code 201", "same name (GST on Income)"."""

    def line(self) -> str:
        why = f"  ({self.reason})" if self.reason else ""
        return f"{self.subject}: {self.old_label or '(unmapped)'} → {self.new_label}{why}"


@dataclass(frozen=True, slots=True)
class MappingChange:
    """One change to one row, for the mapping's history: who, when, old -> new, and how."""

    at: datetime
    who: str
    row: str
    subject: str
    old: str | None
    old_label: str
    new: str | None
    new_label: str
    how: str
    """"set", "unset", "auto", "import", or "confirmed" (a chart change acknowledged)."""
    note: str = ""
    """Why: auto-map's reason, the file imported, what changed in Xero."""

    def line(self) -> str:
        old = self.old_label or "(unmapped)"
        new = self.new_label or "(unmapped)"
        when = self.at.astimezone().strftime("%Y-%m-%d %H:%M")
        note = f"  ({self.note})" if self.note else ""
        return f"{when}  {self.who}  {self.how:<9} {self.subject}: {old} → {new}{note}"

    def to_json(self) -> dict[str, str | None]:
        return {"at": self.at.isoformat(), "who": self.who, "row": self.row,
                "subject": self.subject, "old": self.old, "old_label": self.old_label,
                "new": self.new, "new_label": self.new_label, "how": self.how,
                "note": self.note}

    @classmethod
    def from_json(cls, data: MappingABC[str, Any]) -> MappingChange:
        def text(name: str) -> str:
            return str(data.get(name) or "")

        def optional(name: str) -> str | None:
            value = data.get(name)
            return None if value is None else str(value)

        return cls(datetime.fromisoformat(text("at")), text("who"), text("row"),
                   text("subject"), optional("old"), text("old_label"), optional("new"),
                   text("new_label"), text("how"), text("note"))


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
    if not target.is_income:
        return problem(Cause.ACCOUNT_TYPE,
                       f"Xero account {target.label} (mapped from {account.label}) is "
                       f"{_article(target.kind)} {target.kind.lower()} account ({target.type}): "
                       "what a client is billed belongs in a revenue account", "not income")
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
    if account is not None and not rate.allowed_on(account):
        return problem(Cause.TAX_NOT_ALLOWED,
                       f"TaxType {tax_type} (mapped from {tax_code.code}) cannot be used with "
                       f"account {account.label}",
                       "not for sales" if account.is_income else "not on account")
    if account is None and not rate.can_apply_to_revenue:
        return problem(Cause.TAX_NOT_ALLOWED,
                       f"TaxType {tax_type} (mapped from {tax_code.code}) cannot be used on "
                       "sales", "not for sales")
    return None


def row_problem(key: MappingKey, mapping: Mapping, catalog: Catalog,
                chart: Chart) -> Problem | None:
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


def target_label(key: MappingKey, target: str | None, chart: Chart) -> str:
    """The Xero side of a row: "201 Legal Fees", "OUTPUT GST on Income", "" when unmapped."""
    if target is None:
        return ""
    if key.kind is MappingKind.TAX:
        rate = chart.tax_rates.get(target)
        return rate.label if rate else target
    account = chart.accounts.get(target)
    return account.label if account else f"? {target}"


def drift(key: MappingKey, mapping: Mapping, chart: Chart) -> str | None:
    """What changed in Xero about this row's account since it was mapped or last confirmed:
    archived, deleted, lost or changed its Code, changed type, renamed."""
    target, seen = mapping.target(key), mapping.seen.get(key.text)
    if key.kind is MappingKind.TAX or target is None or seen is None:
        return None
    now = chart.accounts.get(target)
    if now is None:
        return f"deleted from Xero since it was mapped (was {seen.code or '(no code)'} " \
               f"{seen.name})"
    changes: list[str] = []
    if now.status != seen.status:
        changes.append(f"{now.status.lower()} (was {seen.status.lower()})")
    if seen.code and not now.code:
        changes.append(f"lost its Code (was {seen.code})")
    elif now.code != seen.code:
        changes.append(f"Code {seen.code or '(none)'} → {now.code}")
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


def mapping_rows(catalog: Catalog, mapping: Mapping, chart: Chart,
                 blocked_by_row: MappingABC[MappingKey, int]) -> list[MappingRow]:
    """Every Actionstep account, then every tax code, then where payments go."""
    keys = [*(MappingKey(MappingKind.ACCOUNT, a.account_id)
              for a in sorted(catalog.accounts.values(), key=lambda a: a.number)),
            *(MappingKey(MappingKind.TAX, t.tax_code_id)
              for t in sorted(catalog.tax_codes.values(), key=lambda t: t.code)),
            MappingKey(MappingKind.BANK, RECEIPTS)]
    return [MappingRow(key, source_label(key, catalog), mapping.target(key),
                       target_label(key, mapping.target(key), chart),
                       row_problem(key, mapping, catalog, chart), blocked_by_row.get(key, 0),
                       drift(key, mapping, chart), mapping.origin(key))
            for key in keys]
