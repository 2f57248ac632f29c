"""What every command shares: the global options, and the config/profile/console made on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from scalectl.config import Paths, Profile, Settings
    from scalectl.core.console import Console


F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    profile_name: str | None
    output: str
    read_only: bool
    config: str | None
    lang: str | None
    debug: bool
    _console: Console | None = field(default=None, repr=False)

    @cached_property
    def paths(self) -> Paths:
        from scalectl.config import resolve_paths

        return resolve_paths(self.config)

    @cached_property
    def settings(self) -> Settings:
        from scalectl.config import load_settings

        return load_settings(self.paths)

    def profile(self, *, read_only: bool = False) -> Profile:
        from scalectl.config import pick_profile

        return pick_profile(self.settings, self.profile_name, read_only=self.read_only or read_only)

    def console(self, *, read_only: bool = False) -> Console:
        if self._console is None:
            from scalectl.connect import open_console

            self._console = open_console(self.profile(read_only=read_only), self.paths)
        return self._console

    def close(self) -> None:
        if self._console is not None:
            self._console.reader.close()
            self._console = None


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
