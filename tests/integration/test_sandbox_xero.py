"""The sandbox's Xero, over loopback: limits, idempotency, XML, batches, status rules, payments
and faults, each as Xero documents them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.oauth_helpers import bearer
from support.sandboxes import clean_sandbox

from tui.sandbox.limits import Limits
from tui.sandbox.server import SandboxServer


class Xero:
    """A bare HTTP client for the sandbox's Xero, as a test script would use one."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        token, _ = server.state.issue_demo_tokens()
        self.http = httpx.Client(
            base_url=server.xero_api_url + "/",
            timeout=10,
            headers=bearer(token, server.state.xero.tenant_id),
        )
        [client] = [c for c in server.state.xero.contacts.values() if c["Name"] == "Telstra"]
        self.contact_id = client["ContactID"]

    def invoice(self, number: str, amount: str = "100.00", **extra: Any) -> dict[str, Any]:
        return {
            "Type": "ACCREC",
            "Contact": {"ContactID": self.contact_id},
            "InvoiceNumber": number,
            "Status": "AUTHORISED",
            "Date": "2026-07-01",
            "LineItems": [
                {
                    "Description": "Fees",
                    "Quantity": 1,
                    "UnitAmount": amount,
                    "AccountCode": "201",
                    "TaxType": "OUTPUT",
                }
            ],
            **extra,
        }

    def put_invoices(
        self, *invoices: dict[str, Any], summarize: bool = False, key: str | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.http.put(
            "Invoices",
            json={"Invoices": list(invoices)},
            params={"summarizeErrors": str(summarize).lower()},
            headers=headers,
        )

    def pay(self, number: str, amount: str, account: str = "090") -> httpx.Response:
        return self.http.put(
            "Payments",
            params={"summarizeErrors": "false"},
            json={
                "Payments": [
                    {
                        "Invoice": {"InvoiceNumber": number},
                        "Account": {"Code": account},
                        "Date": "2026-07-10",
                        "Amount": amount,
                    }
                ]
            },
        )


@pytest.fixture
def xero(sandbox: SandboxServer) -> Iterator[Xero]:
    client = Xero(sandbox)
    yield client
    client.http.close()


def messages(response: httpx.Response, key: str = "Invoices") -> list[list[str]]:
    return [
        [e["Message"] for e in element.get("ValidationErrors", [])]
        for element in response.json()[key]
    ]


def test_answers_are_xml_unless_json_is_asked_for(xero: Xero) -> None:
    xml = xero.http.get("Organisation", headers={"Accept": "*/*"})
    assert xml.headers["content-type"].startswith("text/xml")
    assert "<Organisations><Organisation>" in xml.text and "<Name>Harbour" in xml.text
    assert xero.http.get("Organisation").json()["Organisations"][0]["Class"] == "STANDARD"


def test_every_answer_reports_the_budget_left(xero: Xero) -> None:
    first = xero.http.get("Accounts")
    second = xero.http.get("Accounts")
    assert int(first.headers["X-MinLimit-Remaining"]) == 59
    assert int(second.headers["X-MinLimit-Remaining"]) == 58
    assert int(second.headers["X-DayLimit-Remaining"]) == 4998
    assert "X-AppMinLimit-Remaining" in second.headers


def test_the_minute_limit_answers_429_and_resets_with_the_clock() -> None:
    with clean_sandbox(limits=Limits(per_minute=3, per_day=100)) as server:
        state = server.state
        xero = Xero(server)
        for _ in range(3):
            assert xero.http.get("TaxRates").status_code == 200
        limited = xero.http.get("TaxRates")
        assert limited.status_code == 429
        assert limited.headers["X-Rate-Limit-Problem"] == "minute"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        state.clock.advance(timedelta(seconds=61))
        assert xero.http.get("TaxRates").status_code == 200


def test_the_day_limit_holds_until_the_day_is_over() -> None:
    with clean_sandbox(limits=Limits(per_minute=1000, per_day=5)) as server:
        state = server.state
        xero = Xero(server)
        for _ in range(5):
            xero.http.get("TaxRates")
            state.clock.advance(timedelta(minutes=30))
        limited = xero.http.get("TaxRates")
        assert (limited.status_code, limited.headers["X-Rate-Limit-Problem"]) == (429, "day")
        assert int(limited.headers["Retry-After"]) > 3600
        state.clock.advance(timedelta(hours=22))
        assert xero.http.get("TaxRates").status_code == 200


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(xero: Xero) -> None:
    first = xero.put_invoices(xero.invoice("INV-1"), key="k-1")
    replay = xero.put_invoices(xero.invoice("INV-1"), key="k-1")
    assert replay.json()["Invoices"][0]["InvoiceID"] == first.json()["Invoices"][0]["InvoiceID"]
    assert len(xero.server.state.xero.invoices) == 1, "replayed, not run twice"
    other = xero.put_invoices(xero.invoice("INV-2"), key="k-1")
    assert other.status_code == 400
    assert other.json()["Message"] == "Idempotency Key: k-1 is used with a different request."
    xero.server.state.clock.advance(timedelta(minutes=7))
    late = xero.put_invoices(xero.invoice("INV-1"), key="k-1")
    assert messages(late) == [["Invoice # must be unique."]], "after 6 minutes the key is new"


def test_summarised_errors_are_a_400_yet_the_valid_invoices_were_created(xero: Xero) -> None:
    bad = xero.invoice("INV-2")
    bad["LineItems"][0]["AccountCode"] = "999"
    response = xero.put_invoices(xero.invoice("INV-1"), bad, summarize=True)
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "ValidationException"
    assert [e["InvoiceNumber"] for e in body["Elements"]] == ["INV-2"]
    assert xero.server.state.xero.invoice("INV-1") is not None


def test_paid_and_voided_invoices_refuse_changes_with_xeros_words(xero: Xero) -> None:
    xero.put_invoices(xero.invoice("INV-1"), xero.invoice("INV-2"), xero.invoice("INV-3"))
    assert xero.pay("INV-1", "110.00").json()["Payments"][0]["Invoice"]["Status"] == "PAID"
    edited = xero.http.post(
        "Invoices",
        json={"Invoices": [xero.invoice("INV-1", "120.00")]},
        params={"summarizeErrors": "false"},
    )
    assert messages(edited) == [["Invoice not of valid status for modification"]]
    xero.pay("INV-2", "50.00")
    with_payment = xero.http.post("Invoices/INV-2", json={"Invoices": [{"Status": "VOIDED"}]})
    assert with_payment.status_code == 400
    assert "has a payment or credit note allocated" in with_payment.text
    voided = xero.http.post("Invoices/INV-3", json={"Invoices": [{"Status": "VOIDED"}]})
    assert voided.json()["Invoices"][0]["Status"] == "VOIDED"
    again = xero.http.post("Invoices/INV-3", json={"Invoices": [xero.invoice("INV-3", "5")]})
    assert "Invoice not of valid status for modification" in again.text


def test_an_authorised_invoice_without_payments_can_be_updated_by_number(xero: Xero) -> None:
    xero.put_invoices(xero.invoice("INV-1"))
    updated = xero.http.post(
        "Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [xero.invoice("INV-1", "150.00")]},
    )
    [invoice] = updated.json()["Invoices"]
    assert invoice["Total"] == 165.0 and len(xero.server.state.xero.invoices) == 1


def test_payments_are_refused_over_the_amount_due_or_on_paid_invoices(xero: Xero) -> None:
    xero.put_invoices(xero.invoice("INV-1"))
    over = xero.pay("INV-1", "500.00")
    assert messages(over, "Payments") == [
        ["Payment amount exceeds the amount outstanding on this document"]
    ]
    wrong_account = xero.pay("INV-1", "10.00", account="201")
    assert messages(wrong_account, "Payments") == [
        ["Account type is invalid for making a payment to/from"]
    ]
    assert xero.pay("INV-1", "110.00").json()["Payments"][0]["Invoice"]["AmountDue"] == 0
    twice = xero.pay("INV-1", "110.00")
    assert messages(twice, "Payments") == [
        [
            "Payments can only be made against Authorised documents",
            "Payment amount exceeds the amount outstanding on this document",
        ]
    ]
    found = xero.http.get("Payments", params={"where": 'Reference=="" AND Status=="AUTHORISED"'})
    assert len(found.json()["Payments"]) == 1


def test_deleting_a_payment_reopens_the_invoice(xero: Xero) -> None:
    xero.put_invoices(xero.invoice("INV-1"))
    payment_id = xero.pay("INV-1", "110.00").json()["Payments"][0]["PaymentID"]
    deleted = xero.http.post(f"Payments/{payment_id}", json={"Payments": [{"Status": "DELETED"}]})
    assert deleted.status_code == 200
    invoice = xero.http.get("Invoices/INV-1").json()["Invoices"][0]
    assert (invoice["Status"], invoice["AmountDue"]) == ("AUTHORISED", 110.0)


def test_an_unknown_invoice_is_a_404(xero: Xero) -> None:
    assert xero.http.get("Invoices/NOPE").status_code == 404


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        ("503", 503, "The Organisation is Offline"),
        ("500", 500, "An error occurred in Xero"),
        ("429-minute", 429, "Rate limit exceeded"),
    ],
)
def test_injected_refusals_look_as_xero_sends_them(fault: str, status: int, body: str) -> None:
    with clean_sandbox(faults=f"GET */Organisation={fault}") as server:
        xero = Xero(server)
        response = xero.http.get("Organisation")
        assert response.status_code == status and body in response.text
        assert response.headers["content-type"].startswith("text/plain")
        if status == 429:
            assert response.headers["X-Rate-Limit-Problem"] == "minute"


