"""Actionstep's arithmetic and the changes a firm makes to its bills, in the sandbox.

A bill's lines are its time entries and disbursements (see README, "Assumptions"). A time
entry's amount is its `billableAmount`; a disbursement's is `quantity x unitPrice`, tax-inclusive
when `unitPriceIncludesTax` is "T". Each line's amount and tax are rounded half-up to the cent and
a bill's totals are the sums of its lines. Any change stamps `modifiedTimestamp`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tui.sandbox.formats import actionstep_stamp

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
Resources = dict[str, dict[int, dict[str, Any]]]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(kind: str, record: dict[str, Any], rate: Decimal) -> tuple[Decimal, Decimal]:
    """(amount exclusive of tax, tax) of a time entry or disbursement, as Actionstep rounds."""
    if kind == "timeentries":
        amount = cents(Decimal(record["billableAmount"]))
        return amount, cents(amount * rate / 100)
    gross = cents(Decimal(record["quantity"]) * Decimal(record["unitPrice"]))
    if record.get("unitPriceIncludesTax") == "T":
        tax = cents(gross * rate / (100 + rate))
        return gross - tax, tax
    return gross, cents(gross * rate / 100)


class ActionstepBooks:
    def __init__(self, resources: Resources, now: Callable[[], datetime]) -> None:
        self.resources = resources
        self._now = now

    def bill(self, bill_id: int) -> dict[str, Any]:
        bill = self.resources["bills"].get(bill_id)
        if bill is None:
            raise KeyError(f"no bill {bill_id}")
        return bill

    def _touch(self, record: dict[str, Any]) -> None:
        record["modifiedTimestamp"] = actionstep_stamp(self._now())

    def recompute(self, bill_id: int) -> None:
        """The bill's totals from its lines."""
        bill = self.bill(bill_id)
        rates = {
            code_id: Decimal(code["percentage"])
            for code_id, code in self.resources["taxcodes"].items()
        }
        credited = credited_on(bill)
        total_ex = total_tax = ZERO
        for kind in ("timeentries", "disbursements"):
            for record in self.resources[kind].values():
                if str(record["links"].get("bill")) != str(bill_id):
                    continue
                amount, tax = line_amounts(kind, record, rates[int(record["links"]["taxCode"])])
                total_ex += amount
                total_tax += tax
        bill.update(
            {
                "totalExclusive": total_ex,
                "totalSalesTax": total_tax,
                "totalInclusive": total_ex + total_tax,
                "totalDue": total_ex + total_tax - Decimal(bill["totalPaid"]) - credited,
            }
        )
        self._touch(bill)

    def add_fee(
        self,
        bill_id: int,
        description: str,
        amount: Decimal,
        account_id: int = 4001,
        tax_code_id: int = 1,
    ) -> dict[str, Any]:
        """A time entry added to a finalised bill (as a bill edited after its push)."""
        bill = self.bill(bill_id)
        entries = self.resources["timeentries"]
        entry_id = max(entries, default=70000) + 1
        entries[entry_id] = {
            "id": entry_id,
            "timestampDate": bill["invoiceDate"],
            "description": description,
            "actualHours": Decimal(1),
            "billableHours": Decimal(1),
            "createdTimestamp": actionstep_stamp(self._now()),
            "billingBehavior": "Bill",
            "rateUnitPrice": amount,
            "rateSource": "Participant",
            "billableAmountType": "Calculated",
            "billableAmount": amount,
            "isBillable": "T",
            "links": {
                "action": bill["links"]["action"][0],
                "owner": 11,
                "bill": bill_id,
                "incomeAccount": account_id,
                "taxCode": tax_code_id,
            },
        }
        self.recompute(bill_id)
        return entries[entry_id]

    def recode(self, bill_id: int, from_account: int, to_account: int) -> int:
        """Move the bill's lines from one income account to another (the total stays):
        returns how many lines moved."""
        self.bill(bill_id)
        moved = 0
        for kind in ("timeentries", "disbursements"):
            for record in self.resources[kind].values():
                links = record["links"]
                if str(links.get("bill")) == str(bill_id) and str(
                    links.get("incomeAccount")
                ) == str(from_account):
                    links["incomeAccount"] = to_account
                    moved += 1
        self.recompute(bill_id)
        return moved

    def set_status(self, bill_id: int, status: str) -> dict[str, Any]:
        bill = self.bill(bill_id)
        bill["status"] = status
        if status == "Deleted":
            bill["deletedTimestamp"] = actionstep_stamp(self._now())
        self._touch(bill)
        return bill

    def pay(self, bill_id: int, amount: Decimal | None = None) -> dict[str, Any]:
        """A receipt against the bill (the whole amount due by default)."""
        bill = self.bill(bill_id)
        paid = Decimal(bill["totalDue"]) if amount is None else amount
        self._settle(bill, paid=paid)
        return bill

    def credit(self, bill_id: int, amount: Decimal) -> dict[str, Any]:
        """A credit note (or a write-off, which Actionstep does as one) against the bill: less
        is due, nothing more is paid."""
        bill = self.bill(bill_id)
        if not ZERO < amount <= Decimal(bill["totalDue"]):
            raise ValueError(f"a credit must be more than 0 and at most the {bill['totalDue']} due")
        self._settle(bill, credited=amount)
        return bill

    def unpay(self, bill_id: int, amount: Decimal) -> dict[str, Any]:
        """Part of a receipt reversed (a bounced cheque, a receipt entered in error)."""
        bill = self.bill(bill_id)
        if not ZERO < amount <= Decimal(bill["totalPaid"]):
            raise ValueError(
                f"a reversal must be more than 0 and at most the {bill['totalPaid']} paid"
            )
        self._settle(bill, paid=-amount)
        return bill

    def _settle(
        self, bill: dict[str, Any], *, paid: Decimal = ZERO, credited: Decimal = ZERO
    ) -> None:
        """Money received (or reversed) and credited: `totalPaid` and `totalDue` follow, and
        the bill is Closed while nothing is due, Open again once something is."""
        already = credited_on(bill) + credited
        bill["totalPaid"] = Decimal(bill["totalPaid"]) + paid
        bill["totalDue"] = Decimal(bill["totalInclusive"]) - bill["totalPaid"] - already
        if bill["totalDue"] <= 0 and bill["status"] == "Open":
            bill["status"] = "Closed"
        elif bill["totalDue"] > 0 and bill["status"] == "Closed":
            bill["status"] = "Open"
        self._touch(bill)


def credited_on(bill: dict[str, Any]) -> Decimal:
    """What is credited against a bill: neither paid nor due (as axpush reads it too)."""
    return max(
        ZERO,
        Decimal(bill["totalInclusive"]) - Decimal(bill["totalPaid"]) - Decimal(bill["totalDue"]),
    )
