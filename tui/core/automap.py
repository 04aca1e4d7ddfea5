"""Auto-map: propose Xero targets for the rows nobody has set, by exact Code, then by name.

Actionstep's account numbers usually equal Xero's Codes, because the first Xero organisation a
firm connected wrote its chart into Actionstep; so most of a mapping can be proposed. A proposal
is only made when exactly one usable target matches, and never for a row a person set: an
admin's choice (or an imported file) always wins over a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tui.core.mapping import Mapping, Origin, RowChange
from tui.core.mapping_check import ACTIVE, BANK, row_problem, source_label, target_label
from tui.core.models import Catalog, Chart
from tui.core.problems import RECEIPTS, MappingKey, MappingKind

GENERIC_WORDS = frozenset({"income", "revenue", "fee", "fees", "sales"})
"""Words that name the kind of account rather than which one: "Conveyancing Fees" in
Actionstep is "Conveyancing Income" in Xero."""


def normalised(name: str) -> tuple[str, ...]:
    """A name as words to compare: case, punctuation, "&", a "(10%)" and words like "Fees" or
    "Income" do not count."""
    name = re.sub(r"\([^)]*\)", " ", name.lower()).replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", name)
    kept = tuple(w for w in words if w not in GENERIC_WORDS)
    return kept or tuple(words)


def propose(catalog: Catalog, mapping: Mapping, chart: Chart) -> list[RowChange]:
    """A target for every row that is unmapped, or was auto-mapped and has a problem now."""
    proposals: list[RowChange] = []

    def consider(key: MappingKey, found: tuple[str, str] | None) -> None:
        if found is None or not _open_to_proposal(key, mapping, catalog, chart):
            return
        target, reason = found
        old = mapping.target(key)
        if (
            target == old
            or row_problem(key, mapping.with_target(key, target, chart), catalog, chart) is not None
        ):
            return
        proposals.append(
            RowChange(
                key,
                source_label(key, catalog),
                old,
                target_label(key, old, chart, mapping),
                target,
                target_label(key, target, chart),
                reason,
            )
        )

    income = _Index(
        (a.account_id, a.code or "", a.name)
        for a in chart.accounts.values()
        if a.status == ACTIVE and a.code and a.is_income
    )
    for account in sorted(catalog.accounts.values(), key=lambda a: a.number):
        consider(
            MappingKey(MappingKind.ACCOUNT, account.account_id),
            income.find(account.number, account.name),
        )
    rates = _Index(
        (r.tax_type, r.tax_type, r.name)
        for r in chart.tax_rates.values()
        if r.status == ACTIVE and r.can_apply_to_revenue
    )
    for tax_code in sorted(catalog.tax_codes.values(), key=lambda t: t.code):
        consider(
            MappingKey(MappingKind.TAX, tax_code.tax_code_id),
            rates.find(tax_code.code, tax_code.description),
        )
    banks = [
        a
        for a in chart.accounts.values()
        if a.status == ACTIVE and a.code and a.type == BANK and "trust" not in a.name.lower()
    ]
    if len(banks) == 1:
        consider(
            MappingKey(MappingKind.BANK, RECEIPTS),
            (banks[0].account_id, "only office bank account"),
        )
    return proposals


def apply(mapping: Mapping, proposals: Iterable[RowChange], chart: Chart) -> Mapping:
    return mapping.accepting(proposals, chart, Origin.AUTO)[0]


def _open_to_proposal(key: MappingKey, mapping: Mapping, catalog: Catalog, chart: Chart) -> bool:
    if mapping.target(key) is None:
        return True
    return (
        mapping.origin(key) is Origin.AUTO and row_problem(key, mapping, catalog, chart) is not None
    )


class _Index:
    """Candidates (target, Code, name) by Code and by normalised name, built once."""

    def __init__(self, candidates: Iterable[tuple[str, str, str]]) -> None:
        self.by_code: dict[str, list[tuple[str, str]]] = {}
        self.by_name: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for target, code, name in candidates:
            self.by_code.setdefault(code.strip().lower(), []).append((target, name))
            self.by_name.setdefault(normalised(name), []).append((target, name))

    def find(self, code: str, name: str) -> tuple[str, str] | None:
        """The one candidate with the same Code, else the one with the same normalised name;
        with the reason."""
        wanted = code.strip().lower()
        same_code = self.by_code.get(wanted, []) if wanted else []
        if len(same_code) == 1:
            return same_code[0][0], f"same Code {code.strip()}"
        if same_code:
            return None  # two accounts share a Code: not ours to pick
        words = normalised(name)
        same_name = self.by_name.get(words, []) if words else []
        if len(same_name) == 1:
            return same_name[0][0], "same name"
        return None
