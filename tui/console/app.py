"""The Textual app: three views (Bills, Mapping, Push log), their keys, and one error funnel.

Network and file work run in workers (one exclusive worker per action); the engine's events are
buffered and handed to the screens in batches, ten times a second, so a fast push never floods
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.dialogs.help import HelpDialog
from tui.console.flows.sign_in import sign_in_here
from tui.console.screens.bills import BillsScreen
from tui.console.screens.connections import ConnectionsScreen
from tui.console.screens.mapping import MappingScreen
from tui.console.screens.push_log import PushLogScreen
from tui.console.screens.triage import TriageScreen
from tui.core.engine import PushSummary
from tui.core.errors import RemoteError
from tui.core.events import EngineEvent, EventKind
from tui.core.mapping import Origin, RowChange
from tui.core.problems import MappingKey
from tui.core.status import BillState
from tui.remote.oauth import SignInError
from tui.service.connections import status
from tui.service.workspace import NotConnected, Workspace
from tui.store.profile import Profile
from tui.store.pusher import PusherBusy

LOG_MEMORY = 5000
"""Log lines kept in memory for the Push log view; history on disk keeps every attempt."""
FLUSH_SECONDS = 0.1
SETTLED_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.ADOPTED,
        EventKind.UPDATED,
        EventKind.VOIDED,
        EventKind.PAID,
        EventKind.FAILED,
    }
)

log = logging.getLogger(__name__)
Opener = Callable[[], Awaitable[Workspace]]


def describe(error: BaseException | None) -> str:
    """A failure in one line that is safe to show: remote errors are written to be; anything
    else is named by its type."""
    if isinstance(error, (RemoteError, PusherBusy)):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def _now_ready(workspace: Workspace, changed: Sequence[str]) -> int:
    """Of the bills a mapping change touched, how many it made ready to push."""
    return sum(
        1 for b in changed if b in workspace.rows and workspace.rows[b].state is BillState.READY
    )


class AxpushApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "axpush"
    MODES = {
        "bills": BillsScreen,
        "triage": TriageScreen,
        "mapping": MappingScreen,
        "log": PushLogScreen,
        "connections": ConnectionsScreen,
    }
    DEFAULT_MODE = "bills"
    BINDINGS = [
        # The top bar shows the views and their keys, so the footer need not.
        Binding("b", "switch_mode('bills')", "Bills view", id="view.bills", show=False),
        Binding("t", "switch_mode('triage')", "Triage view", id="view.triage", show=False),
        Binding("m", "switch_mode('mapping')", "Mapping view", id="view.mapping", show=False),
        Binding("l", "switch_mode('log')", "Push log view", id="view.log", show=False),
        Binding(
            "c", "switch_mode('connections')", "Connections view", id="view.connections", show=False
        ),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self, opener: Opener, *, profile: Profile | None = None, context: str = ""
    ) -> None:
        super().__init__()
        self._opener = opener
        self.profile = profile
        """The profile, for the Connections view (None: that view only explains)."""
        self.context = context
        """Where this session points (e.g. the demo sandbox), shown in the top bar."""
        self.workspace: Workspace | None = None
        self.load_error: str | None = None
        self.log_lines: deque[str] = deque(maxlen=LOG_MEMORY)
        self.mapping_focus: MappingKey | None = None
        """A row the Mapping view should put its cursor on when it next shows."""
        self.push_progress: tuple[int, int] | None = None
        """(settled, total) while a push runs."""
        self.push_started: float | None = None
        """When the running push started (time.monotonic), for its throughput."""
        self._pending: list[EngineEvent] = []
        self._damage_reported = 0
        self.workspace_loaded: Signal[None] = Signal(self, "workspace-loaded")
        self.bills_changed: Signal[set[str]] = Signal(self, "bills-changed")
        self.log_written: Signal[list[str]] = Signal(self, "log-written")
        self.connections_changed: Signal[dict[str, Any] | None] = Signal(
            self, "connections-changed"
        )

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self._flush_events)
        self.load_workspace()

    async def on_unmount(self) -> None:
        if self.workspace is not None:
            await self.workspace.aclose()

    # -- workers --------------------------------------------------------------------------------

    @work(exclusive=True, group="load", exit_on_error=False, description="Loading")
    async def load_workspace(self) -> None:
        self.load_error = None
        self.write_log("connecting to Xero and Actionstep")
        if self.workspace is None:
            try:
                self.workspace = await self._opener()
            except NotConnected as error:
                self.load_error = (
                    f"{error}, or press c to sign in here. To try axpush first: axpush demo"
                )
                self.workspace_loaded.publish(None)
                return
        try:
            await self.workspace.load(self.write_log)
        except Exception as error:
            self.load_error = f"Could not load: {describe(error)}. Press r to try again."
            raise  # to the error funnel, which logs and shows it
        finally:
            self.workspace_loaded.publish(None)
        counts = self.workspace.counts()
        self.write_log("loaded " + ", ".join(f"{n} {state}" for state, n in counts.items()))
        damaged = self.workspace.profile.set_aside
        for report in damaged[self._damage_reported :]:
            self.write_log(report.describe(), kind="warning")
            self.notify(
                report.describe(),
                title="A profile file was damaged",
                severity="warning",
                timeout=15,
            )
        self._damage_reported = len(damaged)

    def start_push(self, bill_ids: Sequence[str]) -> bool:
        """Push these bills in the background; False (and nothing starts) if a push is running."""
        if self.pushing or self.workspace is None:
            return False
        chosen = self.workspace.pushable(bill_ids)
        self.push_progress = (0, len(chosen))  # set now, so a second request sees it at once
        self.push_started = time.monotonic()
        self._push_worker(chosen)
        return True

    @work(group="push", exit_on_error=False, description="Pushing")
    async def _push_worker(self, chosen: Sequence[str]) -> PushSummary | None:
        workspace = self.workspace
        if workspace is None:
            self.push_progress = None
            return None
        self.bills_changed.publish(set(chosen))
        try:
            summary = await workspace.push(chosen, self._queue_event)
        finally:
            self.push_progress = None
            self.push_started = None
            self._flush_events()
            self.bills_changed.publish(set(chosen))
        self.notify(
            summary.line(),
            title="Push finished",
            severity="warning" if summary.failed else "information",
        )
        return summary

    @work(exclusive=True, group="mapping", exit_on_error=False, description="Saving mapping")
    async def set_mapping(self, key: MappingKey, target: str | None, label: str) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        changed = await workspace.set_mapping(key, target)
        ready = _now_ready(workspace, changed)
        self.write_log(f"mapped {label}" + (f"; {ready} bills now ready" if ready else ""))
        self.notify(
            label + (f"\n{ready} bills are now ready to push." if ready else ""),
            title="Mapping saved",
        )
        self.bills_changed.publish(set(changed))

    @work(exclusive=True, group="mapping", exit_on_error=False, description="Saving the mapping")
    async def accept_mapping(self, changes: Sequence[RowChange]) -> None:
        """Save what auto-map proposed and the admin ticked."""
        workspace = self.workspace
        if workspace is None or not changes:
            return
        changed, recorded = await workspace.accept(changes, Origin.AUTO)
        ready = _now_ready(workspace, changed)
        for record in recorded:
            self.write_log(f"auto-mapped {record.subject} → {record.new_label} ({record.note})")
        skipped = len(changes) - len(recorded)
        self.notify(
            f"{len(recorded)} rows mapped"
            + (f"; {skipped} left alone (changed meanwhile)" if skipped else "")
            + (f"\n{ready} bills are now ready to push." if ready else ""),
            title="Auto-map saved",
        )
        self.bills_changed.publish(set(changed))

    @work(exclusive=True, group="mapping", exit_on_error=False, description="Refreshing the chart")
    async def refresh_chart(self) -> None:
        """Read Xero's chart (and Actionstep's accounts) again and say what changed."""
        workspace = self.workspace
        if workspace is None:
            return
        before = {b: row.state for b, row in workspace.rows.items()}
        drifted = await workspace.refresh_chart()
        changed = {b for b, row in workspace.rows.items() if before.get(b) != row.state}
        for row in drifted:
            self.write_log(
                f"chart: {row.target_label} (mapped from {row.source_label}) {row.drift}",
                kind="error" if row.problem else "info",
            )
        accounts = len(workspace.chart.accounts)
        message = f"{accounts} accounts, {len(workspace.chart.tax_rates)} tax rates read. " + (
            f"{len(drifted)} mapped accounts changed in Xero since they were "
            "mapped: see the rows marked 'changed'."
            if drifted
            else "No mapped account changed."
        )
        self.notify(
            message, title="Chart refreshed", severity="warning" if drifted else "information"
        )
        self.bills_changed.publish(changed)

    @work(exclusive=True, group="mapping", exit_on_error=False, description="Confirming the row")
    async def confirm_mapping(self, key: MappingKey) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        await workspace.confirm_rows([key])
        self.bills_changed.publish(set())

    @work(exclusive=True, group="export", exit_on_error=False, description="Exporting the log")
    async def export_log(self, lines: Sequence[str], filtered: bool) -> None:
        """Save the Push log's lines (as shown) in the profile's exports folder."""
        profile = self.profile or (self.workspace.profile if self.workspace else None)
        if profile is None:
            return
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            path = await asyncio.to_thread(
                profile.write_export,
                f"push-log-{stamp}.txt",
                "".join(f"{line}\n" for line in lines),
            )
        except OSError as error:
            self.notify(
                f"Could not save the log in {profile.root / 'exports'}: "
                f"{error.strerror or error}. Nothing else was changed.",
                title="Log not exported",
                severity="error",
                timeout=15,
            )
            return
        what = "the filtered lines" if filtered else "the log"
        self.notify(
            f"{len(lines):,} lines ({what}) saved to {path}. The full record of "
            "every attempt: `axpush log --csv`.",
            title="Log exported",
            timeout=15,
        )

    @work(exclusive=True, group="resolve", exit_on_error=False, description="Marking resolved")
    async def mark_resolved(self, bill_id: str, why: str) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        await workspace.mark_resolved(bill_id, why)
        number = workspace.bills[bill_id].number
        self.write_log(f"#{number} marked resolved in Xero by {workspace.who}: {why}")
        self.notify(
            f"#{number}: recorded, with your reason. It is not pushed again unless "
            "Actionstep changes it.",
            title="Marked resolved",
        )
        self.bills_changed.publish({bill_id})

    @work(
        exclusive=True,
        group="connections",
        exit_on_error=False,
        description="Checking the connections",
    )
    async def check_connections(self) -> None:
        if self.profile is None:
            return
        self.connections_changed.publish(None)
        self.connections_changed.publish(await status(self.profile))

    @work(exclusive=True, group="sign-in", exit_on_error=False, description="Signing in")
    async def sign_in(self, service: str) -> None:
        """The paste-back sign-in, from the console; then the bills are read again."""
        if self.profile is None:
            self.notify("No profile is open here.", severity="warning")
            return
        if self.pushing:
            self.notify("Wait for the push to finish before signing in again.", severity="warning")
            return
        try:
            said = await sign_in_here(self, self.profile, service)
        except SignInError as error:
            self.notify(f"Not connected: {error}", title="Sign-in", severity="error", timeout=10)
            return
        if said is None:
            return
        self.write_log(said)
        self.notify(said, title="Signed in")
        if self.workspace is not None:
            await self.workspace.aclose()
            self.workspace = None
        self.check_connections()
        self.load_workspace()

    @work(exclusive=True, group="trial", exit_on_error=False, description="Saving")
    async def confirm_trial(self) -> None:
        if self.workspace is not None:
            await self.workspace.confirm_trial()
            self.write_log("pushing to a demo or trial organisation was confirmed")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one error funnel: every worker failure ends here as a clear message."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, RemoteError):
            log.exception("unexpected failure in %s", event.worker.name, exc_info=error)
        message = describe(error)
        what = event.worker.description or "Working"
        self.write_log(f"{what.lower()} failed: {message}", kind="error")
        self.notify(message, title=f"{what} failed", severity="error", timeout=10)

    # -- log --------------------------------------------------------------------------------------

    def write_log(self, message: str, kind: str = "info") -> None:
        """A line of the app's own (not the engine's) in the Push log, in the same format."""
        line = f"{datetime.now().strftime('%H:%M:%S')} {kind:<8} {message}"
        self.log_lines.append(line)
        self.log_written.publish([line])

    def _queue_event(self, event: EngineEvent) -> None:
        self._pending.append(event)

    def _flush_events(self) -> None:
        if not self._pending:
            return
        events, self._pending = self._pending, []
        lines = [event.line() for event in events]
        self.log_lines.extend(lines)
        self.log_written.publish(lines)
        changed = {event.bill_id for event in events if event.bill_id}
        if self.push_progress is not None and self.workspace is not None:
            _, total = self.push_progress
            settled = sum(1 for e in events if e.kind in SETTLED_EVENTS)
            done = min(total, self.push_progress[0] + settled)  # payments follow creates
            self.push_progress = (done, total)
        if changed:
            self.bills_changed.publish(changed)

    # -- actions ----------------------------------------------------------------------------------

    @property
    def pushing(self) -> bool:
        return self.push_progress is not None

    async def action_quit(self) -> None:
        """Quitting mid-push is allowed, after saying what it means."""
        if not self.pushing:
            self.exit()
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "A push is running. Quit now, and the batch in flight is checked against Xero on "
                "the next push (nothing is sent twice). Quit?",
                confirm="Quit",
                cancel="Keep going",
            ),
            decided,
        )

    def action_help(self) -> None:
        self.push_screen(HelpDialog(self.screen))

    def open_mapping_row(self, key: MappingKey) -> None:
        """Switch to the Mapping view with the cursor on this row."""
        self.mapping_focus = key
        self.switch_mode("mapping")
