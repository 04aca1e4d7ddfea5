"""The push engine: what each bill needs in Xero, done in batches, with every step recorded.

Order of work for each batch: record intent (outbox) -> one call for up to 50 elements (with an
Idempotency-Key, summarizeErrors=false) -> map each element's result back to its bill -> record
the outcome. New invoices go by `PUT` (create-only), so a number Xero already has is looked up and
adopted when the amounts match. Changes follow: edited bills update their invoice (`POST` with the
InvoiceID), deleted ones void it, a rise in `totalPaid` becomes a payment with a deterministic
Reference. A crash between intent and outcome leaves jobs in `sending`; `reconcile` looks each one
up in Xero before anything is sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.credit import CreditDraft, build_credit
from tui.core.errors import ReconnectNeeded, RemoteError, RemoteRateLimited, RemoteRejected
from tui.core.events import EngineEvent, EventKind
from tui.core.invoice import InvoiceDraft
from tui.core.jobs import Job, Operation, Outcome
from tui.core.models import Bill, Contact
from tui.core.money import ZERO, format_money
from tui.core.outcomes import Emit, PushSummary, Recorder, Settled, Task
from tui.core.plan import FOLLOWS, due, fingerprint, payment_day
from tui.core.ports import (
    ElementResult,
    OutboxPort,
    PaymentDraft,
    RemoteCreditNote,
    RemoteInvoice,
    RemotePayment,
    XeroPort,
)
from tui.core.triage import Cause, classify
from tui.core.words import count

BATCH_SIZE = 50
"""Xero's advice: bundles of up to 50 elements per request."""

DUPLICATE_NUMBER = "invoice # must be unique"
NAME_TAKEN = "is already assigned to another contact"
VOID_STATUSES = frozenset({"VOIDED", "DELETED"})
OTHER_VERSION = "other-version"
"""The source of an invoice found in Xero that shows another version of the bill than the
current one (an earlier push's, or one entered by another route): an update follows."""
INTERRUPTED = (
    "interrupted before Xero answered, and Xero does not show it done: it goes again "
    "with the next push"
)
INVOICE_LOOKUPS = (Operation.CREATE, Operation.UPDATE, Operation.VOID)
"""What an interrupted push is looked up by invoice number for."""
WITH_CONTACT = (Operation.CREATE, Operation.UPDATE, Operation.CREDIT)
"""What names the client's Xero contact: invoices and credit notes."""

__all__ = ["BATCH_SIZE", "Emit", "Engine", "PushSummary", "Task"]

Contacts = dict[str, str | tuple[str, ...]]
"""ContactNumber -> ContactID, or Xero's reasons for refusing the contact."""


