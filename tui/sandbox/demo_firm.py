"""The demo firm: a small Australian law practice in Actionstep, and its Xero organisation.

Deterministic: the same seed gives the same firm, to the cent and to the UUID. Records are built in
the JSON shapes the two APIs send (Actionstep: bills.yml, timeentries.yml, disbursements.yml,
participants.yml, actions.yml; Xero: xero_accounting.yaml), amounts as `Decimal`.

Actionstep's own arithmetic, as this stand-in does it: a time entry's amount is its
`billableAmount`; a disbursement's is `quantity x unitPrice` (tax-inclusive when
`unitPriceIncludesTax` is "T"). Each line's amount and tax are rounded half-up to the cent, and a
bill's totals are the sums of its lines.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tui.sandbox.actionstep_books import ActionstepBooks, line_amounts
from tui.sandbox.formats import actionstep_stamp as _stamp
from tui.sandbox.formats import xero_date as _xero_date
from tui.sandbox.xero_books import XeroOrg, random_id

DEFAULT_SEED = 2026
CENT = Decimal("0.01")
FIRM_NAME = "Harbour & Finch Lawyers"
EPOCH = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
"""Demo data is dated from here, so runs on different days give the same firm."""

# Actionstep income accounts: (id, accountNumber, name). Numbers mostly equal Xero's Codes, as
# they do when the first Xero organisation connected wrote its chart into Actionstep.
AS_ACCOUNTS = [
    (4001, "201", "Professional Fees"),
    (4002, "203", "Consulting Fees"),
    (4003, "202", "Disbursements Recovered"),
    (4004, "270", "Interest on Overdue Accounts"),
    (4005, "215", "Mediation Fees"),
    (4006, "204", "Conveyancing Fees"),
]
UNMAPPED_ACCOUNT_ID = 4005
"""Mediation Fees: added in Actionstep after the mapping was made, so a few bills are blocked."""

# Actionstep tax codes: (id, code, description, percentage)
AS_TAX_CODES = [
    (1, "GST", "GST on Income (10%)", Decimal("10")),
    (2, "FRE", "GST Free", Decimal("0")),
    (3, "N-T", "No Tax", Decimal("0")),
    (4, "INP", "GST on Purchases (10%)", Decimal("10")),
]

# Xero chart: (Code or None, Name, Type, Status, default TaxType)
XERO_ACCOUNTS: list[tuple[str | None, str, str, str, str]] = [
    ("090", "Business Bank Account", "BANK", "ACTIVE", "NONE"),
    ("091", "Trust Account", "BANK", "ACTIVE", "NONE"),
    ("200", "Sales", "REVENUE", "ACTIVE", "OUTPUT"),
    ("201", "Legal Fees", "REVENUE", "ACTIVE", "OUTPUT"),
    ("202", "Disbursements Recovered", "REVENUE", "ACTIVE", "OUTPUT"),
    ("205", "Old Fee Income", "REVENUE", "ARCHIVED", "OUTPUT"),
    ("260", "Other Revenue", "REVENUE", "ACTIVE", "OUTPUT"),
    ("270", "Interest Income", "REVENUE", "ACTIVE", "BASEXCLUDED"),
    (None, "Conveyancing Income", "REVENUE", "ACTIVE", "OUTPUT"),
    ("400", "Advertising", "EXPENSE", "ACTIVE", "INPUT"),
    ("610", "Accounts Receivable", "CURRENT", "ACTIVE", "BASEXCLUDED"),
    ("820", "GST", "CURRLIAB", "ACTIVE", "BASEXCLUDED"),
]

# Xero tax rates: (TaxType, Name, rate, CanApplyToRevenue)
XERO_TAX_RATES = [
    ("OUTPUT", "GST on Income", Decimal("10"), True),
    ("EXEMPTOUTPUT", "GST Free Income", Decimal("0"), True),
    ("BASEXCLUDED", "BAS Excluded", Decimal("0"), True),
    ("INPUT", "GST on Expenses", Decimal("10"), False),
    ("EXEMPTEXPENSES", "GST Free Expenses", Decimal("0"), False),
]

# The mapping the firm made when it connected: Actionstep account number -> Xero account name,
# Actionstep tax code -> TaxType. Mediation Fees (215) is missing on purpose; Conveyancing Fees
# goes to a Xero account without a Code, and GST on Purchases to a TaxType not for sales: the
# problems the demo's triage tour is made of.
DEMO_ACCOUNT_MAP = {
    "201": "Legal Fees",
    "203": "Legal Fees",
    "202": "Disbursements Recovered",
    "270": "Interest Income",
    "204": "Conveyancing Income",
}
DEMO_TAX_MAP = {"GST": "OUTPUT", "FRE": "EXEMPTOUTPUT", "N-T": "BASEXCLUDED", "INP": "INPUT"}
DEMO_FAULTS = "PUT */Invoices=seq:ok,503,503,503,503"
"""`axpush demo`'s weather: the second batch of invoices meets an organisation offline for
longer than the retries last, so its bills fail (Xero unavailable) until pushed again (`f`)."""

_FIRST = [
    "Amelia",
    "Oliver",
    "Charlotte",
    "Jack",
    "Isla",
    "Noah",
    "Mia",
    "William",
    "Ava",
    "Henry",
    "Grace",
    "Leo",
    "Chloe",
    "Lucas",
    "Zoe",
    "Thomas",
    "Ruby",
    "James",
    "Ella",
    "Hamish",
    "Priya",
    "Wei",
    "Sofia",
    "Mateo",
    "Aroha",
]
_LAST = [
    "Nguyen",
    "Smith",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Anderson",
    "Martin",
    "Thompson",
    "Walker",
    "Kaur",
    "Chen",
    "O'Brien",
    "Papadopoulos",
    "Rossi",
    "Murphy",
    "Kelly",
    "Campbell",
    "Stewart",
    "Müller",
    "Tran",
    "Singh",
    "Cooper",
    "Hughes",
]
_COMPANY = [
    "Brightwater",
    "Coastal Freight",
    "Ironbark",
    "Southern Cross",
    "Blue Gum",
    "Kingfisher",
    "Redgum",
    "Tasman",
    "Wattle & Co",
    "Harbourview",
    "Saltbush",
    "Coral Sea",
    "Stringybark",
    "Greenhill",
    "Koala Creek",
    "Banksia",
    "Jarrah",
    "Lyrebird",
    "Magpie",
]
_SUFFIX = ["Pty Ltd", "Holdings Pty Ltd", "Group", "Trading Pty Ltd", "Partners"]
_MATTER_KINDS = [
    "Conveyance of {n} {street}",
    "Estate of the late {last}",
    "{client} v {other}",
    "Lease review - {n} {street}",
    "Employment dispute",
    "Family law property",
    "Commercial contract review",
    "Debt recovery",
    "Will and powers of attorney",
]
_STREETS = ["Smith St", "George St", "Beach Rd", "Church St", "Victoria Pde", "King William St"]
_FEE_WORK = [
    "Attendance on client",
    "Drafting correspondence",
    "Review of documents",
    "Preparing advice",
    "Telephone attendance",
    "Court appearance",
    "Negotiations with other side",
    "Research",
    "Settlement attendance",
]
_DISBURSEMENTS = [  # description, unit price range in cents, tax code id, includes tax
    ("Title search", (1800, 4500), 1, False),
    ("Court filing fee", (9000, 120000), 2, False),
    ("Photocopying", (25, 60), 1, False),
    ("Courier", (1500, 6000), 1, True),
    ("Stamp duty", (50000, 900000), 3, False),
    ("Process server", (8000, 22000), 1, False),
]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class DemoFirm:
    """Both sides of the demo, in API shapes."""

    seed: int
    xero: XeroOrg
    actionstep: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    """Actionstep resources by name: bills, participants, actions, timeentries, disbursements,
    accounts, taxcodes; each {id: record}."""

    def demo_mapping(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """The firm's initial mapping, in axpush's terms: AS account id -> Xero AccountID,
        AS tax code id -> TaxType, and "receipts" -> the office bank account's AccountID."""
        by_name = {a["Name"]: a["AccountID"] for a in self.xero.accounts}
        accounts = {
            str(rec["id"]): by_name[DEMO_ACCOUNT_MAP[rec["accountNumber"]]]
            for rec in self.actionstep["accounts"].values()
            if rec["accountNumber"] in DEMO_ACCOUNT_MAP
        }
        tax = {
            str(rec["id"]): DEMO_TAX_MAP[rec["code"]]
            for rec in self.actionstep["taxcodes"].values()
            if rec["code"] in DEMO_TAX_MAP
        }
        return accounts, tax, {"receipts": by_name["Business Bank Account"]}


