"""`axpush` (the console on a profile) and `axpush demo`."""

from __future__ import annotations

from tui.cli import EXIT_OK, EXIT_USAGE, fail
from tui.store.profile import Profile


def run_console(profile: Profile) -> int:
    from tui.console.app import AxpushApp
    from tui.service.workspace import Workspace

    async def opener() -> Workspace:
        return await Workspace.connect(profile)

    AxpushApp(opener, profile=profile, context=f"profile {profile.root.name}").run()
    return EXIT_OK


def run_demo(seed: int, faults: str) -> int:
    from tui.console.app import AxpushApp
    from tui.sandbox.faults import FaultSpecError, parse
    from tui.service.demo import running_demo
    from tui.service.workspace import Workspace

    try:
        parse(faults)
    except FaultSpecError as error:
        return fail(f"--faults: {error}", EXIT_USAGE)
    with running_demo(seed, faults=faults) as demo:

        async def opener() -> Workspace:
            return await Workspace.connect(demo.profile)

        AxpushApp(
            opener, profile=demo.profile, context=f"demo sandbox {demo.server.base_url}"
        ).run()
    return EXIT_OK