class Engine:
    def __init__(
        self,
        xero: XeroPort,
        outbox: OutboxPort,
        emit: Emit,
        *,
        who: str,
        clock: Clock = REAL_CLOCK,
        batch_size: int = BATCH_SIZE,
        not_before: date | None = None,
    ) -> None:
        """`not_before`: the first day Xero's lock dates leave open, when the admin agreed to
        date documents in a locked period on it (invoices, payments, credit notes)."""
        self._not_before = not_before
        self._xero = xero
        self._books = Recorder(outbox, emit, who, clock.now)
        self._emit = emit
        self._clock = clock
        self._batch_size = batch_size

    def _event(self, kind: EventKind, message: str, bill: Bill | None = None) -> None:
        self._emit(
            EngineEvent(
                self._clock.now(),
                kind,
                message,
                bill.bill_id if bill else None,
                bill.number if bill else None,
            )
        )

    async def push(self, tasks: Sequence[Task], summary: PushSummary | None = None) -> PushSummary:
        """Do each task: creates first, then updates, voids and payments. `summary` may already
        count what `reconcile` settled in this push."""
        summary = summary or PushSummary()
        if self._not_before is not None:
            tasks = [_not_before(task, self._not_before) for task in tasks]
        if not tasks:
            if summary.pushed:
                return self._finish(summary)
            self._event(EventKind.INFO, "nothing to push")
            return summary
        groups = {op: [t for t in tasks if t.operation is op] for op in Operation}
        batches = sum(-(-len(group) // self._batch_size) for group in groups.values())
        self._event(
            EventKind.INFO,
            f"pushing {count(len(tasks), 'bill')} in {count(batches, 'batch', 'batches')}",
        )
        for task in tasks:
            self._event(EventKind.QUEUED, _queued(task), task.bill)
        with_invoice = [t for t in tasks if t.operation in WITH_CONTACT and t.draft is not None]
        contacts: Contacts = {}
        if with_invoice:
            try:
                contacts = await self._ensure_contacts([t.bill for t in with_invoice])
            except RemoteError as error:
                if _stops(error):
                    summary.stopped = error
                    return self._finish(summary)
                await self._books.record(
                    [
                        self._books.failure(t, None, error.cause, f"contacts: {error}")
                        for t in with_invoice
                    ],
                    summary,
                )
                for operation in WITH_CONTACT:
                    groups[operation] = []
        runners: dict[
            Operation, Callable[[list[Task], Contacts, PushSummary], Awaitable[list[Task]]]
        ] = {
            Operation.CREATE: self._create,
            Operation.UPDATE: self._update,
            Operation.VOID: self._void,
            Operation.REVERSE: self._reverse,
            Operation.CREDIT: self._credit,
            Operation.PAYMENT: self._pay,
        }
        for operation, run in runners.items():  # in this order: follow-ups come later
            group, start = groups[operation], 0
            while start < len(group):
                if summary.stopped is not None:
                    return self._finish(summary)
                batch, start = group[start : start + self._batch_size], start + self._batch_size
                for task in await run(batch, contacts, summary):
                    groups[task.operation].append(task)
        return self._finish(summary)

    def _open(self, day: date) -> date:
        """The day a document is dated: its own, or the first open day the admin agreed to."""
        return day if self._not_before is None else max(day, self._not_before)

    def _finish(self, summary: PushSummary) -> PushSummary:
        done = summary.line()
        if summary.stopped is not None:
            done += f"; stopped early: {summary.stopped}"
        self._event(EventKind.DONE, done)
        return summary

    # -- contacts -------------------------------------------------------------------------

    async def _ensure_contacts(self, bills: Sequence[Bill]) -> Contacts:
        """ContactNumber -> ContactID for every client; a tuple of messages where Xero refused.

        The organisation's contacts are read once per push (another process may have added
        some); the missing are created in batches, each with an Idempotency-Key. A contact whose
        creation answer was lost shows up as "name already assigned" on the next try: the index
        is read again and, if the contact carries our ContactNumber, it is simply used."""
        index: Contacts = dict(await self._xero.contacts_by_number())
        self._event(
            EventKind.INFO, f"{count(len(index), 'Xero contact')} with a contact number indexed"
        )
        missing: dict[str, Contact] = {}
        for bill in bills:
            if bill.contact and bill.contact.participant_id not in index:
                missing.setdefault(bill.contact.participant_id, bill.contact)
        pending = list(missing.values())
        clashed = False
        for start in range(0, len(pending), self._batch_size):
            chunk = pending[start : start + self._batch_size]
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
                        if NAME_TAKEN in m
                        else m
                        for m in index[contact.participant_id]
                    )
        if pending:
            created = sum(1 for c in pending if isinstance(index.get(c.participant_id), str))
            self._event(EventKind.INFO, f"{created} of {len(pending)} new contacts ready in Xero")
        return index

    def _with_contacts(
        self, batch: list[Task], contacts: Contacts
    ) -> tuple[list[tuple[Task, InvoiceDraft, str]], list[Settled]]:
        """Split a batch into the tasks whose client is in Xero and failures for the rest."""
        ready: list[tuple[Task, InvoiceDraft, str]] = []
        refused: list[Settled] = []
        for task in batch:
            assert task.draft is not None
            contact = contacts.get(task.draft.contact_number)
            if isinstance(contact, str):
                ready.append((task, task.draft, contact))
            else:
                messages = contact or ("contact not available",)
                refused.append(
                    self._books.failure(
                        task, None, classify(messages), "contact: " + "; ".join(messages)
                    )
                )
        return ready, refused

    # -- one call per batch -----------------------------------------------------------------

    async def _send(
        self,
        tasks: Sequence[Task],
        what: str,
        summary: PushSummary,
        call: Callable[[str], Awaitable[list[ElementResult]]],
        intended: Collection[str] = frozenset(),
    ) -> tuple[str, list[ElementResult]] | None:
        """Record intent, make the call; on a failure of the whole call, record it for every
        task and return None. `intended`: bills whose intent this push already recorded for
        this step (a credit note's allocation follows its creation as one attempt)."""
        key = uuid.uuid4().hex
        fresh = [t for t in tasks if t.bill.bill_id not in intended]
        if fresh:
            await self._books.intend(fresh, key)
        self._event(EventKind.SENT, f"{len(tasks)} {what} sent to Xero")
        try:
            results = await call(key)
        except RemoteError as error:
            await self._books.record(
                [
                    self._books.failure(t, key, error.cause, str(error), raw=error.raw)
                    for t in tasks
                ],
                summary,
            )
            if _stops(error):
                summary.stopped = error
            return None
        return key, _padded(results, len(tasks))

    # -- create ---------------------------------------------------------------------------

    async def _create(
        self, batch: list[Task], contacts: Contacts, summary: PushSummary
    ) -> list[Task]:
        ready, refused = self._with_contacts(batch, contacts)
        await self._books.record(refused, summary)
        if not ready:
            return []
        sent = await self._send(
            [t for t, _, _ in ready],
            "new invoices",
            summary,
            lambda key: self._xero.create_invoices([(d, c) for _, d, c in ready], key),
        )
        if sent is None:
            return []
        key, results = sent
        settled: list[Settled] = []
        duplicates: list[tuple[Task, InvoiceDraft, str]] = []
        for (task, draft, contact_id), result in zip(ready, results, strict=True):
            if result.ok and result.remote_id:
                settled.append(self._created(task, key, result.remote_id))
            elif any(DUPLICATE_NUMBER in m.lower() for m in result.messages):
                duplicates.append((task, draft, contact_id))
            else:
                settled.append(
                    self._books.failure(
                        task,
                        key,
                        classify(result.messages),
                        "; ".join(result.messages) or "refused by Xero",
                    )
                )
        if duplicates:
            settled += await self._adopt(duplicates, key)
        await self._books.record(settled, summary)
        return _follow_ups(batch, settled, Operation.CREATE)

    def _created(
        self,
        task: Task,
        key: str,
        invoice_id: str,
        existing: RemoteInvoice | None = None,
        source: str | None = None,
    ) -> Settled:
        """`source`: the version of the bill the invoice shows, when not the current one (an
        earlier push's, whose answer was lost before the bill was edited)."""
        assert task.draft is not None
        note = " (already in Xero under its number)" if existing else ""
        if source is not None:
            note = " (another version of the bill: updated next)"
        total = existing.total if existing else task.draft.total
        return self._books.success(
            task,
            key,
            Outcome.ADOPTED if existing else Outcome.CREATED,
            f"{format_money(total, task.draft.currency)} → Xero invoice {invoice_id}{note}",
            invoice_id=invoice_id,
            source=source or fingerprint(task.bill),
            voided=False,
            **_already_applied(existing, task.bill),
        )

    async def _adopt(
        self, duplicates: list[tuple[Task, InvoiceDraft, str]], key: str
    ) -> list[Settled]:
        """Bills whose number Xero already has: adopt the invoice when it is the same one.
        Payments Xero already shows against it count as pushed, so none is sent twice."""
        try:
            found = await self._xero.invoices_by_number([d.number for _, d, _ in duplicates])
        except RemoteError as error:
            return [
                self._books.failure(
                    t, key, error.cause, f"looking up the existing invoice: {error}"
                )
                for t, _, _ in duplicates
            ]
        by_number = _prefer_live(found)
        settled: list[Settled] = []
        for task, draft, contact_id in duplicates:
            existing = by_number.get(draft.number)
            ours = existing is not None and existing.contact_id in (None, contact_id)
            # An invoice we sent is recognised by its lines. One that reached Xero by another
            # route is adopted only when its amounts agree, or when it is the very invoice an
            # earlier push said was paid in Xero and its payment has since been removed there
            # (the fix triage gave): then it is this bill's, in another version, and is updated.
            sent_before = task.job is not None and bool(task.job.sent_coding)
            reverted = (
                task.job is not None
                and existing is not None
                and task.job.cause is Cause.ALREADY_SETTLED
                and task.job.found_id == existing.invoice_id
            )
            paid = existing is not None and (existing.status == "PAID" or existing.amount_paid > 0)
            shown = (
                _version_shown(task.job, existing)
                if task.job is not None and existing is not None
                else None
            )
            earlier = shown or ""
            if existing is None:
                settled.append(
                    self._books.failure(
                        task,
                        key,
                        Cause.NUMBER_CONFLICT,
                        "Xero says the number is taken but cannot find it",
                    )
                )
            elif existing.status in VOID_STATUSES:
                settled.append(
                    self._books.failure(
                        task,
                        key,
                        Cause.ALREADY_SETTLED,
                        f"invoice {draft.number} is {existing.status.lower()} in Xero",
                        existing.invoice_id,
                    )
                )
            elif ours and existing.books(draft.total, draft.coding):
                settled.append(self._created(task, key, existing.invoice_id, existing))
            elif ours and earlier:
                settled.append(self._created(task, key, existing.invoice_id, existing, earlier))
            elif ours and paid and not sent_before and existing.total == draft.total:
                # Entered by another route and paid there: the amounts agree, and Xero would
                # refuse to re-code a paid invoice, so it stands as it is.
                settled.append(self._created(task, key, existing.invoice_id, existing))
            elif paid:
                settled.append(
                    self._books.failure(
                        task,
                        key,
                        Cause.ALREADY_SETTLED,
                        f"invoice {draft.number} is "
                        f"{'paid' if existing.status == 'PAID' else 'part paid'} in Xero at "
                        f"{format_money(existing.total)}, but the bill is now "
                        f"{format_money(draft.total)}: it was changed after it reached Xero",
                        existing.invoice_id,
                    )
                )
            elif ours and reverted:
                settled.append(
                    self._created(task, key, existing.invoice_id, existing, OTHER_VERSION)
                )
            else:
                settled.append(
                    self._books.failure(
                        task,
                        key,
                        Cause.NUMBER_CONFLICT,
                        f"Xero already has invoice {draft.number} for "
                        f"{format_money(existing.total)}, this bill is {format_money(draft.total)}"
                        + ("" if ours else ", for another contact"),
                        existing.invoice_id,
                    )
                )
        return settled

    # -- update, void ---------------------------------------------------------------------

    async def _update(
        self, batch: list[Task], contacts: Contacts, summary: PushSummary
    ) -> list[Task]:
        ready, refused = self._with_contacts(batch, contacts)
        await self._books.record(refused, summary)
        if not ready:
            return []
        sent = await self._send(
            [t for t, _, _ in ready],
            "edited invoices",
            summary,
            lambda key: self._xero.update_invoices(
                [(_invoice_id(t), d, c) for t, d, c in ready], key
            ),
        )
        if sent is None:
            return []
        key, results = sent
        settled: list[Settled] = []
        for (task, draft, _), result in zip(ready, results, strict=True):
            if result.ok:
                settled.append(
                    self._books.success(
                        task,
                        key,
                        Outcome.UPDATED,
                        f"Xero invoice updated to {format_money(draft.total, draft.currency)} "
                        "after an edit in Actionstep",
                        source=fingerprint(task.bill),
                    )
                )
            else:
                settled.append(self._refused(task, key, result, "the edit cannot be applied"))
        await self._books.record(settled, summary)
        return _follow_ups(batch, settled, Operation.UPDATE)

    async def _void(
        self, batch: list[Task], contacts: Contacts, summary: PushSummary
    ) -> list[Task]:
        batch = await self._find_unconfirmed(batch, summary)
        if not batch:
            return []
        sent = await self._send(
            batch,
            "deleted bills' invoices to void",
            summary,
            lambda key: self._xero.void_invoices([_invoice_id(t) for t in batch], key),
        )
        if sent is None:
            return []
        key, results = sent
        refused = [t for t, r in zip(batch, results, strict=True) if not r.ok]
        already: set[str] = set()
        if refused:  # perhaps voided already, by an earlier push whose answer was lost
            try:
                found = await self._xero.invoices_by_number([t.bill.number for t in refused])
                already = {i.invoice_id for i in found if i.status in VOID_STATUSES}
            except RemoteError:
                pass  # the refusal stands; its own message says why
        settled: list[Settled] = []
        for task, result in zip(batch, results, strict=True):
            if result.ok or _invoice_id(task) in already:
                settled.append(
                    self._books.success(
                        task,
                        key,
                        Outcome.VOIDED,
                        "deleted in Actionstep: Xero invoice voided",
                        voided=True,
                    )
                )
            else:
                settled.append(self._refused(task, key, result, "it cannot be voided"))
        await self._books.record(settled, summary)
        return []

    async def _find_unconfirmed(self, batch: list[Task], summary: PushSummary) -> list[Task]:
        """Deleted bills whose create was never confirmed: void what Xero has under the number,
        and settle the rest as never having reached Xero."""
        unknown = [t for t in batch if t.job is None or t.job.invoice_id is None]
        if not unknown:
            return batch
        try:
            found = _prefer_live(
                await self._xero.invoices_by_number([t.bill.number for t in unknown])
            )
        except RemoteError as error:
            await self._books.record(
                [self._books.failure(t, None, error.cause, str(error)) for t in unknown], summary
            )
            return [t for t in batch if t not in unknown]
        known: list[Task] = []
        gone: list[Settled] = []
        for task in batch:
            if task not in unknown:
                known.append(task)
                continue
            existing = found.get(task.bill.number)
            job = self._books.base(task)
            if (
                existing is not None
                and existing.status not in VOID_STATUSES
                and _version_shown(job, existing) is not None
            ):
                known.append(replace(task, job=replace(job, invoice_id=existing.invoice_id)))
            else:
                gone.append(
                    self._books.success(
                        task,
                        "",
                        Outcome.VOIDED,
                        "deleted in Actionstep; Xero never received it "
                        "(checked by number): nothing to void",
                        voided=True,
                    )
                )
        await self._books.record(gone, summary)
        return known

    def _refused(self, task: Task, key: str, result: ElementResult, what: str) -> Settled:
        cause = classify(result.messages)
        detail = "; ".join(result.messages) or "refused by Xero"
        if cause is Cause.ALREADY_SETTLED:
            detail = (
                f"{what}: invoice {task.bill.number} is paid, part paid or written off in "
                f"Xero ({detail})"
            )
        return self._books.failure(task, key, cause, detail)

    # -- receipts reversed -------------------------------------------------------------------

    async def _reverse(
        self, batch: list[Task], contacts: Contacts, summary: PushSummary
    ) -> list[Task]:
        """`totalPaid` fell in Actionstep: delete axpush's newest payments for the bill in Xero
        until what remains is no more than Actionstep's; the remainder is paid again next.

        Xero is asked first which of axpush's payments are live (by their References), so an
        attempt whose answer was lost is not repeated. Payments axpush did not make are never
        touched: when axpush's own no longer add up to what it recorded (someone removed one
        in Xero), the bill goes to triage."""
        try:
            found = await self._xero.payments_by_reference(
                [ref for t in batch for ref in _payment_references(self._books.base(t))]
            )
        except RemoteError as error:
            await self._fail_all(batch, error, "looking up the payments to delete", summary)
            return []
        live = {p.reference: p for p in found}
        doomed: dict[str, list[RemotePayment]] = {}
        kept: dict[str, Decimal] = {}
        settled: list[Settled] = []
        for index, task in enumerate(batch):
            job = self._books.base(task)
            ours = [live[ref] for ref in _payment_references(job) if ref in live]  # newest first
            if job.payment_pending and job.payment_reference in live:
                # A payment whose answer was lost reached Xero after all: it is axpush's.
                pending = live[job.payment_reference]
                job = replace(job, paid=job.paid + pending.amount, payments=job.payments + 1)
                task = batch[index] = replace(task, job=job)
            remaining = sum((p.amount for p in ours), ZERO)
            retry = job.operation is Operation.REVERSE and job.amount is not None
            if remaining > job.paid or (remaining < job.paid and not retry):
                settled.append(
                    self._books.failure(
                        task,
                        None,
                        Cause.ALREADY_SETTLED,
                        f"receipts of {format_money(task.amount or ZERO)} were reversed in "
                        f"Actionstep, but axpush's payments in Xero add up to "
                        f"{format_money(remaining)}, not the {format_money(job.paid)} it "
                        "recorded: they were changed in Xero. Remove the payments there by "
                        "hand, then mark the bill resolved",
                    )
                )
                continue
            chosen: list[RemotePayment] = []
            for payment in ours:
                if remaining <= task.bill.total_paid:
                    break
                chosen.append(payment)
                remaining -= payment.amount
            if chosen:
                doomed[task.bill.bill_id], kept[task.bill.bill_id] = chosen, remaining
            else:  # nothing to delete: done by an earlier attempt whose answer was lost
                settled.append(self._reversed(task, "", remaining, []))
        await self._books.record(settled, summary)
        going = [t for t in batch if t.bill.bill_id in doomed]
        if not going:
            return _follow_ups(batch, settled, Operation.REVERSE)

        async def delete(task: Task, key: str) -> None:
            for payment in doomed[task.bill.bill_id]:
                await self._xero.delete_payment(payment.payment_id, f"{key}-{payment.reference}")

        sent = await self._send(
            going, "payments to delete", summary, lambda key: self._one_by_one(going, key, delete)
        )
        if sent is None:
            return _follow_ups(batch, settled, Operation.REVERSE)
        key, results = sent
        done = [
            self._reversed(t, key, kept[t.bill.bill_id], doomed[t.bill.bill_id])
            if result.ok
            else self._refused(t, key, result, "the payment cannot be deleted")
            for t, result in zip(going, results, strict=True)
        ]
        await self._books.record(done, summary)
        return _follow_ups(batch, [*settled, *done], Operation.REVERSE)

    def _reversed(
        self, task: Task, key: str, remaining: Decimal, deleted: Sequence[RemotePayment]
    ) -> Settled:
        removed = sum((p.amount for p in deleted), ZERO)
        what = (
            f"{count(len(deleted), 'payment')} of {format_money(removed, task.bill.currency)} "
            "deleted in Xero"
            if deleted
            else "the payments were already deleted in Xero (an earlier push)"
        )
        again = task.bill.total_paid - remaining
        rest = f"; {format_money(again)} is paid again next" if again > 0 else ""
        return self._books.success(
            task,
            key,
            Outcome.REVERSED,
            f"receipts reversed in Actionstep: {what}{rest}",
            paid=remaining,
        )

    # -- credits and write-offs ----------------------------------------------------------------

    async def _credit(
        self, batch: list[Task], contacts: Contacts, summary: PushSummary
    ) -> list[Task]:
        """Credited or written off in Actionstep: an ACCRECCREDIT credit note, numbered from
        the bill, then allocated to the invoice (two calls, as Xero allows no allocation at
        creation). Each number is looked up first, whatever the job says (a reversal or a
        payment may have been recorded after a credit whose answer was lost): a note found is
        allocated if it is not yet, and counted; only a note not found is created."""
        today = self._clock.now().date()
        notes: dict[str, CreditDraft] = {}
        unusable: list[Settled] = []
        for task in batch:
            assert task.draft is not None, "a credit is coded from the bill's invoice"
            job = self._books.base(task)
            try:
                notes[task.bill.bill_id] = build_credit(
                    task.draft,
                    task.amount or ZERO,
                    job.credit_number,
                    self._open(payment_day(task.bill, today)),
                )
            except ValueError as error:
                unusable.append(self._books.failure(task, None, Cause.BAD_DATA, str(error)))
        await self._books.record(unusable, summary)
        batch = [t for t in batch if t.bill.bill_id in notes]
        if not batch:
            return []
        try:  # every time, not only on a retry: a later step may have followed a lost one
            remote = await self._xero.credit_notes_by_number(
                [notes[t.bill.bill_id].number for t in batch]
            )
        except RemoteError as error:
            await self._fail_all(batch, error, "looking for an earlier credit note", summary)
            return []
        found = {n.number: n for n in remote if n.status not in VOID_STATUSES}
        settled: list[Settled] = []
        allocate: list[tuple[Task, RemoteCreditNote]] = []
        new: list[Task] = []
        for task in batch:
            note = found.get(notes[task.bill.bill_id].number)
            if note is None:
                new.append(task)
            elif _invoice_id(task) in note.invoice_ids or note.remaining <= 0:
                settled.append(
                    self._credited(task, "", note, " (found in Xero from an earlier push)")
                )
            else:
                allocate.append((task, note))
        await self._books.record(settled, summary)
        done: list[Settled] = list(settled)
        ready, refused = self._with_contacts(new, contacts)
        await self._books.record(refused, summary)
        if ready:
            sent = await self._send(
                [t for t, _, _ in ready],
                "credit notes",
                summary,
                lambda key: self._xero.create_credit_notes(
                    [(notes[t.bill.bill_id], contact) for t, _, contact in ready], key
                ),
            )
            if sent is not None:
                key, results = sent
                not_made: list[Settled] = []
                for (task, _, _), result in zip(ready, results, strict=True):
                    draft = notes[task.bill.bill_id]
                    if result.ok and result.remote_id:
                        allocate.append(
                            (
                                task,
                                RemoteCreditNote(
                                    result.remote_id,
                                    draft.number,
                                    "AUTHORISED",
                                    draft.total,
                                    draft.total,
                                ),
                            )
                        )
                    else:
                        not_made.append(
                            self._refused(task, key, result, "the credit note cannot be created")
                        )
                await self._books.record(not_made, summary)
        if allocate:
            made_now = {t.bill.bill_id for t in new}
            done += await self._allocate(allocate, notes, summary, made_now)
        return _follow_ups(batch, done, Operation.CREDIT)

    async def _allocate(
        self,
        allocate: list[tuple[Task, RemoteCreditNote]],
        notes: dict[str, CreditDraft],
        summary: PushSummary,
        created: Collection[str],
    ) -> list[Settled]:
        """Each credit note allocated to its bill's invoice: one call each. `created`: the
        bills whose note this push just made (their attempt is already recorded as sent)."""
        by_bill = {t.bill.bill_id: n for t, n in allocate}
        tasks = [t for t, _ in allocate]

        async def one(task: Task, key: str) -> None:
            note = by_bill[task.bill.bill_id]
            await self._xero.allocate_credit(
                note.credit_note_id,
                _invoice_id(task),
                note.remaining,
                notes[task.bill.bill_id].day,
                f"{key}-{note.number}",
            )

        sent = await self._send(
            tasks,
            "credit notes to allocate",
            summary,
            lambda key: self._one_by_one(tasks, key, one),
            intended=created,
        )
        if sent is None:
            return []
        key, results = sent
        settled = [
            self._credited(task, key, by_bill[task.bill.bill_id])
            if result.ok
            else self._refused(task, key, result, "the credit note cannot be allocated")
            for task, result in zip(tasks, results, strict=True)
        ]
        await self._books.record(settled, summary)
        return settled

    def _credited(self, task: Task, key: str, note: RemoteCreditNote, how: str = "") -> Settled:
        base = self._books.base(task)
        return self._books.success(
            task,
            key,
            Outcome.CREDITED,
            f"credit note {note.number} of {format_money(note.total, task.bill.currency)} "
            f"allocated to the Xero invoice{how}",
            credited=base.credited + note.total,
            credits=base.credits + 1,
        )

    async def _one_by_one(
        self,
        tasks: Sequence[Task],
        key: str,
        act: Callable[[Task, str], Awaitable[None]],
    ) -> list[ElementResult]:
        """Calls Xero makes one element at a time (deleting a payment, allocating a credit),
        as one step of a batch: an element Xero refuses is that element's result; a failure
        of the service itself stops the batch, as a batch call's would."""
        results: list[ElementResult] = []
        for task in tasks:
            try:
                await act(task, key)
            except RemoteRejected as error:
                results.append(ElementResult(ok=False, messages=error.messages))
            else:
                results.append(ElementResult(ok=True))
        return results

    async def _fail_all(
        self, batch: Sequence[Task], error: RemoteError, what: str, summary: PushSummary
    ) -> None:
        await self._books.record(
            [self._books.failure(t, None, error.cause, f"{what}: {error}") for t in batch],
            summary,
        )
        if _stops(error):
            summary.stopped = error

    # -- payments -------------------------------------------------------------------------

    async def _pay(self, batch: list[Task], contacts: Contacts, summary: PushSummary) -> list[Task]:
        """Payments; one that an earlier attempt may have made is looked up by its Reference
        first, and counted instead of sent again."""
        settled: list[Settled] = []
        retried = [t for t in batch if t.job is not None and t.job.payment_pending]
        if retried:
            try:
                found = {
                    p.reference: p
                    for p in await self._xero.payments_by_reference(
                        [t.payment_reference for t in retried]
                    )
                }
            except RemoteError as error:
                await self._books.record(
                    [
                        self._books.failure(
                            t, None, error.cause, f"looking for an earlier payment: {error}"
                        )
                        for t in batch
                    ],
                    summary,
                )
                if _stops(error):
                    summary.stopped = error
                return []
            for task in retried:
                payment = found.get(task.payment_reference)
                if payment is not None:
                    settled.append(
                        self._paid(
                            task,
                            task.job.idempotency_key if task.job else "",
                            payment.amount,
                            " (found in Xero from an earlier push)",
                        )
                    )
            done = {s.job.bill_id for s in settled}
            batch = [t for t in batch if t.bill.bill_id not in done]
        await self._books.record(settled, summary)
        if not batch:
            return []
        today = self._clock.now().date()
        drafts = [
            PaymentDraft(
                _invoice_id(t),
                t.bank_account_id or "",
                t.amount or ZERO,
                self._open(payment_day(t.bill, today)),
                t.payment_reference,
            )
            for t in batch
        ]
        sent = await self._send(
            batch, "payments", summary, lambda key: self._xero.create_payments(drafts, key)
        )
        if sent is None:
            return []
        key, results = sent
        settled = [
            self._paid(task, key, draft.amount)
            if result.ok
            else self._refused(task, key, result, "the payment cannot be recorded")
            for task, draft, result in zip(batch, drafts, results, strict=True)
        ]
        await self._books.record(settled, summary)
        return []

    def _paid(self, task: Task, key: str, amount: Decimal, note: str = "") -> Settled:
        base = self._books.base(task)
        return self._books.success(
            task,
            key,
            Outcome.PAID,
            f"payment of {format_money(amount, task.bill.currency)} recorded in Xero{note}",
            paid=base.paid + amount,
            payments=base.payments + 1,
        )

    # -- after a crash --------------------------------------------------------------------

    async def reconcile(
        self,
        stuck: Sequence[tuple[Job, Bill | None, InvoiceDraft | None]],
        summary: PushSummary | None = None,
    ) -> None:
        """Jobs left `sending` by an interrupted push: look each up in Xero before any retry.
        Done there: recorded as done (and counted in `summary`). Not there: failed for a
        passing reason, so the push sends it again. A different invoice under the number:
        triage."""
        if not stuck:
            return
        self._event(
            EventKind.INFO,
            f"{count(len(stuck), 'bill')} sent when a push was interrupted, their answers not "
            "received: looking them up in Xero before anything else",
        )
        numbers = [job.number for job, _, _ in stuck if job.operation in INVOICE_LOOKUPS]
        references = [
            job.payment_reference for job, _, _ in stuck if job.operation is Operation.PAYMENT
        ]
        found = await self._xero.invoices_by_number(numbers) if numbers else []
        invoices = _prefer_live(found)
        voided = {inv.invoice_id for inv in found if inv.status in VOID_STATUSES}
        payments = (
            {p.reference: p for p in await self._xero.payments_by_reference(references)}
            if references
            else {}
        )
        settled = [
            self._reconciled(
                job,
                bill,
                draft,
                invoices.get(job.number),
                payments.get(job.payment_reference),
                job.invoice_id in voided,
            )
            for job, bill, draft in stuck
        ]
        await self._books.record(settled, None)
        if summary is not None:  # what goes again is counted when it goes
            for item in settled:
                if item.attempt.outcome is not Outcome.FAILED:
                    summary.count(item.attempt.outcome, None)

    def _reconciled(
        self,
        job: Job,
        bill: Bill | None,
        draft: InvoiceDraft | None,
        existing: RemoteInvoice | None,
        payment: RemotePayment | None,
        voided: bool,
    ) -> Settled:
        books, op = self._books, job.operation

        def done(outcome: Outcome, message: str, **changes: Any) -> Settled:
            return books.settle(
                job, op, outcome, message, key=job.idempotency_key, action="reconcile", **changes
            )

        def again(
            cause: Cause = Cause.INTERRUPTED,
            message: str = INTERRUPTED,
            found_id: str | None = None,
        ) -> Settled:
            return books.settle(
                job,
                op,
                Outcome.FAILED,
                message,
                key=job.idempotency_key,
                cause=cause,
                amount=job.amount,
                action="reconcile",
                found_id=found_id,
                sending=job.sending,
                sent_coding=job.sent_coding,
            )

        if op in (Operation.REVERSE, Operation.CREDIT):
            return again()  # each looks in Xero first when it goes again (`_reverse`, `_credit`)
        if op is Operation.PAYMENT:
            if payment is None:
                return again()
            return done(
                Outcome.PAID,
                "payment found in Xero after an interrupted push",
                paid=job.paid + payment.amount,
                payments=job.payments + 1,
            )
        if op is Operation.VOID:
            if voided:
                return done(
                    Outcome.VOIDED, "found voided in Xero after an interrupted push", voided=True
                )
            return again()
        if existing is None:
            return again()
        current = fingerprint(bill) if bill is not None else ""
        # The version Xero shows: the one sent (the bill may have been edited since), or the
        # bill as it is now; each recognised by what its lines book, not by its total alone.
        live = existing.status not in VOID_STATUSES
        version = _version_shown(job, existing) if live else None
        if version is not None:
            shown: str | None = version or current
        elif live and draft and existing.books(draft.total, draft.coding):
            shown = current
        else:
            shown = None
        if shown is not None:
            found = {"total": existing.total, "source": shown}
            if op is Operation.UPDATE:
                return done(
                    Outcome.UPDATED, "found updated in Xero after an interrupted push", **found
                )
            return done(
                Outcome.ADOPTED,
                "found in Xero after an interrupted push",
                invoice_id=existing.invoice_id,
                **_already_applied(existing, bill),
                **found,
            )
        if op is Operation.UPDATE:
            return again()
        return again(
            Cause.NUMBER_CONFLICT,
            f"after an interrupted push, Xero has invoice {job.number} "
            f"({existing.status.lower()}, {format_money(existing.total)}) that does "
            "not match the bill",
            existing.invoice_id,
        )


def _follow_ups(tasks: Sequence[Task], settled: Sequence[Settled], after: Operation) -> list[Task]:
    """What falls due in the same push once a step for a bill is done: whatever `plan.due`
    says comes next, if it comes later in `FOLLOWS` (an update when the invoice found shows
    an earlier version of the bill; receipts reversed, a credit, a payment). A payment needs
    a bank account mapped for receipts; a credit note, the invoice to code it from."""
    by_bill = {t.bill.bill_id: t for t in tasks}
    rank = FOLLOWS.index(after) if after in FOLLOWS else -1
    later: list[Task] = []
    for item in settled:
        task, job = by_bill.get(item.job.bill_id), item.job
        if task is None or item.attempt.outcome is Outcome.FAILED:
            continue
        step = due(task.bill, job)
        if step is None or step.operation not in FOLLOWS:
            continue
        if FOLLOWS.index(step.operation) <= rank:
            continue
        if step.operation is Operation.PAYMENT and not task.bank_account_id:
            continue
        if step.operation in (Operation.UPDATE, Operation.CREDIT) and task.draft is None:
            continue
        later.append(
            Task(
                task.bill,
                step.operation,
                task.draft,
                job,
                amount=step.amount,
                bank_account_id=task.bank_account_id,
            )
        )
    return later


def _version_shown(job: Job, existing: RemoteInvoice) -> str | None:
    """Which lost send the invoice found is, by its total and lines (`Job.sends`): the version
    of the bill it shows ("" if not recorded); None when it is none of them."""
    for sending, coding, total in job.sends:
        if existing.books(total, coding):
            return sending
    return None


def _payment_references(job: Job) -> list[str]:
    """Every payment axpush may have made for the bill, newest first: those it recorded, and
    the one in flight when its answer was lost."""
    pending = [job.payment_reference] if job.payment_pending else []
    return [*pending, *job.payment_references]


def _not_before(task: Task, day: date) -> Task:
    """The task with its invoice dated no earlier than `day` (and due no earlier)."""
    draft = task.draft
    if draft is None:
        return task
    dated = replace(
        draft,
        invoice_date=max(draft.invoice_date or day, day),
        due_date=None if draft.due_date is None else max(draft.due_date, day),
    )
    return replace(task, draft=dated)


def _already_applied(existing: RemoteInvoice | None, bill: Bill | None) -> dict[str, Decimal]:
    """An invoice found in Xero: what its payments and credit notes already apply counts as
    pushed, up to what Actionstep shows (more in Xero is not axpush's to take back)."""
    if existing is None:
        return {"paid": ZERO, "credited": ZERO}
    paid = existing.amount_paid - existing.amount_credited
    credited = existing.amount_credited
    if bill is not None:
        paid, credited = min(paid, bill.total_paid), min(credited, bill.credited)
    return {"paid": paid, "credited": credited}


def _queued(task: Task) -> str:
    bill = task.bill
    if task.operation is Operation.PAYMENT and task.amount is not None:
        return f"payment {format_money(task.amount, bill.currency)} {bill.client_name}"
    if task.operation is Operation.VOID:
        return f"void (deleted in Actionstep) {bill.client_name}"
    if task.operation is Operation.REVERSE:
        return f"reverse {format_money(task.amount or ZERO, bill.currency)} {bill.client_name}"
    if task.operation is Operation.CREDIT:
        return f"credit {format_money(task.amount or ZERO, bill.currency)} {bill.client_name}"
    verb = "update " if task.operation is Operation.UPDATE else ""
    return f"{verb}{format_money(bill.total_inc, bill.currency)} {bill.client_name}"


def _invoice_id(task: Task) -> str:
    invoice_id = task.job.invoice_id if task.job else None
    assert invoice_id is not None, "only a bill already in Xero is updated, voided or paid"
    return invoice_id


def _stops(error: RemoteError) -> bool:
    """Errors after which no further batch can succeed in this push."""
    return isinstance(error, ReconnectNeeded) or (
        isinstance(error, RemoteRateLimited) and error.problem == "day"
    )


def _padded(results: Sequence[ElementResult], size: int) -> list[ElementResult]:
    """Exactly `size` results: a short answer leaves the rest as unknown failures."""
    missing = ElementResult(ok=False, messages=("Xero returned no result for this element",))
    return [*results[:size], *[missing] * max(0, size - len(results))]


def _prefer_live(found: Sequence[RemoteInvoice]) -> dict[str, RemoteInvoice]:
    """By number; where a voided invoice and a live one share it, the live one."""
    by_number: dict[str, RemoteInvoice] = {}
    for invoice in found:
        if invoice.status not in VOID_STATUSES or invoice.number not in by_number:
            by_number[invoice.number] = invoice
    return by_number
