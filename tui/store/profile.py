"""A profile: one firm's integration on disk (config, outbox state, history, tokens).

Layout, under `$AXPUSH_HOME` or platformdirs' user data dir:

    profiles/<name>/config.json        settings, connection state, the mapping and its changes
    profiles/<name>/outbox/jobs-<n>.json   the outbox: one job per bill, 1,000 bills a file by id
    profiles/<name>/bills/bills-<n>.json   the bills as last synced, 1,000 a file by id (a cache)
    profiles/<name>/bills/sync.json        where the next sync starts
    profiles/<name>/chart.json         Xero's organisation and chart as last read (a cache)
    profiles/<name>/history/YYYY-MM.json   every attempt, sharded by month (YYYY-MM.2.json, ...)
    profiles/<name>/tokens.json        OAuth tokens and client secrets
    profiles/<name>/exports/           what an admin saved from the console

The directory is 0700 and every file 0600. One file lock per profile serialises read-modify-write
sequences across processes; each single write is atomic on its own (see `storage`). All methods
do blocking file I/O: call them from a worker thread, never on the UI's event loop.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from filelock import AsyncFileLock, FileLock
from tinydb import TinyDB
from tinydb.table import Document, Table

from tui.core.clock import REAL_CLOCK, Clock
from tui.core.connection import ConnectionState
from tui.core.jobs import Attempt, Job, JobState
from tui.core.jsonio import READ_ERRORS
from tui.core.mapping import Mapping, MappingChange
from tui.core.models import Bill, Chart, Organisation
from tui.core.settings import Settings
from tui.store.storage import (
    AtomicJSONStorage,
    SetAside,
    StorageError,
    unwritable,
    write_atomically,
)

T = TypeVar("T")

APP_NAME = "axpush"
DEFAULT_PROFILE = "default"
HOME_ENV = "AXPUSH_HOME"
SCHEMA_VERSIONS = {
    "config": 2,
    "state": 1,
    "tokens": 1,
    "bills": 1,
    "history": 1,
    "index": 1,
    "chart": 1,
}
"""Each file's schema. config 2: settings and connection state apart (1 kept them together, in
a table 'connections', which 2 still reads)."""
_SCHEMA_1_CONNECTIONS = "connections"
_SINGLE = 1
"""doc_id of the one document in single-document tables (connections, mapping)."""


def axpush_home() -> Path:
    """Where profiles live: `$AXPUSH_HOME`, else the platform's user data dir."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def current_user() -> str:
    """Who is acting, for history: OS user at host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


class _FreshTable(Table):
    """A TinyDB table that trusts nothing cached: another process may have written the file.

    TinyDB caches query results and the next document id per Table object; both go stale when
    a second process (a cron push beside the TUI) writes the same file.
    """

    default_query_cache_capacity = 0

    def insert(self, document: Any) -> int:
        self._next_id = None
        doc_id: int = super().insert(document)
        return doc_id

    def insert_multiple(self, documents: Any) -> list[int]:
        self._next_id = None
        doc_ids: list[int] = super().insert_multiple(documents)
        return doc_ids


class _ProfileDB(TinyDB):
    table_class = _FreshTable


class Profile:
    def __init__(self, root: Path, clock: Clock = REAL_CLOCK) -> None:
        self.root = root
        self._clock = clock
        self.set_aside: list[SetAside] = []
        """Damaged files found and moved aside since this profile was opened."""
        _ensure_private_dir(root.parent)  # profiles/: which firms this machine serves is private
        _ensure_private_dir(root)
        _ensure_private_dir(root / "history")
        self._lock = _ProfileLock(str(root / ".profile.lock"), mode=0o600)
        self._config = self._open(root / "config.json", "config")
        _ensure_private_dir(root / "outbox")
        self._tokens = self._open(root / "tokens.json", "tokens")
        _ensure_private_dir(root / "bills")
        self._sync = self._open(root / "bills" / "sync.json", "bills")
        self._bill_files: dict[str, TinyDB] = {}
        self._chart = self._open(root / "chart.json", "chart")
        self._history: dict[str, TinyDB] = {}
        self._outbox: dict[str, TinyDB] = {}
        self._index_files: dict[str, TinyDB] = {}

    @classmethod
    def named(
        cls, name: str = DEFAULT_PROFILE, home: Path | None = None, clock: Clock = REAL_CLOCK
    ) -> Profile:
        if not name or any(part in name for part in ("/", "\\", "..")):
            raise ValueError(f"not a usable profile name: {name!r}")
        return cls((home or axpush_home()) / "profiles" / name, clock)

    def _open(self, path: Path, schema: str) -> TinyDB:
        return _ProfileDB(
            path,
            storage=AtomicJSONStorage,
            lock=self._lock,
            schema=f"axpush.{schema}",
            version=SCHEMA_VERSIONS[schema],
            on_set_aside=self.set_aside.append,
            clock=self._clock,
        )

    def _table(self, db: TinyDB, name: str) -> Table:
        return db.table(name)

    def close(self) -> None:
        for db in (
            self._config,
            self._tokens,
            self._sync,
            self._chart,
            *self._bill_files.values(),
            *self._history.values(),
            *self._index_files.values(),
            *self._outbox.values(),
        ):
            db.close()

    # -- config -----------------------------------------------------------------------------

    def _usable(self, db: TinyDB, read: Callable[[], T], empty: T) -> T:
        """What `read` makes of a file's content; when the content cannot be used (valid JSON
        with a field of the wrong type), the file is set aside and reported like one that does
        not parse, and `empty` stands in."""
        try:
            return read()
        except READ_ERRORS as error:
            storage = db.storage
            assert isinstance(storage, AtomicJSONStorage)
            storage.set_aside(error)
            return empty

    def settings(self) -> Settings:
        """The stored settings (environment overrides are applied by whoever uses them)."""
        return self._usable(
            self._config,
            lambda: Settings.from_json(
                self._single(self._config, "settings", _SCHEMA_1_CONNECTIONS)
            ),
            Settings(),
        )

    def save_settings(self, settings: Settings) -> None:
        self._replace_single(self._config, "settings", settings.to_json())

    def connection(self) -> ConnectionState:
        """What signing in produced: tenant, Actionstep endpoint, the bound organisation."""
        return self._usable(
            self._config,
            lambda: ConnectionState.from_json(
                self._single(self._config, "connection", _SCHEMA_1_CONNECTIONS)
            ),
            ConnectionState(),
        )

    def save_connection(self, state: ConnectionState) -> None:
        self._replace_single(self._config, "connection", state.to_json())

    def _single(self, db: TinyDB, table_name: str, older: str | None = None) -> dict[str, Any]:
        """A single-document table's document ({} if none), else the one an older schema kept
        in table `older`."""
        for name in (table_name, older):
            if name is None:
                continue
            doc = self._table(db, name).get(doc_id=_SINGLE)
            if isinstance(doc, dict):
                return dict(doc)
        return {}

    def mapping(self) -> Mapping:
        def read() -> Mapping:
            doc = self._table(self._config, "mapping").get(doc_id=_SINGLE)
            return Mapping.from_json(doc) if isinstance(doc, dict) else Mapping()

        return self._usable(self._config, read, Mapping())

    def save_mapping(self, mapping: Mapping) -> None:
        self._replace_single(self._config, "mapping", mapping.to_json())

    def update_mapping(
        self, change: Callable[[Mapping], tuple[Mapping, Sequence[MappingChange]]]
    ) -> Mapping:
        """Apply `change` to the mapping as stored now (another process may have changed it),
        and save the result with its history records in one atomic write."""
        with self._lock:
            storage = self._config.storage
            data = storage.read() or {}
            doc = data.get("mapping", {}).get(str(_SINGLE))
            mapping, records = change(
                self._usable(
                    self._config,
                    lambda: Mapping.from_json(doc) if isinstance(doc, dict) else Mapping(),
                    Mapping(),
                )
            )
            log = dict(data.get("mapping_changes", {}))
            first = max((int(k) for k in log), default=0) + 1
            log.update({str(first + i): r.to_json() for i, r in enumerate(records)})
            storage.write(
                {**data, "mapping": {str(_SINGLE): mapping.to_json()}, "mapping_changes": log}
            )
        return mapping

    def write_export(self, name: str, text: str, folder: Path | None = None) -> Path:
        """Save what an admin exported from the console (a log, say) under `exports/` (or
        `folder`), private like the rest of the profile; returns where."""
        folder = folder or self.root / "exports"
        _ensure_private_dir(folder)
        path = folder / name
        write_atomically(path, text.encode("utf-8"))
        return path

    def mapping_changes(self) -> list[MappingChange]:
        """Every change to the mapping, oldest first."""
        table = self._table(self._config, "mapping_changes")
        return self._usable(
            self._config,
            lambda: [
                MappingChange.from_json(doc) for doc in sorted(table.all(), key=lambda d: d.doc_id)
            ],
            [],
        )

    # -- tokens -----------------------------------------------------------------------------

    def token(self, service: str) -> dict[str, Any] | None:
        doc = self._table(self._tokens, "tokens").get(doc_id=_SINGLE)
        token = doc.get(service) if isinstance(doc, dict) else None
        return dict(token) if isinstance(token, dict) else None

    def save_token(self, service: str, token: dict[str, Any]) -> None:
        with self._lock:
            tokens = self._all_tokens()
            tokens[service] = dict(token)
            self._replace_single(self._tokens, "tokens", tokens)

    def refresh_lock(self, service: str, timeout: float) -> AsyncFileLock:
        """The lock one token refresher holds at a time, across processes (see TokenKeeper)."""
        return AsyncFileLock(
            str(self.root / f".{service}-refresh.lock"), timeout=timeout, mode=0o600
        )

    def forget_token(self, service: str) -> None:
        with self._lock:
            tokens = self._all_tokens()
            if tokens.pop(service, None) is not None:
                self._replace_single(self._tokens, "tokens", tokens)

    def _all_tokens(self) -> dict[str, Any]:
        doc = self._table(self._tokens, "tokens").get(doc_id=_SINGLE)
        return dict(doc) if isinstance(doc, dict) else {}

    # -- Xero's chart, as last read ---------------------------------------------------------------

    def cached_chart(self) -> tuple[Organisation, Chart] | None:
        """The organisation and chart as last read from Xero (a cache: shown while Xero cannot
        be asked, say when its daily limit is used up)."""
        doc = self._single(self._chart, "chart")
        if not doc:
            return None
        return self._usable(
            self._chart,
            lambda: (Organisation.from_json(doc["organisation"]), Chart.from_json(doc["chart"])),
            None,
        )

    def save_chart(self, organisation: Organisation, chart: Chart) -> None:
        """Keep the chart as read now; written only when it changed."""
        data = {"organisation": organisation.to_json(), "chart": chart.to_json()}
        if self._single(self._chart, "chart") != data:
            self._replace_single(self._chart, "chart", data)

    # -- synced bills ---------------------------------------------------------------------------
    #
    # The bills as last synced, in files of a thousand by id (`bills/bills-<n>.json`) beside the
    # cursor (`bills/sync.json`): a sync rewrites the files of the bills that changed, and a
    # command that needs some bills reads their files alone.

    def cached_bills(self, ids: Iterable[str] | None = None) -> dict[str, Bill]:
        """The bills as last synced from Actionstep (all, or those of `ids` that are known).
        A cache: losing it costs a full sync."""
        self._migrate_bills()
        if ids is None:
            shards = self._bill_shards()
        else:
            wanted = set(ids)
            shards = sorted({bill_shard(i, "bills") for i in wanted})
        found: dict[str, Bill] = {}
        for shard in shards:
            bills = self._shard_bills(self._bills_db(shard))
            found.update(bills if ids is None else {k: v for k, v in bills.items() if k in wanted})
        return found

    def parts(self) -> list[str]:
        """The parts the firm is kept in, lowest bill ids first: part `n` is `bills/bills-<n>`
        with `outbox/jobs-<n>`. What reads the whole firm a part at a time (`part`) can show
        the first bills while the rest are read."""
        self._migrate_bills()
        self._migrate_outbox()
        names = {shard.split("-", 1)[1] for shard in (*self._bill_shards(), *self._outbox_shards())}
        return sorted(names, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else n))

    def part(self, name: str) -> tuple[dict[str, Bill], dict[str, Job]]:
        """One part's cached bills and jobs (see `parts`)."""
        bills, jobs = f"bills-{name}", f"jobs-{name}"
        return (
            self._shard_bills(self._bills_db(bills))
            if (self.root / "bills" / f"{bills}.json").exists()
            else {},
            self._shard_jobs(self._outbox_db(jobs))
            if (self.root / "outbox" / f"{jobs}.json").exists()
            else {},
        )

    def _shard_bills(self, db: TinyDB) -> dict[str, Bill]:
        return self._by_bill(db, "bills", Bill.from_json)

    def _by_bill(
        self, db: TinyDB, table: str, from_json: Callable[[dict[str, Any]], T]
    ) -> dict[str, T]:
        """One sharded file's records by bill id; a file whose content cannot be used is set
        aside and reported."""

        def read() -> dict[str, T]:
            stored = db.storage.read() or {}  # as TinyDB reads it, less a Document per record
            docs = stored.get(table) or {}
            return {str(doc["bill_id"]): from_json(doc) for doc in docs.values()}

        return self._usable(db, read, {})

    def sync_cursor(self) -> datetime | None:
        self._migrate_bills()

        def read() -> datetime | None:
            doc = self._table(self._sync, "sync").get(doc_id=_SINGLE)
            cursor = doc.get("cursor") if isinstance(doc, dict) else None
            return datetime.fromisoformat(cursor) if cursor else None

        return self._usable(self._sync, read, None)

    def save_bills(
        self, bills: Sequence[Bill], cursor: datetime | None, *, replace_all: bool
    ) -> int:
        """Store synced bills (all of them with `replace_all`, else merged by id) and the
        cursor the next incremental sync starts from; how many of `bills` are new or differ
        from what was stored. Only files with such a bill are written (with `replace_all`,
        also those that lose a bill; files left with none are removed)."""
        self._migrate_bills()
        by_shard: dict[str, list[dict[str, Any]]] = {}
        for bill in bills:
            by_shard.setdefault(bill_shard(bill.bill_id, "bills"), []).append(bill.to_json())
        changed = 0
        with self._lock:
            for shard, docs in sorted(by_shard.items()):
                table = self._table(self._bills_db(shard), "bills")
                stored = {str(doc["bill_id"]): doc for doc in table.all()}
                new = [doc for doc in docs if stored.get(str(doc["bill_id"])) != doc]
                changed += len(new)
                if replace_all and (new or len(stored) != len(docs)):
                    table.truncate()
                    table.insert_multiple(docs)
                elif new:
                    self._upsert_by_bill(table, new, stored)
            if replace_all:
                for stale in set(self._bill_shards()) - set(by_shard):
                    self._bills_db(stale).close()
                    del self._bill_files[stale]
                    (self.root / "bills" / f"{stale}.json").unlink(missing_ok=True)
            self._replace_single(
                self._sync, "sync", {"cursor": cursor.isoformat() if cursor else None}
            )
        return changed

    @staticmethod
    def _upsert_by_bill(
        table: Table, docs: Sequence[dict[str, Any]], read: dict[str, Document] | None = None
    ) -> None:
        """Replace each bill's document, or add it: one pass by document id, not one query per
        bill (`read`: the table's documents by bill, when the caller has just read them)."""
        if read is None:
            read = {str(doc["bill_id"]): doc for doc in table.all()}
        known = {bill: doc.doc_id for bill, doc in read.items()}
        updates = {str(d["bill_id"]): d for d in docs if str(d["bill_id"]) in known}

        def rewrite(doc: MutableMapping[str, Any]) -> None:
            new = updates[str(doc["bill_id"])]
            doc.clear()
            doc.update(new)

        if updates:
            table.update(rewrite, doc_ids=[known[b] for b in updates])
        inserts = [d for d in docs if str(d["bill_id"]) not in known]
        if inserts:
            table.insert_multiple(inserts)

    def _bill_shards(self) -> list[str]:
        return self._files("bills", "bills")

    def _bills_db(self, shard: str) -> TinyDB:
        return self._file_db(self._bill_files, "bills", shard, "bills")

    def _files(self, folder: str, prefix: str) -> list[str]:
        """The names of a sharded folder's files, in order."""
        return sorted(p.stem for p in (self.root / folder).glob(f"{prefix}-*.json"))

    def _file_db(self, opened: dict[str, TinyDB], folder: str, shard: str, schema: str) -> TinyDB:
        """One file of a sharded folder, opened once."""
        if shard not in opened:
            opened[shard] = self._open(self.root / folder / f"{shard}.json", schema)
        return opened[shard]

    def _migrate_bills(self) -> None:
        """Schema 1 kept the bills and the cursor in one `bills.json`: they move into `bills/`
        once, and the old file is kept beside as `bills.json.migrated-<time>`."""
        old = self.root / "bills.json"
        if not old.exists():
            return
        with self._lock:
            if not old.exists():
                return  # another process migrated it meanwhile
            db = self._open(old, "bills")
            try:
                bills = self._shard_bills(db)
                doc = self._single(db, "sync")
            finally:
                db.close()
            by_shard: dict[str, list[Bill]] = {}
            for bill in bills.values():
                by_shard.setdefault(bill_shard(bill.bill_id, "bills"), []).append(bill)
            for shard, shard_bills in by_shard.items():
                table = self._table(self._bills_db(shard), "bills")
                self._upsert_by_bill(table, [bill.to_json() for bill in shard_bills])
            if doc and not self._single(self._sync, "sync"):
                self._replace_single(self._sync, "sync", doc)
            if old.exists():
                os.replace(old, old.with_name(f"bills.json.migrated-{self._stamp()}"))

    def _stamp(self) -> str:
        return self._clock.now().strftime("%Y%m%dT%H%M%S%fZ")

    # -- outbox -----------------------------------------------------------------------------
    #
    # One job per bill, in files of a thousand bills by id (`outbox/jobs-<n>.json`), so that a
    # batch's intent and outcome rewrite the few files its bills are in, not every job the
    # firm ever had: a push costs the same per bill at 1,000 bills as at 100,000.

    def jobs(self) -> dict[str, Job]:
        self._migrate_outbox()
        found: dict[str, Job] = {}
        for shard in self._outbox_shards():
            found.update(self._shard_jobs(self._outbox_db(shard)))
        return found

    def _shard_jobs(self, db: TinyDB) -> dict[str, Job]:
        return self._by_bill(db, "jobs", Job.from_json)

    def record_jobs(self, jobs: Sequence[Job], attempts: Sequence[Attempt] = ()) -> list[Job]:
        """Upsert jobs by bill (counting an attempt for each that starts sending) and append the
        attempts to history. Returns the jobs as stored. Each outbox file the jobs fall in is
        read and written once."""
        self._migrate_outbox()
        stored: dict[int, Job] = {}
        with self._lock:
            by_shard: dict[str, list[tuple[int, Job]]] = {}
            for index, job in enumerate(jobs):
                by_shard.setdefault(bill_shard(job.bill_id), []).append((index, job))
            for shard, items in by_shard.items():
                for index, job in self._record_in(shard, [job for _, job in items]):
                    stored[items[index][0]] = job
            if attempts:
                self.append_history(attempts)
        return [stored[i] for i in range(len(jobs))]

    def _record_in(self, shard: str, jobs: Sequence[Job]) -> list[tuple[int, Job]]:
        table = self._table(self._outbox_db(shard), "jobs")
        docs = {str(doc["bill_id"]): doc for doc in table.all()}
        stored: list[tuple[int, Job]] = []
        for index, job in enumerate(jobs):
            doc = docs.get(job.bill_id)
            attempts_so_far = int(doc.get("attempts") or 0) if doc is not None else 0
            counted = job.attempts or attempts_so_far
            if job.state is JobState.SENDING:
                counted = attempts_so_far + 1
            stored.append((index, replace(job, attempts=counted)))
        self._upsert_by_bill(table, [job.to_json() for _, job in stored], docs)
        return stored

    def _outbox_shards(self) -> list[str]:
        return self._files("outbox", "jobs")

    def _outbox_db(self, shard: str) -> TinyDB:
        return self._file_db(self._outbox, "outbox", shard, "state")

    def _migrate_outbox(self) -> None:
        """Schema 1 kept every job in one `state.json`: its jobs move into the outbox's files
        once, and the old file is kept beside them as `state.json.migrated-<time>`. A job that
        cannot be read sets the old file aside as damaged instead, like any damaged file."""
        old = self.root / "state.json"
        if not old.exists():
            return
        with self._lock:
            if not old.exists():
                return  # another process migrated it meanwhile
            db = self._open(old, "state")
            try:
                by_shard: dict[str, list[Job]] = {}
                for job in self._shard_jobs(db).values():
                    by_shard.setdefault(bill_shard(job.bill_id), []).append(job)
                for shard, shard_jobs in by_shard.items():
                    table = self._table(self._outbox_db(shard), "jobs")
                    table.insert_multiple(job.to_json() for job in shard_jobs)
            finally:
                db.close()
            if old.exists():
                os.replace(old, old.with_name(f"state.json.migrated-{self._stamp()}"))

    # -- history ----------------------------------------------------------------------------
    #
    # Attempts in files by month (`history/YYYY-MM.json`, then `YYYY-MM.2.json`, ... once one
    # holds SHARD_ATTEMPTS), and an index beside them (`history/index/`) naming, for each bill id
    # and each bill number, the files its attempts are in: one bill's history is read from those
    # files alone, however long the firm's history. The index is written before the attempts
    # (a crash between the two leaves it naming a file too many, never too few), and files it has
    # not seen (from before it existed, or written while it was set aside) are indexed when next
    # asked.

    def append_history(self, attempts: Sequence[Attempt]) -> None:
        """Append to the month's newest shard, or start the next one when it is full, so that
        recording an attempt costs what one shard holds, however busy the month."""
        by_month: dict[str, list[Attempt]] = {}
        for attempt in attempts:
            by_month.setdefault(_month(attempt.at), []).append(attempt)
        with self._lock:
            for month, found in by_month.items():
                shards = self._shards(month) or [month]
                name = shards[-1]
                table = self._table(self._history_db(name), "attempts")
                if len(table) >= SHARD_ATTEMPTS:
                    name = f"{month}.{len(shards) + 1}"
                    table = self._table(self._history_db(name), "attempts")
                self._index_add(name, found)
                table.insert_multiple(attempt.to_json() for attempt in found)

    def history(self, month: str | None = None) -> list[Attempt]:
        """Attempts of one month (YYYY-MM), or of all months, oldest first."""
        months = [month] if month else self.history_months()
        attempts: list[Attempt] = []
        for name in months:
            for shard in self._shards(name):
                attempts += self._shard_attempts(shard)
        return sorted(attempts, key=lambda a: a.at)

    def history_stream(self, since_month: str | None = None) -> Iterator[Attempt]:
        """Every attempt (from `since_month` on), one history file at a time, oldest first within
        each: memory holds one file's attempts, whatever the history's length."""
        for month in self.history_months():
            if since_month is None or month >= since_month:
                for shard in self._shards(month):
                    yield from sorted(self._shard_attempts(shard), key=lambda a: a.at)

    def attempts_of(self, bill_id: str) -> list[Attempt]:
        """Every attempt of one bill, oldest first, read from the history files the index names
        for it."""
        return self._indexed_attempts(_id_key(bill_id), "bill_id", bill_id)

    def attempts_named(self, bill: str) -> list[Attempt]:
        """Every attempt of the bill with this number, or this id, oldest first."""
        return self._indexed_attempts(_number_key(bill), "number", bill) or self.attempts_of(bill)

    def _indexed_attempts(self, key: str, field: str, value: str) -> list[Attempt]:
        found: list[Attempt] = []
        for shard in sorted(self._indexed_shards(key), key=_shard_order):
            found += self._shard_attempts(shard, (field, value))
        return sorted(found, key=lambda a: a.at)

    def _shard_attempts(self, shard: str, only: tuple[str, str] | None = None) -> list[Attempt]:
        """One history file's attempts (those whose `only[0]` is `only[1]`); a file whose content
        cannot be used is set aside and reported."""
        db = self._history_db(shard)
        table = self._table(db, "attempts")

        def read() -> list[Attempt]:
            docs = table.all()
            if only is not None:
                field, value = only
                docs = [doc for doc in docs if str(doc.get(field)) == value]
            return [Attempt.from_json(dict(doc)) for doc in docs]

        return self._usable(db, read, [])

    def history_months(self) -> list[str]:
        return sorted({p.name[:7] for p in (self.root / "history").glob("????-??*.json")})

    def _history_shards(self) -> list[str]:
        """Every history file by name, in order."""
        return [shard for month in self.history_months() for shard in self._shards(month)]

    def _shards(self, month: str) -> list[str]:
        """The month's shards in order: YYYY-MM, then YYYY-MM.2, YYYY-MM.3, ..."""
        names = [p.stem for p in (self.root / "history").glob(f"{month}*.json")]
        return sorted(
            (n for n in names if n == month or n.startswith(month + ".")), key=_shard_order
        )

    def _history_db(self, shard: str) -> TinyDB:
        if shard not in self._history:
            self._history[shard] = self._open(self.root / "history" / f"{shard}.json", "history")
        return self._history[shard]

    def _index_db(self, name: str) -> TinyDB:
        if name not in self._index_files:
            _ensure_private_dir(self.root / "history" / "index")
        return self._file_db(self._index_files, "history/index", name, "index")

    def _index_add(self, shard: str, attempts: Iterable[Attempt]) -> None:
        """Note that these attempts are in `shard`, by bill id and by number (under the lock).
        A file is written only when it gains an entry: a batch's answers, recorded in the file
        its sending went to, write none."""
        by_file: dict[str, set[str]] = {}
        for attempt in attempts:
            for key in (_id_key(attempt.bill_id), _number_key(attempt.number)):
                by_file.setdefault(_index_file(key), set()).add(key)
        for name, keys in sorted(by_file.items()):
            db = self._index_db(name)
            entries = self._index_entries(db) or {}
            missing = [key for key in keys if shard not in entries.get(key, ())]
            if missing:
                for key in missing:
                    entries[key] = [*entries.get(key, ()), shard]
                self._replace_single(db, "keys", entries)
        seen = self._indexed()
        if shard not in seen:
            self._replace_single(self._index_db("files"), "files", {"indexed": [*seen, shard]})

    def _index_entries(self, db: TinyDB) -> dict[str, list[str]] | None:
        """One index file's entries; one that cannot be used is set aside (None), and every
        history file is indexed again."""

        def read() -> dict[str, list[str]]:
            doc = self._single(db, "keys")
            return {str(k): [str(s) for s in v] for k, v in doc.items() if isinstance(v, list)}

        damaged = len(self.set_aside)
        entries = self._usable(db, read, None)
        if entries is None or len(self.set_aside) > damaged:
            entries = None
            self._replace_single(self._index_db("files"), "files", {"indexed": []})
        return entries

    def _indexed(self) -> list[str]:
        doc = self._single(self._index_db("files"), "files")
        indexed = doc.get("indexed")
        return [str(s) for s in indexed] if isinstance(indexed, list) else []

    def _indexed_shards(self, key: str) -> list[str]:
        """The history files that hold the attempts noted under `key`, after indexing any file
        the index has not seen (all of them, once, for a profile from before the index). A
        profile that cannot be written (read-only) is searched whole instead."""
        every = self._history_shards()
        try:
            for _ in range(2):  # again when the key's file was found damaged (and set aside)
                self._index_unseen(every)
                entries = self._index_entries(self._index_db(_index_file(key)))
                if entries is not None:
                    return entries.get(key, [])
        except (StorageError, OSError):
            pass
        return every

    def _index_unseen(self, every: Sequence[str]) -> None:
        seen = set(self._indexed())
        if all(shard in seen for shard in every):
            return
        with self._lock:
            seen = set(self._indexed())
            for shard in every:
                if shard not in seen:
                    self._index_add(shard, self._shard_attempts(shard))

    def _replace_single(self, db: TinyDB, table_name: str, data: dict[str, Any]) -> None:
        """Replace a single-document table's document in one atomic write."""

        def replace(doc: MutableMapping[Any, Any]) -> None:
            doc.clear()
            doc.update(data)

        with self._lock:
            table = self._table(db, table_name)
            if not table.update(replace, doc_ids=[_SINGLE]):
                table.insert(Document(data, doc_id=_SINGLE))


