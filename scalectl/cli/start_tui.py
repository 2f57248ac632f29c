"""Starting the TUI from the command line (bare ``scalectl``, ``scalectl tui``, ``monitor``).

No click here: bare ``scalectl`` comes through without the command line.
"""

from __future__ import annotations

from scalectl.cli.context import AppContext


def run_tui(app: AppContext, *, monitor: bool) -> None:
    from scalectl.tui.collector import hold_during_startup

    hold_during_startup()  # until the first frame: start-up makes no garbage worth a collection
    from scalectl.tui.app import run

    run(app, monitor=monitor)
