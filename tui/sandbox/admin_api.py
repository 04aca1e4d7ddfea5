"""The sandbox's own admin API, under /_sandbox: script a scenario from a test or a shell.

Nothing here exists on the real services. JSON in, JSON out:

    GET    /_sandbox                               what the sandbox holds, clock, faults
    POST   /_sandbox/clock           {"advance": SECONDS}
    PUT    /_sandbox/faults          {"spec": "PUT */Invoices=lost:0.2"}   DELETE clears them
    PUT    /_sandbox/limits          {"per_minute": 60, "per_day": 5000, "concurrent": 5}
    POST   /_sandbox/limits/exhaust  {"problem": "minute" | "day"}
    POST   /_sandbox/actionstep/bills/{id}  {"add_fee": {"description": "...", "amount": "100"}}
                                            | {"status": "Deleted"} | {"pay": "100.00" | null}
                                            | {"recode": {"from": 4001, "to": 4003}}
                                            | {"credit": "100.00"} (a credit or write-off)
                                            | {"unpay": "50.00"} (a receipt reversed)
    POST   /_sandbox/xero/invoices/{number}  {"pay": "100.00" | null, "account": "090"}
                                            | {"void": true} | {"credit": "50.00"}
                                            | {"unpay": true}   (every payment deleted)
    POST   /_sandbox/xero/accounts/{code or AccountID}
                                             {"archive": true} | {"clear_code": true}
                                            | {"code": "204"}
                                            | {"type": "EXPENSE"} | {"name": "..."}
                                            | {"delete": true}
    POST   /_sandbox/xero/organisations      {"name": "...", "class": "TRIAL", "consent": true}
    POST   /_sandbox/xero/organisation       {"lock": "2026-06-30" | null} (period lock date)
"""

from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.sandbox.actionstep_books import ActionstepBooks
from tui.sandbox.faults import FaultSpecError
from tui.sandbox.formats import loads, xero_date
from tui.sandbox.http import json_response
from tui.sandbox.limits import Limits
from tui.sandbox.state import SandboxState
from tui.sandbox.xero_books import XeroOrg

ACCOUNT_CLASSES = {
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "EQUITY": "EQUITY",
}
"""Xero's Class for an account Type (the others are ASSET)."""


