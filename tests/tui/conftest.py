"""TUI fixtures: the app over the real sim (paused, seed 42), a fixed clock, English by default."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.core.console import Console
from scalectl.i18n import set_lang
from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import Mode

FIXED_CLOCK = 1000.0


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A blinking cursor would make every snapshot differ; the language is global state.
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    set_lang("en")
    yield
    set_lang("en")


def open_sim_console(*, read_only: bool = False) -> Console:
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), None, read_only=read_only)
    return open_console(profile, paths)


@pytest.fixture
def make_app(paused_sim: Path) -> Callable[..., ScalectlApp]:
    def build(
        *,
        mode: Mode = Mode.NORMAL,
        read_only: bool = False,
        lang: str = "en",
        console: Console | None = None,
        accent: str | None = None,
        theme: str = "scalectl-dark",
        clock: Callable[[], float] = lambda: FIXED_CLOCK,
        interval: float = 3600.0,  # tests poll on demand (refresh), never on a timer
    ) -> ScalectlApp:
        set_lang(lang)
        return ScalectlApp(
            console=console or open_sim_console(read_only=read_only or mode is Mode.MONITOR),
            profile_name="sim",
            provider="sim",
            region="sim-local-1",
            mode=mode,
            accent=accent,
            interval=interval,
            theme=theme,
            themes_dir=paused_sim / "themes",
            clock=clock,
        )

    return build


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, tries: int = 400
) -> None:
    """Let the app run until ``predicate`` holds (workers are real threads: give them turns)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for: {what}")


def _source_tables_mounted(app: ScalectlApp) -> bool:
    """The alarms, balancers and activity tables mount with their first rows (after the paint)."""
    tables = [t for s in ("alarms", "balancers", "activity") for t in app.main.query(f"#{s}")]
    return len(tables) == 3 and all(table.is_mounted for table in tables)


async def wait_for_data(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, ScalectlApp)
    # A full poll, not only the quick first one (groups alone): the chart can come between them.
    await wait_for(
        pilot,
        lambda: (
            app.polls > 0
            and app.snapshot is not None
            and app.chart is not None
            and _source_tables_mounted(app)
        ),
        "first data",
    )
    await pilot.pause()
