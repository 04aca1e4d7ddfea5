"""The simulated Xero: identity's /connections and the Accounting API, as an ASGI app.

Shapes, status codes and message texts follow ../shared/reference/xero-api.md and the official
xero_accounting.yaml. This first version serves JSON (clients send `Accept: application/json`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.sandbox.formats import dumps, loads, xero_date, xero_date_string
from tui.sandbox.state import SandboxState

CENT = Decimal("0.01")
PROVIDER = "axpush sandbox"
ALLOWED_CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
NOT_FOR_INVOICES = {"BANK"}
SYSTEM_ACCOUNTS_NOT_FOR_INVOICES = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS"}

Handler = Callable[[Request, bytes], Response]
"""A route's logic: runs under the state lock, with the request body already read."""


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json; charset=utf-8")


def _problem(status: int, title: str, detail: str) -> Response:
    """Xero's OAuth2-era problem body, as sent with 401 and 403."""
    return _json({"Type": None, "Title": title, "Status": status, "Detail": detail,
                  "Instance": str(uuid.uuid4()), "Extensions": {}}, status)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Any, default: Decimal) -> Decimal:
    if value is None:
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


_CLAUSE = re.compile(r'^\s*([A-Za-z.]+)\s*(==|!=)\s*(?:"([^"]*)"|(\S+))\s*$')


def _where(expression: str | None) -> Callable[[dict[str, Any]], bool]:
    """The subset of Xero's `where` the clients use: Field=="text" / Field==value joined by AND."""
    if not expression:
        return lambda _record: True
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in re.split(r"\s+AND\s+", expression.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"unsupported where clause: {clause}")
        path, op, text, bare = match.groups()
        wanted: Any = text if text is not None else {"true": True, "false": False}.get(
            (bare or "").lower(), bare)

        def test(record: dict[str, Any], path: str = path, op: str = op,
                 wanted: Any = wanted) -> bool:
            value: Any = record
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(wanted, str) and value is not None and not isinstance(value, str):
                value = str(value)
            return bool(value == wanted) if op == "==" else bool(value != wanted)

        tests.append(test)
    return lambda record: all(test(record) for test in tests)


