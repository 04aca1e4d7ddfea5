"""The sandbox's Actionstep REST API, over loopback, in its JSON:API-like shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support.sandboxes import clean_sandbox

from tui.sandbox.server import SandboxServer


@pytest.fixture
def rest(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    _, token = sandbox.state.issue_demo_tokens()
    with httpx.Client(
        base_url=sandbox.actionstep_api_url + "/", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def test_pages_default_to_50_and_stop_at_200(rest: httpx.Client) -> None:
    first = rest.get("bills").json()
    paging = first["meta"]["paging"]["bills"]
    assert (paging["pageSize"], paging["recordCount"], len(first["bills"])) == (50, 220, 50)
    assert "page=2" in paging["nextPage"] and "prevPage" not in paging
    big = rest.get("bills", params={"pageSize": 500}).json()["meta"]["paging"]["bills"]
    assert big["pageSize"] == 200


def test_filters_sort_fields_and_id_lists(rest: httpx.Client) -> None:
    drafts = rest.get("bills", params={"status": "Draft", "pageSize": 200}).json()["bills"]
    assert drafts and {b["status"] for b in drafts} == {"Draft"}
    recent = rest.get(
        "bills",
        params={"modifiedTimestamp_gteq": "2026-11-01T00:00:00", "sort": "-modifiedTimestamp"},
    ).json()["bills"]
    stamps = [b["modifiedTimestamp"] for b in recent]
    assert stamps == sorted(stamps, reverse=True) and len(recent) < 50
    matter = recent[0]["links"]["action"][0]
    for_matter = rest.get("bills", params={"action_eq": matter}).json()["bills"]
    for_matter = for_matter if isinstance(for_matter, list) else [for_matter]
    assert all(matter in b["links"]["action"] for b in for_matter)
    slim = rest.get("bills/801,802", params={"fields": "status"}).json()["bills"]
    assert [sorted(b) for b in slim] == [["id", "links", "status"]] * 2
    lone = rest.get("participants/1201").json()["participants"]
    assert isinstance(lone, dict) and lone["id"] == 1201 and lone["isCompany"] in ("T", "F")
    assert rest.get("bills", params={"status": "Nope"}).status_code == 204


def test_a_bad_token_is_401(sandbox: SandboxServer) -> None:
    response = httpx.get(
        f"{sandbox.actionstep_api_url}/bills", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401 and response.json()["errors"][0]["title"] == "Unauthorized"


def test_a_rate_limited_actionstep_says_when_to_come_back() -> None:
    with clean_sandbox(faults="GET /actionstep/*=seq:429-minute") as server:
        _, token = server.state.issue_demo_tokens()
        response = httpx.get(
            f"{server.actionstep_api_url}/bills", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 429 and response.headers["Retry-After"] == "60"


def test_bills_edited_deleted_or_paid_in_actionstep_show_it(
    sandbox: SandboxServer, rest: httpx.Client
) -> None:
    admin = f"{sandbox.base_url}/_sandbox/actionstep/bills"
    before = rest.get("bills/801").json()["bills"]
    edited = httpx.post(f"{admin}/801", json={"add_fee": {"amount": "250"}}).json()["bill"]
    assert edited["totalInclusive"] == before["totalInclusive"] + 275
    assert edited["modifiedTimestamp"] > before["modifiedTimestamp"]
    lines = rest.get("timeentries", params={"bill": "801"}).json()["timeentries"]
    assert any(line["billableAmount"] == 250 for line in lines)
    httpx.post(f"{admin}/802", json={"status": "Deleted"})
    assert rest.get("bills/802").json()["bills"]["status"] == "Deleted"
    paid = httpx.post(f"{admin}/803", json={"pay": None}).json()["bill"]
    assert (paid["status"], paid["totalDue"]) == ("Closed", 0)
