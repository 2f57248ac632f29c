"""The global options a subcommand also takes: ``scalectl groups list -o json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from scalectl.cli.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        app = ctx.find_object(AppContext)
        if app is not None:
            setattr(app, attribute, value)

    return callback


def global_options(command: F) -> F:
    """Let the global options also follow the subcommand: ``scalectl groups list -o json``."""
    options = [
        click.option(
            "-o",
            "--output",
            type=click.Choice(["table", "json", "yaml"]),
            default=None,
            expose_value=False,
            callback=_set("output"),
            help="Output format for data.",
        ),
        click.option(
            "--profile",
            default=None,
            metavar="NAME",
            expose_value=False,
            callback=_set("profile_name"),
            help="Profile from the config.",
        ),
        click.option(
            "--read-only",
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set("read_only"),
            help="Refuse every change.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