def build_demo_firm(
    seed: int = DEFAULT_SEED,
    *,
    bills: int = 220,
    clients: int = 46,
    matters: int = 72,
    tour: bool = True,
) -> DemoFirm:
    """The firm; with `tour`, also what has gone wrong before the demo starts (see
    `_triage_tour`); without, a clean slate for tests of the services' own rules."""
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    tenant_id = new_uuid()
    new_uuid()  # (was the connection id; kept so that the seed gives the same firm)
    xero = XeroOrg(tenant_id, _organisation(new_uuid(), rng))
    firm = DemoFirm(seed=seed, xero=xero)
    xero.accounts = [
        {
            "AccountID": new_uuid(),
            **({"Code": code} if code else {}),
            "Name": name,
            "Type": kind,
            "Status": status,
            "TaxType": tax,
            "EnablePaymentsToAccount": False,
            "Class": "ASSET"
            if kind in ("BANK", "CURRENT")
            else "LIABILITY"
            if kind == "CURRLIAB"
            else "EXPENSE"
            if kind == "EXPENSE"
            else "REVENUE",
            **(
                {"BankAccountType": "BANK", "BankAccountNumber": f"0620{rng.randrange(10**8):08d}"}
                if kind == "BANK"
                else {}
            ),
            **({"SystemAccount": "DEBTORS"} if code == "610" else {}),
            **({"SystemAccount": "GST"} if code == "820" else {}),
            "UpdatedDateUTC": _xero_date(EPOCH),
        }
        for code, name, kind, status, tax in XERO_ACCOUNTS
    ]
    xero.tax_rates = [
        {
            "Name": name,
            "TaxType": tax_type,
            "ReportTaxType": "OUTPUT" if rate else "EXEMPTOUTPUT",
            "CanApplyToAssets": not revenue,
            "CanApplyToEquity": False,
            "CanApplyToExpenses": not revenue or tax_type == "BASEXCLUDED",
            "CanApplyToLiabilities": tax_type == "BASEXCLUDED",
            "CanApplyToRevenue": revenue,
            "DisplayTaxRate": rate,
            "EffectiveRate": rate,
            "Status": "ACTIVE",
            "TaxComponents": [
                {"Name": "GST", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
            ],
        }
        for tax_type, name, rate, revenue in XERO_TAX_RATES
    ]
    for name in ("Officeworks", "Telstra", "Law Society of NSW"):
        contact_id = new_uuid()
        xero.contacts[contact_id] = {
            "ContactID": contact_id,
            "Name": name,
            "ContactStatus": "ACTIVE",
            "IsSupplier": True,
            "IsCustomer": False,
            "UpdatedDateUTC": _xero_date(EPOCH),
        }

    resources: dict[str, dict[int, dict[str, Any]]] = {
        "accounts": {},
        "taxcodes": {},
        "participants": {},
        "actions": {},
        "bills": {},
        "timeentries": {},
        "disbursements": {},
    }
    firm.actionstep = resources
    for account_id, number, name in AS_ACCOUNTS:
        resources["accounts"][account_id] = {
            "id": account_id,
            "accountNumber": number,
            "name": name,
            "active": "T",
            "header": "F",
            "links": {"accountType": "4"},
        }
    for code_id, code, description, percentage in AS_TAX_CODES:
        resources["taxcodes"][code_id] = {
            "id": code_id,
            "code": code,
            "description": description,
            "percentage": percentage,
            "effectiveFrom": "2000-07-01",
            "effectiveTo": None,
        }

    client_ids = _participants(rng, resources["participants"], clients)
    matter_ids = _matters(rng, resources, client_ids, matters)
    _bills(rng, resources, matter_ids, bills)
    if tour:
        _triage_tour(firm, random.Random(seed + 1), new_uuid)
    return firm


def _triage_tour(firm: DemoFirm, rng: random.Random, new_uuid: Callable[[], str]) -> None:
    """What has gone wrong at the firm before the demo starts (drawn from its own generator, so
    the firm above stays the same): conveyancing fees coded to a Xero account without a Code,
    searches coded with a purchases tax code, a bill paid in Xero then edited in Actionstep, and
    a bill paid in Xero and receipted in Actionstep too. And what the firm does in Actionstep
    that must follow into Xero: a bill partly written off, and a receipt reversed in Actionstep
    once axpush has pushed it (see `_reverse_after_push`)."""
    books = ActionstepBooks(firm.actionstep, lambda: EPOCH + timedelta(days=141))
    unmapped = {
        t["links"]["bill"]
        for t in firm.actionstep["timeentries"].values()
        if str(t["links"]["incomeAccount"]) == str(UNMAPPED_ACCOUNT_ID)
    }
    candidates = [
        bill_id
        for bill_id, bill in firm.actionstep["bills"].items()
        if bill["status"] == "Open" and bill["totalPaid"] == 0 and bill_id not in unmapped
    ]
    chosen = rng.sample(candidates, 9)
    for bill_id in chosen[:4]:
        books.add_fee(
            bill_id, "Conveyancing: settlement", Decimal(rng.randrange(400, 1500)), account_id=4006
        )
    for bill_id in chosen[4:7]:
        books.add_fee(
            bill_id,
            "Land title search",
            Decimal(rng.randrange(20, 80)),
            account_id=4003,
            tax_code_id=4,
        )
    xero = firm.xero
    xero.new_id = new_uuid
    _paid_in_xero(firm, chosen[7])
    books.add_fee(chosen[7], "Further attendance after settlement", Decimal(180))
    _paid_in_xero(firm, chosen[8])
    books.pay(chosen[8])
    xero.new_id = random_id
    rest = [b for b in candidates if b not in chosen]
    written_off = max(rest, key=lambda b: (firm.actionstep["bills"][b]["totalInclusive"], b))
    owed = Decimal(firm.actionstep["bills"][written_off]["totalDue"])
    books.credit(written_off, (owed / 5).quantize(Decimal("0.01")))  # a fifth, written off
    receipted = [
        bill_id
        for bill_id, bill in firm.actionstep["bills"].items()
        if bill["status"] == "Open" and bill["totalPaid"] > 0 and bill_id not in unmapped
    ]
    _reverse_after_push(firm, min(receipted))


def _reverse_after_push(firm: DemoFirm, bill_id: int) -> None:
    """Once axpush's payment for this bill reaches the simulated Xero, half of the receipt is
    reversed in Actionstep (a cheque that bounced), stamped with the sandbox's clock, so the
    next sync sees it and the next push deletes the payment and pays the rest again."""
    bill = firm.actionstep["bills"][bill_id]
    books = ActionstepBooks(firm.actionstep, lambda: firm.xero.now())
    number, half = bill["ourReference"], (Decimal(bill["totalPaid"]) / 2).quantize(Decimal("0.01"))

    def bounced(payment: dict[str, Any]) -> None:
        if (
            payment["Invoice"]["InvoiceNumber"] == number
            and str(payment["Reference"]).startswith("axpush:")
            and firm.xero.on_payment is bounced
        ):
            firm.xero.on_payment = None  # once
            books.unpay(bill_id, half)

    firm.xero.on_payment = bounced


def _paid_in_xero(firm: DemoFirm, bill_id: int) -> None:
    """The bill reached Xero earlier, by another route, and a bank feed paid it there. Then:
    for one bill, someone added a fee in Actionstep, so Xero's invoice no longer matches and
    cannot be changed; for another, the receipt was also entered in Actionstep, so a pusher
    that did not count Xero's payment would pay the invoice twice."""
    bill = firm.actionstep["bills"][bill_id]
    client = firm.actionstep["participants"][int(bill["links"]["theirParticipant"])]
    xero = firm.xero
    contact = (
        xero.find_contact({"ContactNumber": str(client["id"])})
        or xero.create_contact({"Name": client["displayName"], "ContactNumber": str(client["id"])})[
            0
        ]
    )
    invoice, errors = xero.create_invoice(
        {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact["ContactID"]},
            "InvoiceNumber": bill["ourReference"],
            "Status": "AUTHORISED",
            "Date": bill["invoiceDate"],
            "DueDate": bill["dueDate"],
            "LineItems": [
                {
                    "Description": "Professional Fees",
                    "Quantity": 1,
                    "UnitAmount": bill["totalExclusive"],
                    "AccountCode": "201",
                    "TaxType": "OUTPUT",
                    "TaxAmount": bill["totalSalesTax"],
                }
            ],
        }
    )
    assert not errors, errors
    xero.create_payment(
        {
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "Account": {"Code": "090"},
            "Amount": invoice["Total"],
            "Date": bill["dueDate"],
            "Reference": "bank feed",
        }
    )


