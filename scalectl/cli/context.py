"""What every command shares: the global options' values, and the config, profile and console
made on demand (no click here: bare ``scalectl`` starts the TUI without it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalectl.config import Paths, Profile, Settings
    from scalectl.core.console import Console


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
