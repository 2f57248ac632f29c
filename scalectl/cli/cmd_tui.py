"""The TUI commands: bare ``scalectl`` and ``scalectl monitor`` (read-only, alarms first)."""

from __future__ import annotations

import click

from scalectl.cli.context import AppContext, global_options

pass_app = click.make_pass_decorator(AppContext)


def run_tui(app: AppContext, *, monitor: bool) -> None:
    from scalectl.tui.collector import hold_during_startup

    hold_during_startup()  # until the first frame: start-up makes no garbage worth a collection
    from scalectl.tui.app import run

    run(app, monitor=monitor)


@click.command()
@global_options
@pass_app
def tui(app: AppContext) -> None:
    """Open the TUI (the same as bare `scalectl`)."""
    run_tui(app, monitor=False)


@click.command()
@global_options
@pass_app
def monitor(app: AppContext) -> None:
    """The read-only on-call view: alarms first, no way to change anything."""
    run_tui(app, monitor=True)
