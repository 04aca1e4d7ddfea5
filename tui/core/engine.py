"""The push engine: ready bills become Xero invoices, in batches, with every step recorded.

Order of work for each batch: record intent (outbox) -> PUT the batch (create-only, with an
Idempotency-Key, summarizeErrors=false) -> map each element's result back to its bill -> adopt
invoices Xero already has under the same number when the amounts match -> record the outcome.
A crash between intent and outcome leaves jobs in `sending`; pushing them again is safe because
the PUT is create-only on the bill number and a duplicate is looked up and adopted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tui.core.errors import ReconnectNeeded, RemoteError, RemoteRateLimited
from tui.core.events import EngineEvent, EventKind
from tui.core.invoice import InvoiceDraft
from tui.core.jobs import Attempt, Job, JobState, Outcome
from tui.core.models import Bill, Contact
from tui.core.money import format_money
from tui.core.ports import ElementResult, OutboxPort, RemoteInvoice, XeroPort
from tui.core.triage import Cause, classify

BATCH_SIZE = 50
"""Xero's advice: bundles of up to 50 elements per request."""

DUPLICATE_NUMBER = "invoice # must be unique"
NAME_TAKEN = "is already assigned to another contact"
VOID_STATUSES = frozenset({"VOIDED", "DELETED"})
ACTION_CREATE = "create-invoice"

Emit = Callable[[EngineEvent], None]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PushSummary:
    created: int = 0
    adopted: int = 0
    failed: int = 0
    causes: dict[Cause, int] = field(default_factory=dict)
    stopped: RemoteError | None = None
    """Why the push stopped early (reconnect needed, the day's calls used up); the bills not
    reached are untouched and go with the next push."""

    @property
    def pushed(self) -> int:
        return self.created + self.adopted


@dataclass(frozen=True, slots=True)
class _Settled:
    job: Job
    attempt: Attempt
    event: EngineEvent


