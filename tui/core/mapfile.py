"""The mapping as a file: export to JSON an admin can read and edit, import with every row
checked before anything changes.

Rows are named as people name them (Actionstep account numbers and tax codes, Xero Codes and
TaxTypes); Xero AccountIDs ride along so a Code edited in Xero cannot silently redirect a row.
A row whose Xero side is empty (null or absent) is left as it is: import adds and changes rows,
it never unmaps one.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import Any

from tui.core.mapping import Mapping, Origin, RowChange
from tui.core.mapping_check import row_problem, source_label, target_label
from tui.core.models import Catalog, Chart, Organisation, XeroAccount
from tui.core.problems import RECEIPTS, MappingKey, MappingKind

FORMAT = "axpush-mapping"
VERSION = 1
_TOP = {"format", "version", "organisation", "accounts", "tax_codes", "payments_received"}
_ACCOUNT_FIELDS = {"actionstep", "name", "xero_code", "xero_name", "xero_account_id"}
_TAX_FIELDS = {"actionstep", "name", "xero_tax_type", "xero_name"}
_BANK_FIELDS = {"xero_code", "xero_name", "xero_account_id"}


def export(
    catalog: Catalog, mapping: Mapping, chart: Chart, organisation: Organisation | None
) -> dict[str, Any]:
    """Every row, mapped or not (an unmapped row is a blank to fill in), in a stable order."""

    def account_fields(key: MappingKey) -> dict[str, str | None]:
        """The row's Xero account as the chart has it; an account the chart no longer has
        (another organisation's, after a swap) as it was when mapped, so `--by-code` can
        carry the row over."""
        target = mapping.target(key)
        account = chart.accounts.get(target) if target else None
        seen = mapping.seen.get(key.text) if account is None else None
        return {
            "xero_code": account.code if account else seen.code if seen else None,
            "xero_name": account.name if account else seen.name if seen else None,
            "xero_account_id": target,
        }

    data: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if organisation is not None:
        data["organisation"] = {"name": organisation.name, "id": organisation.organisation_id}
    data["accounts"] = [
        {
            "actionstep": a.number,
            "name": a.name,
            **account_fields(MappingKey(MappingKind.ACCOUNT, a.account_id)),
        }
        for a in sorted(catalog.accounts.values(), key=lambda a: a.number)
    ]
    data["tax_codes"] = []
    for tax_code in sorted(catalog.tax_codes.values(), key=lambda t: t.code):
        tax_type = mapping.tax_codes.get(tax_code.tax_code_id)
        rate = chart.tax_rates.get(tax_type) if tax_type else None
        data["tax_codes"].append(
            {
                "actionstep": tax_code.code,
                "name": tax_code.description,
                "xero_tax_type": tax_type,
                "xero_name": rate.name if rate else None,
            }
        )
    data["payments_received"] = account_fields(MappingKey(MappingKind.BANK, RECEIPTS))
    return data


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import would do; `errors` non-empty means it must do nothing."""

    changes: list[RowChange]
    unchanged: int
    errors: list[str]

    def mapping(self, mapping: Mapping, chart: Chart) -> Mapping:
        if self.errors:
            raise ValueError("an import with errors changes nothing")
        return mapping.accepting(self.changes, chart, Origin.IMPORT)[0]


class _Rows:
    """Collects the file's rows, the errors in it, and the conflicts between rows."""

    def __init__(self, catalog: Catalog, chart: Chart, by_code: bool) -> None:
        self.catalog, self.chart, self.by_code = catalog, chart, by_code
        self.errors: list[str] = []
        self.targets: dict[MappingKey, tuple[str, str]] = {}
        """Row -> (target, where in the file it was set)."""

    def fields(self, where: str, entry: object, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(entry, dict):
            self.errors.append(f"{where}: must be an object")
            return None
        unknown = sorted(set(entry) - allowed)
        if unknown:
            self.errors.append(
                f"{where}: unknown field {', '.join(map(repr, unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
            return None
        for name, value in entry.items():
            if value is not None and not isinstance(value, str):
                self.errors.append(f"{where}: {name} must be a string or null")
                return None
        return entry

    def sources(
        self,
        data: MappingABC[str, Any],
        section: str,
        allowed: set[str],
        known: MappingABC[str, str],
        what: str,
    ) -> Iterator[tuple[str, MappingABC[str, Any], str]]:
        """Each usable row of a section: where it is, its fields, its Actionstep id."""
        for where, entry in _entries(data, section, self.errors):
            fields = self.fields(where, entry, allowed)
            if fields is None:
                continue
            source_id = known.get(fields.get("actionstep") or "")
            if source_id is None:
                self.errors.append(
                    f"{where}: Actionstep has no {what} {fields.get('actionstep')!r}"
                )
                continue
            yield where, fields, source_id

    def tax_type(self, where: str, entry: MappingABC[str, Any]) -> str | None:
        tax_type = entry.get("xero_tax_type")
        if tax_type and tax_type not in self.chart.tax_rates:
            self.errors.append(f"{where}: Xero has no TaxType {tax_type}")
            return None
        return str(tax_type) if tax_type else None

    def account(self, where: str, entry: MappingABC[str, Any]) -> str | None:
        """The Xero AccountID a row names, by id (unless matching by Code) and Code."""
        account_id = None if self.by_code else entry.get("xero_account_id")
        code = entry.get("xero_code")
        found: XeroAccount | None = None
        if account_id:
            found = self.chart.accounts.get(account_id)
            if found is None:
                self.errors.append(
                    f"{where}: Xero has no account with id {account_id} (from "
                    "another organisation? import with --by-code)"
                )
                return None
            if code and found.code != code:
                self.errors.append(
                    f"{where}: xero_code {code} is not the Code of that "
                    f"account, which is {found.label}"
                )
                return None
        elif code:
            found = self.chart.account_by_code(code)
            if found is None:
                self.errors.append(f"{where}: Xero's chart has no account with Code {code}")
                return None
        return found.account_id if found else None

    def set(self, where: str, key: MappingKey, target: str | None) -> None:
        if target is None:
            return
        earlier = self.targets.get(key)
        if earlier is not None and earlier[0] != target:
            self.errors.append(
                f"{where}: conflicts with {earlier[1]}, which maps "
                f"{source_label(key, self.catalog)} elsewhere"
            )
            return
        self.targets[key] = (target, where)


def plan_import(
    data: object,
    catalog: Catalog,
    mapping: Mapping,
    chart: Chart,
    organisation: Organisation | None,
    *,
    by_code: bool = False,
) -> ImportPlan:
    """Check a file against Actionstep's rows and Xero's chart; say every problem, by row."""
    rows = _Rows(catalog, chart, by_code)
    if not isinstance(data, dict):
        return ImportPlan([], 0, ["the file must hold a JSON object (see `axpush mapping export`)"])
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        rows.errors.append(
            f'not a mapping file: expected "format": "{FORMAT}" and "version": {VERSION}'
        )
    unknown = sorted(set(data) - _TOP)
    if unknown:
        rows.errors.append(f"unknown top-level field {', '.join(map(repr, unknown))}")
    _check_organisation(data.get("organisation"), organisation, by_code, rows.errors)
    accounts = {a.number: a.account_id for a in catalog.accounts.values()}
    for where, fields, source_id in rows.sources(
        data, "accounts", _ACCOUNT_FIELDS, accounts, "income account numbered"
    ):
        rows.set(where, MappingKey(MappingKind.ACCOUNT, source_id), rows.account(where, fields))
    tax_codes = {t.code: t.tax_code_id for t in catalog.tax_codes.values()}
    for where, fields, source_id in rows.sources(
        data, "tax_codes", _TAX_FIELDS, tax_codes, "tax code"
    ):
        rows.set(where, MappingKey(MappingKind.TAX, source_id), rows.tax_type(where, fields))
    bank = data.get("payments_received")
    if bank is not None:
        bank_fields = rows.fields("payments_received", bank, _BANK_FIELDS)
        if bank_fields is not None:
            rows.set(
                "payments_received",
                MappingKey(MappingKind.BANK, RECEIPTS),
                rows.account("payments_received", bank_fields),
            )
    return _plan(rows, catalog, mapping, chart)


def _plan(rows: _Rows, catalog: Catalog, mapping: Mapping, chart: Chart) -> ImportPlan:
    changes: list[RowChange] = []
    unchanged = 0
    for key, (target, where) in rows.targets.items():
        problem = row_problem(key, mapping.with_target(key, target, chart), catalog, chart)
        if problem is not None:
            rows.errors.append(f"{where}: {problem.message}")
            continue
        old = mapping.target(key)
        if old == target:
            unchanged += 1
            continue
        changes.append(
            RowChange(
                key,
                source_label(key, catalog),
                old,
                target_label(key, old, chart, mapping),
                target,
                target_label(key, target, chart),
            )
        )
    return ImportPlan(changes, unchanged, rows.errors)


def _entries(data: MappingABC[str, Any], name: str, errors: list[str]) -> list[tuple[str, object]]:
    section = data.get(name)
    if section is None:
        return []
    if not isinstance(section, list):
        errors.append(f"{name}: must be a list of rows")
        return []
    return [(f"{name}[{i}]", entry) for i, entry in enumerate(section)]


def _check_organisation(
    declared: object, bound: Organisation | None, by_code: bool, errors: list[str]
) -> None:
    """A mapping belongs to one organisation's chart: another's AccountIDs mean nothing here."""
    if declared is None or by_code or bound is None:
        return
    if not isinstance(declared, dict):
        errors.append("organisation: must be an object with name and id")
        return
    if declared.get("id") != bound.organisation_id:
        errors.append(
            f"organisation: the file was exported from {declared.get('name')!r}, "
            f"but Xero here is {bound.name!r}; to reuse it, import with --by-code "
            "(rows are matched by Xero Code, AccountIDs ignored)"
        )