def _organisation(organisation_id: str, rng: random.Random) -> dict[str, Any]:
    return {
        "OrganisationID": organisation_id,
        "APIKey": "",
        "Name": FIRM_NAME,
        "LegalName": "Harbour & Finch Lawyers Pty Ltd",
        "PaysTax": True,
        "Version": "AU",
        "OrganisationType": "COMPANY",
        "BaseCurrency": "AUD",
        "CountryCode": "AU",
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "TaxNumber": "51824753556",
        "FinancialYearEndDay": 30,
        "FinancialYearEndMonth": 6,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": _xero_date(EPOCH),
        "OrganisationEntityType": "COMPANY",
        "Timezone": "AUSEASTERNSTANDARDTIME",
        "ShortCode": "!"
        + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5)),
        "Edition": "BUSINESS",
        "Class": "STANDARD",
    }


NAME_REDRAWS = 200
"""Draws again on a taken name this often before numbering namesakes: enough for the demo's
firm to be what it always was, bounded for a firm of 100,000 bills."""


def _participants(rng: random.Random, table: dict[int, dict[str, Any]], count: int) -> list[int]:
    names: set[str] = set()
    ids: list[int] = []
    next_id = 1201
    redraws = 0
    while len(ids) < count:
        is_company = rng.random() < 0.45
        if is_company:
            display = f"{rng.choice(_COMPANY)} {rng.choice(_SUFFIX)}"
            first = last = None
        else:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            display = f"{first} {last}"
        if display in names and redraws < NAME_REDRAWS:
            redraws += 1  # a small firm draws again: its names stay as they always were
            continue
        if display in names:  # a big firm outgrows the name pools: number the namesakes
            display = next(
                f"{display} ({n})" for n in range(2, count + 2) if f"{display} ({n})" not in names
            )
            if last is not None:
                last = display.removeprefix(f"{first} ")
        names.add(display)
        stamp = _stamp(EPOCH - timedelta(days=rng.randrange(30, 900)))
        email_local = "".join(c for c in display.lower() if c.isalnum())[:20]
        table[next_id] = {
            "id": next_id,
            "displayName": display,
            "isCompany": "T" if is_company else "F",
            "companyName": display if is_company else None,
            "firstName": first,
            "lastName": last,
            "email": f"accounts@{email_local}.example.com.au",
            "mailingCity": rng.choice(["Sydney", "Newcastle", "Wollongong", "Parramatta"]),
            "mailingStateProvince": "NSW",
            "mailingPostCode": f"2{rng.randrange(1000):03d}",
            "createdTimestamp": stamp,
            "modifiedTimestamp": stamp,
            "links": {"physicalCountry": "AU", "mailingCountry": "AU", "division": 1},
        }
        ids.append(next_id)
        next_id += 1
    return ids