def _amount(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def create_admin_app(state: SandboxState) -> Starlette:
    books = ActionstepBooks(state.firm.actionstep, state.clock.now)

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = loads(raw) if raw else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def summary() -> dict[str, Any]:
        return {
            "clock": state.clock.now().isoformat(),
            "faults": {"spec": state.faults.spec, "injected": len(state.faults.injected)},
            "limits": vars(state.limits.limits),
            "token_requests": [list(r) for r in state.identity.token_requests],
            "xero": [
                {
                    "tenant_id": org.tenant_id,
                    "name": org.name,
                    "class": org.organisation.get("Class"),
                    "invoices": len(org.invoices),
                    "payments": len(org.payments),
                    "contacts": len(org.contacts),
                }
                for org in state.orgs.values()
            ],
            "actionstep": {name: len(table) for name, table in state.firm.actionstep.items()},
        }

    async def handle(request: Request) -> Response:
        try:
            data = await body(request)
            with state.lock:
                return json_response(act(request, data))
        except (ValueError, ArithmeticError, FaultSpecError) as error:
            return json_response({"error": str(error)}, 400)
        except KeyError as error:
            return json_response({"error": str(error).strip("'\"")}, 404)

    def act(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        path = request.url.path.split("/_sandbox", 1)[1].strip("/")
        method = request.method
        if path == "" and method == "GET":
            return summary()
        if path == "clock":
            state.clock.advance(timedelta(seconds=float(data.get("advance", 0))))
        elif path == "faults":
            state.faults.set("" if method == "DELETE" else str(data.get("spec", "")))
        elif path == "limits":
            state.limits.limits = Limits(**{**vars(state.limits.limits), **data})
        elif path == "limits/exhaust":
            for tenant_id in state.orgs:
                state.limits.exhaust(tenant_id, str(data.get("problem", "minute")))
        elif path.startswith("actionstep/bills/"):
            bill_id = int(path.rsplit("/", 1)[1])
            if "add_fee" in data:
                fee = data["add_fee"]
                books.add_fee(
                    bill_id,
                    str(fee.get("description", "Additional work")),
                    Decimal(str(fee["amount"])),
                )
            if "recode" in data:
                books.recode(bill_id, int(data["recode"]["from"]), int(data["recode"]["to"]))
            if "status" in data:
                books.set_status(bill_id, str(data["status"]))
            if "pay" in data:
                books.pay(bill_id, _amount(data["pay"]))
            if "credit" in data:
                books.credit(bill_id, Decimal(str(data["credit"])))
            if "unpay" in data:
                books.unpay(bill_id, Decimal(str(data["unpay"])))
            return {"bill": books.bill(bill_id)}
        elif path.startswith("xero/invoices/"):
            return {"invoice": xero_invoice(path.rsplit("/", 1)[1], data)}
        elif path.startswith("xero/accounts/"):
            ref = path.rsplit("/", 1)[1]
            account = state.xero.account_by_code(ref) or state.xero.account({"AccountID": ref})
            if account is None:
                raise KeyError(f"no Xero account with Code or AccountID {ref}")
            if data.get("code"):
                state.xero.give_code(account["AccountID"], str(data["code"]))
            if data.get("archive"):
                account["Status"] = "ARCHIVED"
            if data.get("clear_code"):
                account.pop("Code", None)
            if data.get("name"):
                account["Name"] = str(data["name"])
            if data.get("type"):
                account["Type"] = str(data["type"])
                account["Class"] = ACCOUNT_CLASSES.get(account["Type"], "ASSET")
            if data.get("delete"):
                state.xero.accounts.remove(account)
            return {"account": account}
        elif path == "xero/organisation":
            lock = data.get("lock")
            if lock:
                state.xero.organisation["PeriodLockDate"] = xero_date(date.fromisoformat(lock))
            else:
                state.xero.organisation.pop("PeriodLockDate", None)
            return {"organisation": state.xero.organisation}
        elif path == "xero/organisations":
            return {"organisation": add_organisation(data)}
        else:
            raise KeyError(f"no admin action {method} /_sandbox/{path}")
        return summary()

    def xero_invoice(number: str, data: dict[str, Any]) -> dict[str, Any]:
        org = state.xero
        invoice = org.invoice(number)
        if invoice is None:
            raise KeyError(f"no Xero invoice {number}")
        if "pay" in data:
            amount = _amount(data["pay"]) or invoice["AmountDue"]
            _, errors = org.create_payment(
                {
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Account": {"Code": data.get("account", "090")},
                    "Amount": amount,
                    "Reference": "paid in Xero",
                }
            )
            if errors:
                raise ValueError("; ".join(errors))
        if data.get("unpay"):
            org.remove_payments(invoice)
        if data.get("void"):
            _, errors = org.update_invoice(invoice, {"Status": "VOIDED"})
            if errors:
                raise ValueError("; ".join(errors))
        if "credit" in data:
            org.credit(invoice, Decimal(str(data["credit"])))
        return invoice

    def add_organisation(data: dict[str, Any]) -> dict[str, Any]:
        """Another organisation with a copy of the firm's chart (same Codes, its own
        AccountIDs, as when a firm re-creates its books) and no transactions."""
        tenant_id = str(uuid.uuid4())
        organisation = {
            **copy.deepcopy(state.xero.organisation),
            "OrganisationID": str(uuid.uuid4()),
            "Name": str(data.get("name", "Demo Company (AU)")),
            "Class": str(data.get("class", "DEMO")),
            "IsDemoCompany": str(data.get("class", "DEMO")) == "DEMO",
            "ShortCode": "!" + tenant_id[:5],
        }
        accounts = [
            {**account, "AccountID": str(uuid.uuid4())}  # ids are per organisation
            for account in copy.deepcopy(state.xero.accounts)
        ]
        org = XeroOrg(tenant_id, organisation, accounts, copy.deepcopy(state.xero.tax_rates))
        state.add_organisation(org, consent=bool(data.get("consent", True)))
        return {"tenant_id": tenant_id, **organisation}

    return Starlette(
        routes=[
            Route("/", handle, methods=["GET"]),
            Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )
