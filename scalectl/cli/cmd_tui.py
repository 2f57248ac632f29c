"""The TUI commands: bare ``scalectl`` and ``scalectl monitor`` (read-only, alarms first)."""

from __future__ import annotations

import click

from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.start_tui import run_tui

pass_app = click.make_pass_decorator(AppContext)


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