class Engine:
    def __init__(self, xero: XeroPort, outbox: OutboxPort, emit: Emit, *, who: str,
                 clock: Callable[[], datetime] = _now, batch_size: int = BATCH_SIZE) -> None:
        self._xero = xero
        self._outbox = outbox
        self._emit = emit
        self._who = who
        self._clock = clock
        self._batch_size = batch_size

    def _event(self, kind: EventKind, message: str, bill: Bill | None = None) -> None:
        self._emit(EngineEvent(self._clock(), kind, message,
                               bill.bill_id if bill else None, bill.number if bill else None))

    async def push(self, items: Sequence[tuple[Bill, InvoiceDraft]]) -> PushSummary:
        """Push ready bills (each with the invoice preflight built for it)."""
        summary = PushSummary()
        if not items:
            self._event(EventKind.INFO, "nothing to push")
            return summary
        batches = [items[i:i + self._batch_size] for i in range(0, len(items), self._batch_size)]
        self._event(EventKind.INFO, f"pushing {len(items)} bills in {len(batches)} batches")
        for bill, _ in items:
            self._event(EventKind.QUEUED, f"{format_money(bill.total_inc, bill.currency)} "
                                          f"{bill.client_name}", bill)
        try:
            contact_ids = await self._ensure_contacts([bill for bill, _ in items])
        except RemoteError as error:
            if _stops(error):
                summary.stopped = error
            else:
                await self._fail_all(items, error.cause, f"contacts: {error}", summary)
            return self._finish(summary)
        for number, batch in enumerate(batches, start=1):
            if summary.stopped is not None:
                break
            ready: list[tuple[Bill, InvoiceDraft, str]] = []
            refused: list[_Settled] = []
            for bill, draft in batch:
                contact = contact_ids.get(draft.contact_number)
                if isinstance(contact, str):
                    ready.append((bill, draft, contact))
                else:
                    messages = contact or ("contact not available",)
                    refused.append(self._failure(bill, draft, None, classify(messages),
                                                 "contact: " + "; ".join(messages)))
            await self._record(refused, summary)
            if ready:
                await self._push_batch(number, len(batches), ready, summary)
        return self._finish(summary)

    def _finish(self, summary: PushSummary) -> PushSummary:
        done = f"{summary.created} created, {summary.adopted} adopted, {summary.failed} failed"
        if summary.stopped is not None:
            done += f"; stopped early: {summary.stopped}"
        self._event(EventKind.DONE, done)
        return summary

    async def _ensure_contacts(self, bills: Sequence[Bill]) -> dict[str, str | tuple[str, ...]]:
        """ContactNumber -> ContactID for every client; a tuple of messages where Xero refused.

        The organisation's contacts are read once per push (another process may have added
        some); the missing are created in batches, each with an Idempotency-Key. A contact whose
        creation answer was lost shows up as "name already assigned" on the next try: the index
        is read again and, if the contact carries our ContactNumber, it is simply used."""
        index: dict[str, str | tuple[str, ...]] = dict(await self._xero.contacts_by_number())
        self._event(EventKind.INFO, f"{len(index)} Xero contacts with a contact number indexed")
        missing: dict[str, Contact] = {}
        for bill in bills:
            if bill.contact and bill.contact.participant_id not in index:
                missing.setdefault(bill.contact.participant_id, bill.contact)
        pending = list(missing.values())
        clashed = False
        for start in range(0, len(pending), self._batch_size):
            chunk = pending[start:start + self._batch_size]
            results = await self._xero.create_contacts(chunk, uuid.uuid4().hex)
            for contact, result in zip(chunk, _padded(results, len(chunk)), strict=True):
                if result.ok and result.remote_id:
                    index[contact.participant_id] = result.remote_id
                else:
                    clashed = clashed or any(NAME_TAKEN in m for m in result.messages)
                    index[contact.participant_id] = result.messages or ("not created",)
        if clashed:  # perhaps ours, from an earlier push whose answer was lost
            again = await self._xero.contacts_by_number()
            for contact in pending:
                if not isinstance(index.get(contact.participant_id), str):
                    found = again.get(contact.participant_id)
                    index[contact.participant_id] = found or tuple(
                        f"{m} A Xero contact already has the name '{contact.name}' but not "
                        f"this client's contact number {contact.participant_id}: give it that "
                        "number (Contact Code) in Xero, or rename one of them"
                        if NAME_TAKEN in m else m
                        for m in index[contact.participant_id])
        if pending:
            created = sum(1 for c in pending if isinstance(index.get(c.participant_id), str))
            self._event(EventKind.INFO, f"{created} of {len(pending)} new contacts ready in Xero")
        return index

    async def reconcile(self, stuck: Sequence[tuple[Job, InvoiceDraft | None]]) -> None:
        """Jobs left `sending` by an interrupted push: look them up in Xero before any retry.
        Found and matching: adopted. Found otherwise: triage. Not found: failed for a passing
        reason, so the next push sends them again."""
        if not stuck:
            return
        self._event(EventKind.INFO, f"{len(stuck)} bills were being sent when a push was "
                                    "interrupted: checking Xero before anything else")
        found = {inv.number: inv for inv in
                 await self._xero.invoices_by_number([job.number for job, _ in stuck])}
        settled: list[_Settled] = []
        for job, draft in stuck:
            existing = found.get(job.number)
            expected = draft.total if draft else job.total
            at = self._clock()
            if existing is not None and existing.status not in VOID_STATUSES and \
                    expected is not None and existing.total == expected:
                outcome, state, cause = Outcome.ADOPTED, JobState.PUSHED, None
                message = "found in Xero after an interrupted push"
            elif existing is not None:
                outcome, state, cause = Outcome.FAILED, JobState.FAILED, Cause.NUMBER_CONFLICT
                message = (f"after an interrupted push, Xero has invoice {job.number} "
                           f"({existing.status.lower()}, {format_money(existing.total)}) "
                           "that does not match the bill")
            else:
                outcome, state, cause = Outcome.FAILED, JobState.FAILED, Cause.XERO_UNAVAILABLE
                message = "interrupted before Xero answered, and Xero does not have it: " \
                          "it goes with the next push"
            invoice_id = existing.invoice_id if outcome is Outcome.ADOPTED and existing else None
            new = job.settled(state, at, invoice_id=invoice_id, cause=cause, message=message)
            attempt = Attempt(job.bill_id, job.number, at, self._who, "reconcile", outcome,
                              invoice_id=invoice_id, total=expected, cause=cause,
                              message=message)
            kind = EventKind.ADOPTED if outcome is Outcome.ADOPTED else EventKind.FAILED
            settled.append(_Settled(new, attempt, EngineEvent(at, kind, message, job.bill_id,
                                                              job.number)))
        await self._outbox.record_outcome([s.job for s in settled],
                                          [s.attempt for s in settled])
        for item in settled:
            self._emit(item.event)

    async def _push_batch(self, number: int, of: int, batch: list[tuple[Bill, InvoiceDraft, str]],
                          summary: PushSummary) -> None:
        key = uuid.uuid4().hex
        at = self._clock()
        intents = [Job(bill.bill_id, bill.number, JobState.SENDING, key, at, total=draft.total)
                   for bill, draft, _ in batch]
        await self._outbox.record_intent(intents)
        self._event(EventKind.SENT, f"batch {number}/{of}: {len(batch)} invoices sent to Xero")
        try:
            results = await self._xero.create_invoices([(d, c) for _, d, c in batch], key)
        except RemoteError as error:
            await self._record([self._failure(bill, draft, key, error.cause, str(error))
                                for bill, draft, _ in batch], summary)
            if _stops(error):
                summary.stopped = error
            return
        settled: list[_Settled] = []
        duplicates: list[tuple[Bill, InvoiceDraft, str]] = []
        for (bill, draft, contact_id), result in zip(batch, _padded(results, len(batch)),
                                                     strict=True):
            if result.ok and result.remote_id:
                settled.append(self._success(bill, draft, key, result.remote_id, Outcome.CREATED))
            elif any(DUPLICATE_NUMBER in m.lower() for m in result.messages):
                duplicates.append((bill, draft, contact_id))
            else:
                cause = classify(result.messages)
                settled.append(self._failure(bill, draft, key, cause,
                                             "; ".join(result.messages) or "refused by Xero"))
        if duplicates:
            settled += await self._adopt(duplicates, key)
        await self._record(settled, summary)

    async def _adopt(self, duplicates: list[tuple[Bill, InvoiceDraft, str]],
                     key: str) -> list[_Settled]:
        """Bills whose number Xero already has: adopt the invoice when it is the same one."""
        try:
            found = await self._xero.invoices_by_number([d.number for _, d, _ in duplicates])
        except RemoteError as error:
            return [self._failure(b, d, key, error.cause, f"looking up the existing invoice: "
                                                          f"{error}") for b, d, _ in duplicates]
        by_number: dict[str, RemoteInvoice] = {}
        for invoice in found:
            if invoice.status not in VOID_STATUSES or invoice.number not in by_number:
                by_number[invoice.number] = invoice
        settled: list[_Settled] = []
        for bill, draft, contact_id in duplicates:
            existing = by_number.get(draft.number)
            if existing is None:
                settled.append(self._failure(bill, draft, key, Cause.NUMBER_CONFLICT,
                                             "Xero says the number is taken but cannot find it"))
            elif existing.status in VOID_STATUSES:
                settled.append(self._failure(
                    bill, draft, key, Cause.ALREADY_SETTLED,
                    f"invoice {draft.number} is {existing.status.lower()} in Xero"))
            elif existing.total != draft.total and (existing.status == "PAID"
                                                    or existing.amount_paid > 0):
                settled.append(self._failure(
                    bill, draft, key, Cause.ALREADY_SETTLED,
                    f"invoice {draft.number} is "
                    f"{'paid' if existing.status == 'PAID' else 'part paid'} in Xero at "
                    f"{format_money(existing.total)}, but the bill is now "
                    f"{format_money(draft.total)}: it was changed after it reached Xero"))
            elif existing.total != draft.total or existing.contact_id not in (None, contact_id):
                settled.append(self._failure(
                    bill, draft, key, Cause.NUMBER_CONFLICT,
                    f"Xero already has invoice {draft.number} for "
                    f"{format_money(existing.total)}, this bill is {format_money(draft.total)}"))
            else:
                settled.append(self._success(bill, draft, key, existing.invoice_id,
                                             Outcome.ADOPTED))
        return settled

    def _success(self, bill: Bill, draft: InvoiceDraft, key: str, invoice_id: str,
                 outcome: Outcome) -> _Settled:
        at = self._clock()
        job = Job(bill.bill_id, bill.number, JobState.PUSHED, key, at, invoice_id=invoice_id,
                  total=draft.total)
        attempt = Attempt(bill.bill_id, bill.number, at, self._who, ACTION_CREATE, outcome,
                          invoice_id=invoice_id, total=draft.total)
        kind = EventKind.CREATED if outcome is Outcome.CREATED else EventKind.ADOPTED
        note = "" if outcome is Outcome.CREATED else " (already in Xero from an earlier push)"
        event = EngineEvent(at, kind, f"{format_money(draft.total, draft.currency)} → Xero "
                                      f"invoice {invoice_id}{note}", bill.bill_id, bill.number)
        return _Settled(job, attempt, event)

    def _failure(self, bill: Bill, draft: InvoiceDraft, key: str | None, cause: Cause,
                 message: str) -> _Settled:
        at = self._clock()
        job = Job(bill.bill_id, bill.number, JobState.FAILED, key or "", at, total=draft.total,
                  cause=cause, message=message)
        attempt = Attempt(bill.bill_id, bill.number, at, self._who, ACTION_CREATE,
                          Outcome.FAILED, total=draft.total, cause=cause, message=message)
        event = EngineEvent(at, EventKind.FAILED, f"{cause.heading}: {message}",
                            bill.bill_id, bill.number)
        return _Settled(job, attempt, event)

    async def _fail_all(self, items: Sequence[tuple[Bill, InvoiceDraft]], cause: Cause,
                        message: str, summary: PushSummary) -> None:
        await self._record([self._failure(b, d, None, cause, message) for b, d in items], summary)

    async def _record(self, settled: Sequence[_Settled], summary: PushSummary) -> None:
        if not settled:
            return
        await self._outbox.record_outcome([s.job for s in settled], [s.attempt for s in settled])
        for item in settled:
            if item.attempt.outcome is Outcome.CREATED:
                summary.created += 1
            elif item.attempt.outcome is Outcome.ADOPTED:
                summary.adopted += 1
            else:
                summary.failed += 1
                cause = item.attempt.cause or Cause.REFUSED
                summary.causes[cause] = summary.causes.get(cause, 0) + 1
            self._emit(item.event)


def _stops(error: RemoteError) -> bool:
    """Errors after which no further batch can succeed in this push."""
    return isinstance(error, ReconnectNeeded) or (
        isinstance(error, RemoteRateLimited) and error.problem == "day")


def _padded(results: Sequence[ElementResult], size: int) -> list[ElementResult]:
    """Exactly `size` results: a short answer leaves the rest as unknown failures."""
    missing = ElementResult(ok=False, messages=("Xero returned no result for this element",))
    return [*results[:size], *[missing] * max(0, size - len(results))]