def test_a_lost_answer_was_committed_and_a_reset_was_not() -> None:
    spec = "PUT */Invoices=seq:lost,reset"
    with clean_sandbox(faults=spec) as server:
        xero = Xero(server)
        with pytest.raises(httpx.RemoteProtocolError):
            xero.put_invoices(xero.invoice("INV-1"))
        assert server.state.xero.invoice("INV-1") is not None, "lost: Xero has it"
        with pytest.raises(httpx.RemoteProtocolError):
            xero.put_invoices(xero.invoice("INV-2"))
        assert server.state.xero.invoice("INV-2") is None, "reset: never processed"
        assert xero.put_invoices(xero.invoice("INV-2")).status_code == 200
        assert [f for _, _, f in server.state.faults.injected] == ["lost", "reset"]


def test_slow_and_timeout_faults_keep_the_client_waiting() -> None:
    with clean_sandbox(faults="GET */TaxRates=seq:slow(0.3),timeout") as s:
        xero = Xero(s)
        slow = xero.http.get("TaxRates")
        assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.3
        with pytest.raises(httpx.ReadTimeout):
            xero.http.get("TaxRates", timeout=0.5)


def test_probabilistic_faults_are_deterministic_for_a_seed() -> None:
    def run() -> list[int]:
        with clean_sandbox(faults="GET */Accounts=503:0.3") as server:
            xero = Xero(server)
            return [xero.http.get("Accounts").status_code for _ in range(30)]

    first = run()
    assert first == run()
    assert 3 <= first.count(503) <= 18


