"""Read what the push needs from Actionstep's REST API: bills, their lines, clients, matters,
and the income accounts and tax codes lines are coded to.

`api_url` is the REST base: the token response's `api_endpoint` plus `rest`
(https://ap-southeast-2.actionstep.com/api/rest). Pages are asked for at the maximum size (200);
id lists go in chunks that keep URLs short.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard, TypeVar

import httpx

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.errors import RemoteError, RemoteRateLimited, RemoteRejected, RemoteUnauthorised
from tui.core.jsonio import loads
from tui.core.models import Bill, Catalog, Line
from tui.remote.actionstep.parse import (
    as_list,
    link,
    parse_catalog,
    parse_contact,
    parse_matter,
    read_bill,
    read_line,
)
from tui.remote.transport import (
    DEFAULT_RETRY,
    RetryPolicy,
    TokenProvider,
    new_client,
    plain_excerpt,
    transport_failure,
    unavailable,
)

T = TypeVar("T")
Progress = Callable[[int, int], None]
"""Told (done, of) as the requests of one reading complete."""

PAGE_SIZE = 200
MAX_PAGES = 5000
"""A million records of one kind: a collection that pages on past this is not ending."""
ID_CHUNK = 100
SERVICE = "Actionstep"
JSON_API = "application/vnd.api+json"
FINALISED_AND_DRAFT = ("Draft", "Open", "Closed")
EVERY_STATUS = ("Draft", "Open", "Closed", "Deleted")


RATE_LIMIT_WAITS = 5
IN_FLIGHT = 4
"""Requests to Actionstep at once. It publishes no limits: start at 4, halve on a 429, and
grow back by one after every GROW_AFTER answers without one."""
GROW_AFTER = 50


class InFlight:
    """An adaptive bound on concurrent requests (additive increase, multiplicative decrease)."""

    def __init__(self, limit: int = IN_FLIGHT) -> None:
        self.most = limit
        self.limit = limit
        self._active = 0
        self._calm = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._active < self.limit)
            self._active += 1

    async def __aexit__(self, *_exc: object) -> None:
        async with self._changed:
            self._active -= 1
            self._changed.notify_all()

    def throttled(self) -> None:
        """A 429: fewer at once from now on."""
        self.limit = max(1, self.limit // 2)
        self._calm = 0

    def answered(self) -> None:
        self._calm += 1
        if self._calm >= GROW_AFTER and self.limit < self.most:
            self.limit += 1
            self._calm = 0


class ActionstepClient:
    """Reads only, so every call may be retried: 5xx, timeouts and resets with backoff, a 429
    after its Retry-After (or backoff: Actionstep publishes no numbers), a 401 once after a
    token refresh."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenProvider,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        clock: Clock = REAL_CLOCK,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._retry = retry
        self.server_time: datetime | None = None
        """The server's clock (HTTP Date) at its latest answer: a sync cursor never goes
        past it, whatever timestamps the records carry."""
        self._http = new_client(api_url, transport, {"Accept": JSON_API, "Content-Type": JSON_API})
        self.in_flight = InFlight()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One GET; a 204 (no records match) is an empty body."""
        token = await self._tokens.token()
        refreshed = False
        attempt = waits = 0
        while True:
            try:
                async with self.in_flight:
                    response = await self._http.get(
                        path, params=params, headers={"Authorization": f"Bearer {token}"}
                    )
            except httpx.TransportError as error:
                if attempt + 1 >= self._retry.attempts:
                    raise transport_failure(SERVICE, "GET", error) from None
                await self._clock.sleep(self._retry.delay(attempt))
                attempt += 1
                continue
            if response.status_code == 401 and not refreshed:
                token = await self._tokens.refresh(token)
                refreshed = True
                continue
            if response.status_code == 429:
                self.in_flight.throttled()
            else:
                self.in_flight.answered()
            if response.status_code == 429 and waits < RATE_LIMIT_WAITS:
                retry_after = response.headers.get("Retry-After", "")
                await self._clock.sleep(
                    float(retry_after) if retry_after.isdigit() else self._retry.delay(waits)
                )
                waits += 1
                continue
            if response.status_code >= 500 and attempt + 1 < self._retry.attempts:
                await self._clock.sleep(self._retry.delay(attempt))
                attempt += 1
                continue
            return self._body(response, path)

    def _body(self, response: httpx.Response, path: str) -> dict[str, Any]:
        stamp = response.headers.get("date")
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(stamp)
        if response.status_code == 204:
            return {}
        if response.status_code == 401:
            raise RemoteUnauthorised(
                "Actionstep refused the access token (401): reconnect to Actionstep", status=401
            )
        if response.status_code == 429:
            raise RemoteRateLimited(
                "Actionstep kept answering 429 (rate limited); try again later",
                retry_after=None,
                problem=None,
            )
        if response.status_code >= 500:
            raise unavailable(SERVICE, response)
        if response.status_code >= 400:
            raise RemoteRejected(
                f"Actionstep refused {path} ({response.status_code}): {plain_excerpt(response)}",
                status=response.status_code,
            )
        try:
            body = loads(response.content)
        except ValueError:
            raise RemoteRejected(
                f"Actionstep sent something that is not JSON for {path}",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise RemoteRejected(f"Actionstep sent an unexpected body for {path}")
        return body

    async def _all(
        self,
        resource: str,
        params: dict[str, str] | None = None,
        ids: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """Every record of a collection, following pages; also what `include` side-loaded.
        Once the first page says how many there are, the rest are asked for at once (within
        the in-flight bound) and read in page order.

        Actionstep's paging is trusted no further than it proves itself: a page that repeats
        the one before, more pages than `pageCount` said, more than `MAX_PAGES`, or a record
        served twice with different content ends with an error naming the resource, instead
        of looping or acting on a record it cannot tell apart."""
        records: dict[str, dict[str, Any]] = {}
        unnamed: list[dict[str, Any]] = []
        linked: dict[str, list[dict[str, Any]]] = {}
        path = f"{resource}/{','.join(ids)}" if ids else resource

        def ask(page: int) -> Awaitable[dict[str, Any]]:
            return self._get(
                path, {**(params or {}), "page": str(page), "pageSize": str(PAGE_SIZE)}
            )

        first = await ask(1)
        bodies = {1: first}
        count = _paging(first, resource).get("pageCount")
        if _is_count(count) and 1 < count <= MAX_PAGES and _paging(first, resource).get("nextPage"):
            pages, done = count, [1]

            async def read(page: int) -> dict[str, Any]:
                body = await ask(page)
                done[0] += 1
                if progress is not None:
                    progress(done[0], pages)
                return body

            rest = await _together(read(page) for page in range(2, pages + 1))
            bodies.update(zip(range(2, pages + 1), rest, strict=True))
        page, previous = 1, None
        while True:
            body = bodies.pop(page, None) or await ask(page)
            found = [r for r in as_list(body.get(resource)) if isinstance(r, dict)]
            here = [str(r.get("id")) for r in found]
            if page > 1 and found and here == previous:
                raise self._bad_paging(resource, f"page {page} repeats page {page - 1}")
            previous = here
            for record in found:
                key = str(record.get("id", ""))
                if not key:
                    unnamed.append(record)
                elif key not in records:
                    records[key] = record
                elif records[key] != record:
                    raise self._bad_paging(
                        resource, f"{resource} {key} was served twice, with different content"
                    )
            extra = body.get("linked")
            if isinstance(extra, dict):
                for name, items in extra.items():
                    linked.setdefault(name, []).extend(
                        r for r in as_list(items) if isinstance(r, dict)
                    )
            paging = _paging(body, resource)
            if not paging.get("nextPage"):
                return [*records.values(), *unnamed], linked
            count = paging.get("pageCount")
            if _is_count(count) and page >= count:
                raise self._bad_paging(resource, f"page {page} of {count} still names a next page")
            if page >= MAX_PAGES:
                raise self._bad_paging(resource, f"more than {MAX_PAGES} pages")
            page += 1

    @staticmethod
    def _bad_paging(resource: str, what: str) -> RemoteError:
        return RemoteError(
            f"Actionstep's {resource} could not be read: {what}. The sync stopped before "
            "acting on any of it; nothing was changed. Try again later, and tell Actionstep's "
            "support if it goes on"
        )

    async def _by_ids(self, resource: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        unique = list(dict.fromkeys(i for i in ids if i.isdigit()))

        async def chunk(start: int) -> list[dict[str, Any]]:
            try:
                found, _ = await self._all(resource, ids=unique[start : start + ID_CHUNK])
            except RemoteRejected as error:
                if error.status == 404:
                    return []
                raise
            return found

        chunks = await _together(chunk(start) for start in range(0, len(unique), ID_CHUNK))
        return [record for found in chunks for record in found]

    async def _lines_for(
        self, resource: str, bill_ids: Sequence[str], progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        starts = range(0, len(bill_ids), ID_CHUNK)
        done = [0]

        async def chunk(start: int) -> list[dict[str, Any]]:
            found, _ = await self._all(
                resource, {"bill": ",".join(bill_ids[start : start + ID_CHUNK])}
            )
            done[0] += 1
            if progress is not None:
                progress(done[0], len(starts))
            return found

        chunks = await _together(chunk(start) for start in starts)
        return [record for found in chunks for record in found]

    async def catalog(self) -> Catalog:
        """The income accounts and tax codes lines are coded to."""
        accounts, _ = await self._all("accounts")
        tax_codes, _ = await self._all("taxcodes")
        return parse_catalog(accounts, tax_codes)

    async def bills(
        self,
        catalog: Catalog,
        statuses: Sequence[str] = FINALISED_AND_DRAFT,
        modified_since: datetime | None = None,
        progress: Callable[[str], None] = lambda _message: None,
    ) -> list[Bill]:
        """Every bill in the given statuses (changed since `modified_since`, if given), with
        its lines, client and matter. `progress` is told how far the reading has got."""
        params = {"status": ",".join(statuses), "include": "theirParticipant,action"}
        if modified_since is not None:  # Actionstep reads a timestamp without offset as UTC
            stamp = modified_since.astimezone(UTC).replace(tzinfo=None)
            params["modifiedTimestamp_gteq"] = stamp.isoformat(timespec="seconds")
        records, linked = await self._all(
            "bills", params, progress=lambda n, of: progress(f"Reading bills: page {n:,} of {of:,}")
        )
        bill_ids = [str(r["id"]) for r in records if str(r.get("id", "")).isdigit()]
        contacts = _index(linked.get("participants", []), parse_contact)
        matters = _index(linked.get("actions", []), parse_matter)
        missing = [p for r in records if (p := link(r, "theirParticipant")) and p not in contacts]
        if missing:
            contacts.update(_index(await self._by_ids("participants", missing), parse_contact))
        lines: dict[str, list[Line]] = {}
        problems: dict[str, list[str]] = {}
        for resource, kind in (("timeentries", "time entries"), ("disbursements", "disbursements")):

            def told(n: int, of: int, kind: str = kind) -> None:
                progress(f"Reading the bills' {kind}: {n:,} of {of:,} requests")

            for record in await self._lines_for(resource, bill_ids, told):
                bill_id = link(record, "bill")
                if bill_id is None:
                    continue
                line, problem = read_line(resource, record, catalog)
                if line is not None:
                    lines.setdefault(bill_id, []).append(line)
                if problem is not None:
                    problems.setdefault(bill_id, []).append(problem)
        bills: list[Bill] = []
        for record in records:
            bill_id = str(record.get("id", ""))
            bill = read_bill(
                record,
                contacts=contacts,
                matters=matters,
                lines=lines.get(bill_id, []),
                line_problems=problems.get(bill_id, []),
            )
            if bill is not None:
                bills.append(bill)
        return bills


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


async def _together(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Run the calls side by side (the in-flight bound decides how many reach Actionstep at
    once), results in order; the first failure cancels the rest and is raised as it is."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _paging(body: dict[str, Any], resource: str) -> dict[str, Any]:
    """`meta.paging.<resource>`, or {} whatever shape Actionstep sent instead."""
    meta = body.get("meta")
    paging = meta.get("paging") if isinstance(meta, dict) else None
    found = paging.get(resource) if isinstance(paging, dict) else None
    return found if isinstance(found, dict) else {}


def _index(
    records: list[dict[str, Any]], parse: Callable[[dict[str, Any]], T | None]
) -> dict[str, T]:
    parsed: dict[str, T] = {}
    for record in records:
        item = parse(record)
        if item is not None:
            parsed[str(record.get("id"))] = item
    return parsed