def _matters(
    rng: random.Random,
    resources: dict[str, dict[int, dict[str, Any]]],
    client_ids: list[int],
    count: int,
) -> list[int]:
    participants = resources["participants"]
    ids: list[int] = []
    for index in range(count):
        matter_id = 3001 + index
        # Every client has at least one matter; the rest go to random clients.
        client_id = client_ids[index] if index < len(client_ids) else rng.choice(client_ids)
        client = participants[client_id]
        template = rng.choice(_MATTER_KINDS)
        name = template.format(
            n=rng.randrange(1, 200),
            street=rng.choice(_STREETS),
            last=client.get("lastName") or client["displayName"].split()[0],
            client=client["displayName"].split(" Pty")[0],
            other=participants[rng.choice(client_ids)]["displayName"].split(" Pty")[0],
        )
        stamp = _stamp(EPOCH - timedelta(days=rng.randrange(1, 400)))
        resources["actions"][matter_id] = {
            "id": matter_id,
            "name": name,
            "reference": f"HF-{matter_id}",
            "priority": 0,
            "status": "Active",
            "createdTimestamp": stamp[:10],
            "modifiedTimestamp": stamp,
            "isDeleted": "F",
            "isFavorite": "F",
            # actions.yml types these links as integers (primaryParticipants too: one id)
            "links": {
                "assignedTo": 11,
                "division": 1,
                "actionType": 7,
                "primaryParticipants": client_id,
                "step": f"{matter_id}--1",
            },
        }
        ids.append(matter_id)
    return ids