def test_the_admin_api_scripts_a_scenario(sandbox: SandboxServer, xero: Xero) -> None:
    admin = httpx.Client(base_url=f"{sandbox.base_url}/_sandbox")
    xero.put_invoices(xero.invoice("INV-1"))
    paid = admin.post("/xero/invoices/INV-1", json={"pay": None}).json()["invoice"]
    assert paid["Status"] == "PAID"
    assert admin.post("/xero/accounts/201", json={"clear_code": True}).status_code == 200
    refused = xero.put_invoices(xero.invoice("INV-2"))
    assert messages(refused) == [["Account code '201' is not a valid code for this document."]]
    bill = admin.post("/actionstep/bills/801", json={"add_fee": {"amount": "100"}}).json()["bill"]
    assert bill["totalInclusive"] == 2877.6  # 2,767.60 + 100 + 10% GST
    assert admin.put("/faults", json={"spec": "nonsense"}).status_code == 400
    assert admin.put("/faults", json={"spec": "GET */Accounts=503"}).status_code == 200
    assert xero.http.get("Accounts").status_code == 503
    admin.delete("/faults")
    summary = admin.get("").json()
    assert summary["xero"][0]["invoices"] == 1 and summary["faults"]["spec"] == ""
    trial = admin.post("/xero/organisations", json={"name": "Trial Co", "class": "TRIAL"})
    assert trial.json()["organisation"]["Class"] == "TRIAL"
    assert json.loads(admin.get("").text)["xero"][1]["name"] == "Trial Co"
    admin.close()


