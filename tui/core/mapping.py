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

from tui.core.models import Chart, XeroAccount
from tui.core.problems import MappingKey, MappingKind

_TABLES = {
    MappingKind.ACCOUNT: "accounts",
    MappingKind.TAX: "tax_codes",
    MappingKind.BANK: "bank_accounts",
}


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
        return cls(
            str(code) if code is not None else None,
            str(data.get("name") or ""),
            str(data.get("type") or ""),
            str(data.get("status") or ""),
        )


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
    organisation_id: str | None = None
    """The Xero organisation whose chart the rows point into (AccountIDs are per organisation)."""
    organisation_name: str = ""

    def for_organisation(self, organisation_id: str, name: str) -> Mapping:
        return replace(self, organisation_id=organisation_id, organisation_name=name)

    def target(self, key: MappingKey) -> str | None:
        table: dict[str, str] = getattr(self, _TABLES[key.kind])
        return table.get(key.source_id)

    def origin(self, key: MappingKey) -> Origin:
        return self.origins.get(key.text, Origin.ADMIN)

    def with_target(
        self,
        key: MappingKey,
        target: str | None,
        chart: Chart | None = None,
        origin: Origin = Origin.ADMIN,
    ) -> Mapping:
        """A copy with one row set (or cleared when `target` is None), remembering what the
        Xero account looked like in `chart` at that moment."""
        field_name = _TABLES[key.kind]
        table: dict[str, str] = dict(getattr(self, field_name))
        seen, origins = dict(self.seen), dict(self.origins)
        seen.pop(key.text, None)
        origins.pop(key.text, None)
        if target is None:
            table.pop(key.source_id, None)
        else:
            table[key.source_id] = target
            origins[key.text] = origin
            account = (
                chart.accounts.get(target) if chart and key.kind is not MappingKind.TAX else None
            )
            if account is not None:
                seen[key.text] = Seen.of(account)
        tables: dict[str, dict[str, str]] = {n: getattr(self, n) for n in _TABLES.values()}
        tables[field_name] = table
        return replace(
            self,
            accounts=tables["accounts"],
            tax_codes=tables["tax_codes"],
            bank_accounts=tables["bank_accounts"],
            seen=seen,
            origins=origins,
        )

    def accepting(
        self, changes: Iterable[RowChange], chart: Chart, origin: Origin
    ) -> tuple[Mapping, list[RowChange]]:
        """A copy with proposed or imported rows set, and those that were: a row whose target
        is no longer the one the change started from (someone changed it since) is left."""
        mapping, applied = self, []
        for change in changes:
            if mapping.target(change.key) == change.old:
                mapping = mapping.with_target(change.key, change.new, chart, origin)
                applied.append(change)
        return mapping, applied

    def confirmed(self, chart: Chart, keys: Iterable[MappingKey] | None = None) -> Mapping:
        """A copy that takes the chart as it is now for these rows (all by default): what a
        refresh reported has been seen. Rows whose account is gone keep their old picture."""
        seen = dict(self.seen)
        for key in self.keys() if keys is None else keys:
            target = self.target(key)
            account = (
                chart.accounts.get(target) if target and key.kind is not MappingKind.TAX else None
            )
            if account is not None:
                seen[key.text] = Seen.of(account)
        return replace(self, seen=seen)

    def unseen(self, chart: Chart) -> list[MappingKey]:
        """Account rows mapped before axpush kept a picture of their account."""
        return [
            key
            for key in self.keys()
            if key.kind is not MappingKind.TAX
            and key.text not in self.seen
            and self.target(key) in chart.accounts
        ]

    def keys(self) -> list[MappingKey]:
        """Every mapped row."""
        return [
            MappingKey(kind, source_id)
            for kind, name in _TABLES.items()
            for source_id in getattr(self, name)
        ]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: dict(sorted(getattr(self, name).items())) for name in _TABLES.values()
        }
        data["seen"] = {k: v.to_json() for k, v in sorted(self.seen.items())}
        data["origins"] = {k: v.value for k, v in sorted(self.origins.items())}
        if self.organisation_id:
            data["organisation"] = {"id": self.organisation_id, "name": self.organisation_name}
        return data

    @classmethod
    def from_json(cls, data: MappingABC[str, object]) -> Mapping:
        def table(name: str) -> dict[str, object]:
            raw = data.get(name) or {}
            if not isinstance(raw, dict):
                raise ValueError(f"mapping.{name} must be an object")
            return {str(k): v for k, v in raw.items()}

        tables = {name: {k: str(v) for k, v in table(name).items()} for name in _TABLES.values()}
        organisation = table("organisation")
        return cls(
            **tables,
            seen={k: Seen.from_json(v) for k, v in table("seen").items()},
            origins={k: Origin(str(v)) for k, v in table("origins").items()},
            organisation_id=str(organisation["id"]) if organisation.get("id") else None,
            organisation_name=str(organisation.get("name") or ""),
        )


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
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "row": self.row,
            "subject": self.subject,
            "old": self.old,
            "old_label": self.old_label,
            "new": self.new,
            "new_label": self.new_label,
            "how": self.how,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: MappingABC[str, Any]) -> MappingChange:
        def text(name: str) -> str:
            return str(data.get(name) or "")

        def optional(name: str) -> str | None:
            value = data.get(name)
            return None if value is None else str(value)

        return cls(
            datetime.fromisoformat(text("at")),
            text("who"),
            text("row"),
            text("subject"),
            optional("old"),
            text("old_label"),
            optional("new"),
            text("new_label"),
            text("how"),
            text("note"),
        )