SHARD_ATTEMPTS = 2000
"""Attempts per history file: a month that holds more continues in YYYY-MM.2.json, and so on."""


SHARD_BILLS = 1000
"""Bills per outbox file and per bills file, by Actionstep bill id."""


def bill_shard(bill_id: str, prefix: str = "jobs") -> str:
    """The file a bill's job (or cached bill) lives in: `<prefix>-<n>` for ids n*1000 to
    n*1000+999 (ids that are not numbers, which Actionstep does not send, spread by a checksum)."""
    if bill_id.isdigit():
        return f"{prefix}-{int(bill_id) // SHARD_BILLS}"
    return f"{prefix}-x{zlib.crc32(bill_id.encode()) % 100}"


def _id_key(bill_id: str) -> str:
    return f"id:{bill_id}"


def _number_key(number: str) -> str:
    return f"no:{number}"


def _index_file(key: str) -> str:
    """The index file a key is noted in, chosen so that a batch of neighbouring bills touches
    one or two: ids by range, like the outbox; numbers by the range of their trailing digits
    (INV-001234 with 1000 to 1999), or, with no digits at the end, by a checksum."""
    kind, _, value = key.partition(":")
    digits = re.search(r"(\d{1,12})$", value)
    if digits:
        return f"{kind}-{int(digits.group(1)) // SHARD_BILLS}"
    return f"{kind}-x{zlib.crc32(value.encode()) % 100}"


def _shard_order(shard: str) -> tuple[str, int]:
    """History files in the order they were written: YYYY-MM, YYYY-MM.2, ..., YYYY-MM.10."""
    return shard[:7], int(shard[8:] or 1)


def _month(at: datetime) -> str:
    return at.strftime("%Y-%m")


def _ensure_private_dir(path: Path) -> None:
    """The folder exists and only its owner may enter it. On a read-only profile an existing
    folder is used as it is, and a missing one stays missing (the commands that only read still
    work; one that writes says the profile is read-only)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix" and path.stat().st_mode & 0o777 != 0o700:
            path.chmod(0o700)
    except OSError as error:
        if unwritable(path, error) is None:
            raise


class _ProfileLock(FileLock):
    """The profile's file lock; one that cannot be created (a full disk, a read-only profile)
    says so in words."""

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().acquire(*args, **kwargs)
        except OSError as error:
            said = unwritable(Path(self.lock_file), error)
            if said is None:
                raise
            raise said from None