class XeroSandbox:
    """The organisation's books and the rules Xero applies to them."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    @property
    def firm(self) -> Any:
        return self.state.firm

    # -- envelope and auth -----------------------------------------------------------------

    def envelope(self, key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER,
                "DateTimeUTC": xero_date(self.state.clock.now()), **extra, key: items}

    def authorise(self, request: Request, *, tenant: bool = True) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        with self.state.lock:
            known = token in self.state.xero_tokens
        if not known:
            return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        if tenant and request.headers.get("xero-tenant-id") != self.firm.tenant_id:
            return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
        return None

    # -- contacts -----------------------------------------------------------------------------

    def find_contact(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        contacts = self.firm.contacts
        if ref.get("ContactID"):
            found: dict[str, Any] | None = contacts.get(ref["ContactID"])
            return found
        if ref.get("ContactNumber"):
            return next((c for c in contacts.values()
                         if c.get("ContactNumber") == ref["ContactNumber"]), None)
        if ref.get("Name"):
            return next((c for c in contacts.values() if c["Name"] == ref["Name"]
                         and c["ContactStatus"] == "ACTIVE"), None)
        return None

    def create_contact(self, element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        name = str(element.get("Name") or "").strip()
        if not name:
            return element, ["The Contact Name must be specified."]
        clash = any(c["Name"].lower() == name.lower() and c["ContactStatus"] == "ACTIVE"
                    for c in self.firm.contacts.values())
        if clash:
            return element, [f"The contact name {name} is already assigned to another contact. "
                             "The contact name must be unique across all active contacts."]
        contact_id = str(uuid.uuid4())
        contact = {
            "ContactID": contact_id, "ContactStatus": "ACTIVE", "Name": name,
            **{k: element[k] for k in ("ContactNumber", "FirstName", "LastName", "EmailAddress",
                                       "AccountNumber", "TaxNumber") if element.get(k)},
            "IsSupplier": False, "IsCustomer": True, "HasAttachments": False,
            "UpdatedDateUTC": xero_date(self.state.clock.now()),
        }
        self.firm.contacts[contact_id] = contact
        return contact, []

    # -- invoices -------------------------------------------------------------------------------

    def create_invoice(self, element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        errors: list[str] = []
        kind = element.get("Type")
        if kind not in ("ACCREC", "ACCPAY"):
            errors.append("Invoice Type must be specified as ACCREC or ACCPAY")
        contact = self._invoice_contact(element.get("Contact"), errors)
        number = str(element.get("InvoiceNumber") or "").strip()
        if kind == "ACCREC" and number and any(
                inv["Type"] == "ACCREC" and inv["InvoiceNumber"] == number
                for inv in self.state.invoices.values()):
            errors.append("Invoice # must be unique.")
        status = str(element.get("Status") or "DRAFT")
        if status not in ALLOWED_CREATE_STATUSES:
            errors.append(f"Invoice not of valid status for creation: {status}")
        currency = element.get("CurrencyCode") or self.firm.organisation["BaseCurrency"]
        if currency != self.firm.organisation["BaseCurrency"]:
            errors.append(f"Organisation is not subscribed to currency {currency}")
        invoice_date = self._date(element.get("Date"), errors, "Date") or \
            self.state.clock.now().date()
        due_date = self._date(element.get("DueDate"), errors, "DueDate")
        amount_types = element.get("LineAmountTypes") or "Exclusive"
        lines = self._lines(element.get("LineItems") or [], amount_types, kind or "", errors)
        if status == "AUTHORISED" and not lines and not errors:
            errors.append("At least one line item must be specified")
        subtotal = sum((line["LineAmount"] for line in lines), Decimal("0.00"))
        total_tax = sum((line["TaxAmount"] for line in lines), Decimal("0.00"))
        if amount_types == "Inclusive":
            subtotal -= total_tax
        total = subtotal + total_tax
        if total < 0:
            errors.append("The Total for this document must be greater than or equal to zero.")
        if errors:
            return element, errors
        assert contact is not None
        invoice_id = str(uuid.uuid4())
        now = self.state.clock.now()
        if not number:
            number = f"INV-{len(self.state.invoices) + 1:04d}"
        invoice: dict[str, Any] = {
            "Type": kind, "InvoiceID": invoice_id, "InvoiceNumber": number,
            "Reference": element.get("Reference") or "",
            "Contact": {k: contact[k] for k in ("ContactID", "ContactNumber", "Name",
                                                "ContactStatus") if k in contact},
            "Date": xero_date(invoice_date), "DateString": xero_date_string(invoice_date),
            **({"DueDate": xero_date(due_date), "DueDateString": xero_date_string(due_date)}
               if due_date else {}),
            "Status": status, "LineAmountTypes": amount_types, "LineItems": lines,
            "SubTotal": subtotal, "TotalTax": total_tax, "Total": total,
            "AmountDue": total, "AmountPaid": Decimal("0.00"), "AmountCredited": Decimal("0.00"),
            "CurrencyCode": currency, "CurrencyRate": Decimal("1.000000"),
            "IsDiscounted": False, "HasAttachments": False, "HasErrors": False,
            "SentToContact": False, "UpdatedDateUTC": xero_date(now),
            **({"Url": element["Url"]} if element.get("Url") else {}),
        }
        self.state.invoices[invoice_id] = invoice
        return invoice, []

    def _invoice_contact(self, ref: Any, errors: list[str]) -> dict[str, Any] | None:
        if not isinstance(ref, dict) or not any(ref.get(k) for k in
                                                ("ContactID", "ContactNumber", "Name")):
            errors.append("The Contact must contain at least 1 of the following elements to "
                          "identify the contact: Name, ContactID, ContactNumber")
            return None
        contact = self.find_contact(ref)
        if contact is None and ref.get("Name") and not ref.get("ContactID"):
            contact, problems = self.create_contact(ref)  # Xero creates a contact from a name
            errors += problems
            return contact if not problems else None
        if contact is None:
            errors.append("The contact with the specified contact details could not be found.")
            return None
        if contact["ContactStatus"] != "ACTIVE":
            errors.append("The contact with the specified contact details has been archived. "
                          "The contact must be un-archived before creating new invoices or "
                          "credit notes.")
        return contact

    def _lines(self, items: list[Any], amount_types: str, kind: str,
               errors: list[str]) -> list[dict[str, Any]]:
        accounts = {a.get("Code"): a for a in self.firm.accounts if a.get("Code")}
        rates = {r["TaxType"]: r for r in self.firm.tax_rates}
        lines: list[dict[str, Any]] = []
        for item in items:
            if not isinstance(item, dict):
                errors.append("A line item is not an object")
                continue
            if not str(item.get("Description") or "").strip():
                errors.append("Description must be specified")
            code = item.get("AccountCode")
            account = accounts.get(code)
            if not code:
                errors.append("Account code must be specified")
            elif account is None:
                errors.append(f"Account code '{code}' is not a valid code for this document.")
            elif account["Status"] != "ACTIVE":
                errors.append(f"Account code '{code}' has been archived, or has been deleted. "
                              "Each line item must reference a valid account.")
            elif account["Type"] in NOT_FOR_INVOICES or \
                    account.get("SystemAccount") in SYSTEM_ACCOUNTS_NOT_FOR_INVOICES:
                errors.append(f"Account code '{code}' is not a valid code for this document.")
            tax_type = item.get("TaxType") or (account or {}).get("TaxType") or "NONE"
            rate = rates.get(tax_type)
            if amount_types != "NoTax":
                if rate is None or rate["Status"] != "ACTIVE":
                    errors.append(f"The TaxType code {tax_type} does not exist or cannot be used "
                                  "for this type of transaction.")
                elif kind == "ACCREC" and not rate["CanApplyToRevenue"]:
                    errors.append(f"The TaxType code '{tax_type}' cannot be used with account "
                                  f"code '{code}'.")
            try:
                quantity = _decimal(item.get("Quantity"), Decimal(1))
                unit = _decimal(item.get("UnitAmount"), Decimal(0))
                line_amount = _cents(_decimal(item.get("LineAmount"), quantity * unit))
                percentage = _decimal((rate or {}).get("EffectiveRate"), Decimal(0))
                if amount_types == "NoTax":
                    computed = Decimal("0.00")
                elif amount_types == "Inclusive":
                    computed = _cents(line_amount * percentage / (100 + percentage))
                else:
                    computed = _cents(line_amount * percentage / 100)
                tax_amount = _cents(_decimal(item.get("TaxAmount"), computed))
            except ValueError as error:
                errors.append(str(error))
                continue
            lines.append({
                "LineItemID": str(uuid.uuid4()), "Description": item.get("Description"),
                "Quantity": quantity, "UnitAmount": unit, "AccountCode": code,
                "TaxType": tax_type, "TaxAmount": tax_amount, "LineAmount": line_amount,
                "Tracking": [], "ValidationErrors": []})
        return lines

    @staticmethod
    def _date(value: Any, errors: list[str], name: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            errors.append(f"{name} is not a valid date: {value}")
            return None


# -- HTTP ---------------------------------------------------------------------------------------

def _page(request: Request, items: list[dict[str, Any]], default_size: int = 100
          ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    page_text = request.query_params.get("page")
    if page_text is None:
        return items, None
    page = max(1, int(page_text))
    size = min(1000, max(1, int(request.query_params.get("pageSize") or default_size)))
    chunk = items[(page - 1) * size: page * size]
    count = len(items)
    return chunk, {"page": page, "pageSize": size, "pageCount": max(1, -(-count // size)),
                   "itemCount": count}


def _summarize(request: Request) -> bool:
    return request.query_params.get("summarizeErrors", "true").lower() != "false"


def _failed_element(element: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    return {**element, "HasErrors": True, "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in messages]}


def create_xero_app(state: SandboxState) -> Starlette:
    xero = XeroSandbox(state)

    def guarded(handler: Handler, *, tenant: bool = True
                ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            refusal = xero.authorise(request, tenant=tenant)
            if refusal is not None:
                return refusal
            body = await request.body()
            try:
                with state.lock:
                    return handler(request, body)
            except ValueError as error:
                return _json({"ErrorNumber": 14, "Type": "PostDataInvalidException",
                              "Message": str(error)}, 400)
        return endpoint

    def connections(request: Request, body: bytes) -> Response:
        firm = xero.firm
        stamp = firm.organisation["CreatedDateUTC"]
        return _json([{"id": firm.connection_id, "authEventId": firm.connection_id,
                       "tenantId": firm.tenant_id, "tenantType": "ORGANISATION",
                       "tenantName": firm.organisation["Name"], "createdDateUtc": stamp,
                       "updatedDateUtc": stamp}])

    def organisation(request: Request, body: bytes) -> Response:
        return _json(xero.envelope("Organisations", [xero.firm.organisation]))

    def accounts(request: Request, body: bytes) -> Response:
        test = _where(request.query_params.get("where"))
        return _json(xero.envelope("Accounts", [a for a in xero.firm.accounts if test(a)]))

    def tax_rates(request: Request, body: bytes) -> Response:
        test = _where(request.query_params.get("where"))
        return _json(xero.envelope("TaxRates", [r for r in xero.firm.tax_rates if test(r)]))

    def list_contacts(request: Request, body: bytes) -> Response:
        test = _where(request.query_params.get("where"))
        ids = set(filter(None, request.query_params.get("IDs", "").split(",")))
        found = sorted((c for c in xero.firm.contacts.values()
                        if test(c) and (not ids or c["ContactID"] in ids)),
                       key=lambda c: c["Name"].lower())
        page, pagination = _page(request, found)
        extra = {"pagination": pagination} if pagination else {}
        return _json(xero.envelope("Contacts", page, **extra))

    def get_contact(request: Request, body: bytes) -> Response:
        ref = request.path_params["ref"]
        contact = xero.firm.contacts.get(ref) or xero.find_contact({"ContactNumber": ref})
        if contact is None:
            return _json({"Title": "Not Found", "Status": 404}, 404)
        return _json(xero.envelope("Contacts", [contact]))

    def create_contacts(request: Request, body: bytes) -> Response:
        return _batch(request, loads(body), "Contacts", xero.create_contact)

    def list_invoices(request: Request, body: bytes) -> Response:
        params = request.query_params
        test = _where(params.get("where"))
        ids = set(filter(None, params.get("IDs", "").split(",")))
        numbers = set(filter(None, params.get("InvoiceNumbers", "").split(",")))
        statuses = set(filter(None, params.get("Statuses", "").split(",")))
        found = [inv for inv in state.invoices.values()
                 if test(inv) and (not ids or inv["InvoiceID"] in ids)
                 and (not numbers or inv["InvoiceNumber"] in numbers)
                 and (not statuses or inv["Status"] in statuses)]
        page, pagination = _page(request, found)
        if pagination is None:  # as on Xero: unpaged lists leave out the line items
            page = [{k: v for k, v in inv.items() if k != "LineItems"} for inv in page]
        extra = {"pagination": pagination} if pagination else {}
        return _json(xero.envelope("Invoices", page, **extra))

    def get_invoice(request: Request, body: bytes) -> Response:
        ref = request.path_params["ref"]
        invoice = state.invoices.get(ref) or state.invoice_by_number(ref)
        if invoice is None:
            return _json({"Title": "Not Found", "Status": 404}, 404)
        return _json(xero.envelope("Invoices", [invoice]))

    def create_invoices(request: Request, body: bytes) -> Response:
        return _batch(request, loads(body), "Invoices", xero.create_invoice)

    def _batch(request: Request, data: Any, key: str,
               create: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]) -> Response:
        elements = data.get(key) if isinstance(data, dict) else None
        if not isinstance(elements, list):
            elements = [data] if isinstance(data, dict) and data else []
        results: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for element in elements:
            if not isinstance(element, dict):
                element = {}
            created, errors = create(element)
            if errors:
                failure = _failed_element(created, errors)
                results.append(failure)
                failed.append(failure)
            else:
                results.append({**created, "StatusAttributeString": "OK"})
        if failed and _summarize(request):
            # As Xero does: the valid elements were still created, but the answer is a 400
            # that lists only the failures.
            return _json({"ErrorNumber": 10, "Type": "ValidationException",
                          "Message": "A validation exception occurred", "Elements": failed}, 400)
        return _json(xero.envelope(key, results))

    base = "/api.xro/2.0"
    return Starlette(routes=[
        Route("/connections", guarded(connections, tenant=False), methods=["GET"]),
        Route(f"{base}/Organisation", guarded(organisation), methods=["GET"]),
        Route(f"{base}/Accounts", guarded(accounts), methods=["GET"]),
        Route(f"{base}/TaxRates", guarded(tax_rates), methods=["GET"]),
        Route(f"{base}/Contacts", guarded(list_contacts), methods=["GET"]),
        Route(f"{base}/Contacts", guarded(create_contacts), methods=["PUT", "POST"]),
        Route(f"{base}/Contacts/{{ref}}", guarded(get_contact), methods=["GET"]),
        Route(f"{base}/Invoices", guarded(list_invoices), methods=["GET"]),
        Route(f"{base}/Invoices", guarded(create_invoices), methods=["PUT"]),
        Route(f"{base}/Invoices/{{ref}}", guarded(get_invoice), methods=["GET"]),
    ])