def test_a_sixth_call_in_flight_is_refused() -> None:
    """Five calls held open take the tenant's five slots; a sixth meanwhile gets a 429."""
    import asyncio

    async def scenario(server: SandboxServer) -> list[int]:
        token, _ = server.state.issue_demo_tokens()
        gate = server.state.holds.arm("GET", "*/Accounts", count=5)
        async with httpx.AsyncClient(
            base_url=server.xero_api_url + "/", headers=bearer(token, server.state.xero.tenant_id)
        ) as http:
            held = [asyncio.create_task(http.get("Accounts")) for _ in range(5)]
            await asyncio.to_thread(gate.wait_arrived)
            sixth = await http.get("TaxRates")
            gate.release()
            return [sixth.status_code, *[(await task).status_code for task in held]]

    with clean_sandbox() as server:
        statuses = asyncio.run(scenario(server))
    assert statuses == [429, 200, 200, 200, 200, 200]


def test_the_same_seed_gives_the_same_firm() -> None:
    from tui.sandbox.demo_firm import build_demo_firm
    from tui.sandbox.formats import dumps

    def world(seed: int) -> bytes:
        firm = build_demo_firm(seed)
        return dumps(
            {
                "actionstep": {k: list(v.values()) for k, v in firm.actionstep.items()},
                "accounts": firm.xero.accounts,
                "invoices": list(firm.xero.invoices),
                "org": firm.xero.organisation,
            }
        )

    assert world(11) == world(11)
    assert world(11) != world(12)


def test_a_firm_of_thousands_is_built_with_the_triage_tour_the_same_each_time() -> None:
    """`sandbox serve --bills N` at a firm's size: the tour's problems are set on bills of the
    whole firm (finding them once, not once per bill), and the same seed gives the same firm."""
    from tui.sandbox.state import SandboxState

    def conveyancing(state: SandboxState) -> list[tuple[int, str]]:
        return sorted(
            (t["links"]["bill"], str(t["billableAmount"]))
            for t in state.firm.actionstep["timeentries"].values()
            if t["links"]["incomeAccount"] == 4006
        )

    firm = SandboxState.demo(bills=5_000)
    assert len(firm.firm.actionstep["bills"]) == 5_000
    fees = conveyancing(firm)
    assert len(fees) == 4 and fees == conveyancing(SandboxState.demo(bills=5_000))


