"""The Textual app: five views (Bills, Triage, Mapping, Push log, Connections), their keys, one
runner for the use cases the views start, and one error funnel.

Every action a view takes is a service use case run by `run` in a worker (one exclusive worker
per group); what it did comes back as a `Done`, told the same way each time (the Push log, a
notification, the bills redrawn). The engine's events are buffered and handed to the screens in
batches, ten times a second, so a fast push never floods the event loop.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from tui.console.dialogs.confirm import ConfirmDialog
from tui.console.dialogs.help import HelpDialog
from tui.console.flows.sign_in import DialogPrompts
from tui.console.keys import own_keys
from tui.console.screens.bills import BillsScreen
from tui.console.screens.connections import ConnectionsScreen
from tui.console.screens.mapping import MappingScreen
from tui.console.screens.push_log import LOG_MEMORY, PushLogScreen
from tui.console.screens.triage import TriageScreen
from tui.core.engine import Emit, PushSummary
from tui.core.errors import AxpushError, NotConnected
from tui.core.events import EngineEvent, EventKind
from tui.core.problems import MappingKey
from tui.service import pushing
from tui.service.connections import SignInRequest, sign_in, status
from tui.service.demo import SimulatedXero
from tui.service.done import Done, LogLine
from tui.service.session import Session
from tui.service.workspace import Workspace

FLUSH_SECONDS = 0.1
SETTLED_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.ADOPTED,
        EventKind.UPDATED,
        EventKind.VOIDED,
        EventKind.PAID,
        EventKind.REVERSED,
        EventKind.CREDITED,
        EventKind.FAILED,
    }
)

log = logging.getLogger(__name__)
Work = Callable[[], Awaitable[Done | None]]
Pusher = Callable[[Emit], Awaitable[PushSummary]]
WorkspaceWork = Callable[[Workspace], Awaitable[Done | None]]


def describe(error: BaseException | None) -> str:
    """A failure in one line that is safe to show: axpush's own errors are written to be;
    anything else is named by its type (and logged in full: it is a bug)."""
    if isinstance(error, AxpushError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


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
        self, session: Session, *, context: str = "", simulated_xero: SimulatedXero | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.simulated_xero = simulated_xero
        """The demo's stand-in for a person in Xero's web app (None: a real organisation)."""
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
        self.bills_arrived: Signal[set[str]] = Signal(self, "bills-arrived")
        """A part of the firm was read and evaluated, while the rest is still being read."""
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

    # -- the runner -------------------------------------------------------------------------------

    def perform(self, description: str, work: Work, *, group: str) -> Worker[bool]:
        """Run a use case in the background, one at a time per `group`: its `Done` is told, its
        failure goes to the error funnel."""

        async def runner() -> bool:
            done = await work()
            if done is not None:
                self.tell(done)
            return done is not None

        # The coroutine function, not a coroutine: a worker cancelled before it starts (an
        # exclusive group's newer action) then leaves nothing un-awaited behind.
        worker: Worker[bool] = self.run_worker(
            runner, group=group, exclusive=True, exit_on_error=False, description=description
        )
        return worker

    def perform_on_workspace(self, description: str, work: WorkspaceWork, *, group: str) -> None:
        """`perform`, for a use case on the loaded workspace (with nothing loaded, says so)."""
        workspace = self.workspace
        if workspace is None:
            self.notify("Nothing is loaded yet.", severity="warning")
            return
        self.perform(description, lambda: work(workspace), group=group)

    def tell(self, done: Done) -> None:
        """What a use case did: in the Push log, as a notification, and on the screens."""
        for line in done.log:
            self.write_log(line.text, kind=line.kind)
        self.notify(
            done.message,
            title=done.title,
            severity="warning" if done.warning else "information",
            timeout=15 if len(done.message) > 80 else 5,
        )
        self.bills_changed.publish(set(done.changed))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one error funnel: every worker failure ends here as a clear message."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, AxpushError):
            log.exception("unexpected failure in %s", event.worker.name, exc_info=error)
        message = describe(error)
        what = event.worker.description or "Working"
        self.write_log(f"{what.lower()} failed: {message}", kind="error")
        self.notify(message, title=f"{what} failed", severity="error", timeout=10)

    # -- the use cases with more to them than a Done ----------------------------------------------

    @work(exclusive=True, group="load", exit_on_error=False, description="Loading")
    async def load_workspace(self) -> None:
        self.load_error = None
        self.write_log("connecting to Xero and Actionstep")
        if self.workspace is None:
            try:
                self.workspace = await Workspace.connect(self.session)
            except NotConnected as error:
                self.load_error = (
                    f"{error}, or press c to sign in here. To try axpush first: axpush demo"
                )
                self.workspace_loaded.publish(None)
                return
        try:
            await self.workspace.load(self.write_log, arrived=self.bills_arrived.publish)
        except Exception as error:
            self.load_error = f"Could not load: {describe(error)}. Press r to try again."
            raise  # to the error funnel, which logs and shows it
        finally:
            self.workspace_loaded.publish(None)
        counts = self.workspace.counts()
        self.write_log("loaded " + ", ".join(f"{n} {state}" for state, n in counts.items()))
        if self.workspace.paused:
            self.write_log(self.workspace.paused, kind="warning")
            self.notify(
                self.workspace.paused, title="Xero is paused", severity="warning", timeout=15
            )
        damaged = self.session.damage()
        for report in damaged[self._damage_reported :]:
            self.write_log(report, kind="warning")
            self.notify(report, title="A profile file was damaged", severity="warning", timeout=15)
        self._damage_reported = len(damaged)

    def start_push(self, bill_ids: Sequence[str], push: Pusher | None = None) -> bool:
        """Push these bills in the background (or run `push`, another kind of push over them,
        such as re-coding); False (and nothing starts) if a push is running."""
        workspace = self.workspace
        if self.pushing or workspace is None:
            return False
        chosen = list(bill_ids) if push else pushing.pushable(workspace, bill_ids)
        self.push_progress = (0, len(chosen))  # set now, so a second request sees it at once
        self.push_started = time.monotonic()
        self.bills_changed.publish(set(chosen))

        async def pushing_now() -> Done:
            try:
                if push is None:
                    summary = await pushing.push(workspace, chosen, self._queue_event)
                else:
                    summary = await push(self._queue_event)
            finally:
                self.push_progress = None
                self.push_started = None
                self._flush_events()
            return Done(
                "Push finished",
                summary.line(),
                changed=frozenset(chosen),
                warning=bool(summary.failed),
            )

        self.perform("Pushing", pushing_now, group="push")
        return True

    def check_connections(self) -> None:
        async def check() -> None:
            self.connections_changed.publish(None)
            self.connections_changed.publish(await status(self.session))

        self.perform("Checking the connections", check, group="connections")

    def sign_in(self, service: str) -> None:
        """The paste-back sign-in, from the console; then the bills are read again."""
        if self.pushing:
            self.notify("Wait for the push to finish before signing in again.", severity="warning")
            return

        async def signing_in() -> Done:
            connected = await sign_in(self.session, SignInRequest(service), DialogPrompts(self))
            if connected is None:
                return Done("Sign-in", "Cancelled: the connection is as it was.")
            if self.workspace is not None:
                await self.workspace.aclose()
                self.workspace = None
            self.check_connections()
            self.load_workspace()
            said = connected.describe()
            return Done("Signed in", said, (LogLine(said),), warning=not connected.ok)

        self.perform("Signing in", signing_in, group="sign-in")

    def confirm_trial(self) -> None:
        async def confirm(workspace: Workspace) -> Done:
            await workspace.confirm_trial()
            said = "pushing to a demo or trial organisation was confirmed"
            return Done("Confirmed", said.capitalize() + ".", (LogLine(said),))

        self.perform_on_workspace("Saving", confirm, group="trial")

    # -- log --------------------------------------------------------------------------------------

    def write_log(self, message: str, kind: str = "info") -> None:
        """A line of the app's own (not the engine's) in the Push log, in the same format."""
        stamp = self.session.clock.now().astimezone().strftime("%H:%M:%S")
        line = f"{stamp} {kind:<8} {message}"
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

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every action of the view in front and the app's
        by its name, then Textual's own."""
        for key in own_keys(screen):
            binding = key.binding
            yield SystemCommand(
                key.text,
                f"key: {self.get_key_display(binding)}",
                partial(self.run_action, binding.action, key.namespace),
            )
        yield from super().get_system_commands(screen)

    def action_help(self) -> None:
        self.push_screen(HelpDialog(self.screen))

    def open_mapping_row(self, key: MappingKey) -> None:
        """Switch to the Mapping view with the cursor on this row."""
        self.mapping_focus = key
        self.switch_mode("mapping")