class _Ledger:
    """Writes time entries and disbursements for bills, with Actionstep's per-line rounding."""

    def __init__(self, rng: random.Random, resources: dict[str, dict[int, dict[str, Any]]]):
        self.rng = rng
        self.resources = resources
        self.rates = {code_id: pct for code_id, _, _, pct in AS_TAX_CODES}
        self.next_time, self.next_disbursement = 70001, 90001

    def time_entry(
        self,
        bill_id: int,
        matter_id: int,
        day: date,
        description: str,
        account_id: int,
        tax_code_id: int,
    ) -> tuple[Decimal, Decimal]:
        hours = Decimal(self.rng.randrange(1, 60)) / 10
        rate = Decimal(self.rng.choice([280, 350, 420, 480, 550, 650]))
        amount = _cents(hours * rate)
        record = self.resources["timeentries"][self.next_time] = {
            "id": self.next_time,
            "timestampDate": day.isoformat(),
            "description": description,
            "actualHours": hours,
            "billableHours": hours,
            "createdTimestamp": _at(day),
            "billingBehavior": "Bill",
            "rateUnitPrice": rate,
            "rateSource": "Participant",
            "billableAmountType": "Calculated",
            "billableAmount": amount,
            "isBillable": "T",
            # timeentries.yml types these links as integers (disbursements' as text)
            "links": {
                "action": matter_id,
                "owner": 11,
                "bill": bill_id,
                "incomeAccount": account_id,
                "taxCode": tax_code_id,
            },
        }
        self.next_time += 1
        return line_amounts("timeentries", record, self.rates[tax_code_id])

    def disbursement(self, bill_id: int, matter_id: int, day: date) -> tuple[Decimal, Decimal]:
        description, (low, high), tax_code_id, includes_tax = self.rng.choice(_DISBURSEMENTS)
        quantity = (
            Decimal(self.rng.randrange(20, 200)) if description == "Photocopying" else Decimal(1)
        )
        unit_price = Decimal(self.rng.randrange(low, high)) / 100
        record = self.resources["disbursements"][self.next_disbursement] = {
            "id": self.next_disbursement,
            "date": day.isoformat(),
            "description": description,
            "quantity": quantity,
            "unitPrice": unit_price,
            "unitPriceIncludesTax": "T" if includes_tax else "F",
            "isAnticipated": "F",
            "enteredTimestamp": _at(day),
            "links": {
                "action": str(matter_id),
                "enteredByParticipant": "11",
                "bill": str(bill_id),
                "taxCode": str(tax_code_id),
                "incomeAccount": "4003",
            },
        }
        self.next_disbursement += 1
        return line_amounts("disbursements", record, self.rates[tax_code_id])