def test_the_admin_api_voids_credits_archives_and_moves_the_clock(
    sandbox: SandboxServer, xero: Xero
) -> None:
    admin = httpx.Client(base_url=f"{sandbox.base_url}/_sandbox")
    xero.put_invoices(xero.invoice("INV-1"), xero.invoice("INV-2"))
    assert (
        admin.post("/xero/invoices/INV-1", json={"void": True}).json()["invoice"]["Status"]
        == "VOIDED"
    )
    credited = admin.post("/xero/invoices/INV-2", json={"credit": "10.00"}).json()["invoice"]
    assert credited["AmountDue"] == 100.0
    edit = xero.http.post(
        "Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [xero.invoice("INV-2", "120.00")]},
    )
    assert "has a payment or credit note allocated" in edit.text
    assert admin.post("/xero/accounts/202", json={"archive": True}).status_code == 200
    archived = xero.put_invoices(
        {
            **xero.invoice("INV-3"),
            "LineItems": [
                {
                    "Description": "Search",
                    "UnitAmount": 10,
                    "AccountCode": "202",
                    "TaxType": "OUTPUT",
                }
            ],
        }
    )
    assert messages(archived) == [
        [
            "Account code '202' has been archived, or has been "
            "deleted. Each line item must reference a valid account."
        ]
    ]
    before = sandbox.state.clock.now()
    admin.post("/clock", json={"advance": 3600})
    assert (sandbox.state.clock.now() - before).total_seconds() >= 3600
    assert admin.post("/xero/invoices/NOPE", json={"void": True}).status_code == 404
    admin.close()


def test_a_contact_is_found_by_its_contact_number(xero: Xero) -> None:
    xero.http.put("Contacts", json={"Contacts": [{"Name": "Ann Lee", "ContactNumber": "1201"}]})
    found = xero.http.get("Contacts/1201").json()["Contacts"][0]
    assert found["Name"] == "Ann Lee"
    assert xero.http.get("Contacts/9999").status_code == 404


def test_an_injected_day_limit_says_come_back_tomorrow() -> None:
    with clean_sandbox(faults="GET */Accounts=429-day") as server:
        response = Xero(server).http.get("Accounts")
        assert response.headers["X-Rate-Limit-Problem"] == "day"
        assert int(response.headers["Retry-After"]) > 3600


async def test_the_sandbox_also_runs_in_process_without_a_socket() -> None:
    from tui.sandbox.app import create_app
    from tui.sandbox.state import SandboxState

    state = SandboxState.demo(tour=False)
    token, _ = state.issue_demo_tokens()
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get(
            "/xero/api.xro/2.0/Organisation", headers=bearer(token, state.xero.tenant_id)
        )
    assert response.json()["Organisations"][0]["Name"] == "Harbour & Finch Lawyers"


def test_paths_are_answered_in_any_letter_case_as_on_xero(xero: Xero) -> None:
    created = xero.put_invoices(xero.invoice("CASE-1")).json()["Invoices"][0]
    lower = xero.http.get("invoices", params={"InvoiceNumbers": "CASE-1"})
    upper = xero.http.get(f"INVOICES/{created['InvoiceID']}")
    assert lower.status_code == upper.status_code == 200
    assert lower.json()["Invoices"][0]["InvoiceID"] == created["InvoiceID"]
    assert xero.http.get("invoices/CASE-1").json()["Invoices"][0]["InvoiceNumber"] == "CASE-1"
    token, _ = xero.server.state.issue_demo_tokens()
    listed = httpx.get(f"{xero.server.base_url}/xero/Connections", headers=bearer(token))
    assert listed.status_code == 200 and listed.json()[0]["tenantId"]


def test_dates_in_xeros_own_form_are_read_and_a_refused_element_echoes_them_so(xero: Xero) -> None:
    july_first = "/Date(1782864000000+0000)/"  # 2026-07-01
    made = xero.put_invoices(xero.invoice("DATE-1", Date=july_first)).json()["Invoices"][0]
    assert made["DateString"] == "2026-07-01T00:00:00"
    refused = xero.put_invoices(xero.invoice("DATE-1", Date="2026-07-01")).json()["Invoices"][0]
    assert refused["Date"] == july_first and refused["HasErrors"] is True
    paid = xero.http.put(
        "Payments",
        params={"summarizeErrors": "false"},
        json={
            "Payments": [
                {"Invoice": {"InvoiceNumber": "nothing"}, "Account": {"Code": "090"}, "Amount": 1}
            ]
        },
    ).json()["Payments"][0]
    assert paid["HasValidationErrors"] is True and "HasErrors" not in paid