def _at(day: date, hours: int = 0) -> str:
    return _stamp(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hours))


def _bills(
    rng: random.Random,
    resources: dict[str, dict[int, dict[str, Any]]],
    matter_ids: list[int],
    count: int,
) -> None:
    ledger = _Ledger(rng, resources)
    unmapped_bills = set(rng.sample(range(count), 7))
    # Every matter is billed at least once; the rest of the bills go to random matters.
    matter_for = [*matter_ids, *(rng.choice(matter_ids) for _ in range(count))][:count]
    rng.shuffle(matter_for)
    for index in range(count):
        bill_id = 801 + index
        matter_id = matter_for[index]
        matter = resources["actions"][matter_id]
        client_id = int(matter["links"]["primaryParticipants"])
        invoice_day = (EPOCH + timedelta(days=index * 140 // count)).date()
        lines: list[tuple[Decimal, Decimal]] = []
        for _ in range(rng.randrange(1, 6)):
            account = 4001 if rng.random() < 0.8 else 4002
            lines.append(
                ledger.time_entry(
                    bill_id, matter_id, invoice_day, rng.choice(_FEE_WORK), account, 1
                )
            )
        if index in unmapped_bills:
            lines.append(
                ledger.time_entry(
                    bill_id, matter_id, invoice_day, "Mediation session", UNMAPPED_ACCOUNT_ID, 1
                )
            )
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            lines.append(ledger.disbursement(bill_id, matter_id, invoice_day))
        if rng.random() < 0.08:
            lines.append(
                ledger.time_entry(
                    bill_id, matter_id, invoice_day, "Interest on overdue account", 4004, 3
                )
            )

        total_ex = sum((a for a, _ in lines), Decimal("0.00"))
        total_tax = sum((t for _, t in lines), Decimal("0.00"))
        total_inc = total_ex + total_tax
        roll = rng.random()
        status = "Draft" if roll < 0.06 else "Closed" if roll < 0.28 else "Open"
        if index in unmapped_bills:
            status = "Open"
        paid = (
            total_inc
            if status == "Closed"
            else (
                _cents(total_inc * Decimal(rng.choice([25, 50]) / 100))
                if status == "Open" and rng.random() < 0.1
                else Decimal("0.00")
            )
        )
        modified = _at(invoice_day, rng.randrange(9, 18))
        resources["bills"][bill_id] = {
            "id": bill_id,
            "status": status,
            "ourReference": str(10001 + index),
            "theirReference": None,
            "currency": "AUD",
            "invoiceDate": invoice_day.isoformat(),
            "dueDate": (invoice_day + timedelta(days=rng.choice([14, 30]))).isoformat(),
            "totalInclusive": total_inc,
            "totalExclusive": total_ex,
            "totalSalesTax": total_tax,
            "totalPaid": paid,
            "totalDue": total_inc - paid,
            "createdTimestamp": modified,
            "modifiedTimestamp": modified,
            "deletedTimestamp": None,
            "links": {"division": 1, "action": [matter_id], "theirParticipant": str(client_id)},
        }
