"""Issue 8, point 1 (TUI): under a provider fault the dashboard keeps the last good data, says it is
stale and why, and recovers by itself when the fault ends (its own re-armed poll, no key)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.i18n import set_lang
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable, Panel
from tests.reliability.worlds import Served, serve
from tests.tui.conftest import wait_for, wait_for_data


@pytest.fixture
def served(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    set_lang("en")
    with serve("alibaba", home, monkeypatch) as world:
        yield world


def _app(profile_name: str, clock: list[float], interval: float) -> ScalectlApp:
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), profile_name)
    return ScalectlApp(
        console=open_console(profile, paths),
        profile_name=profile_name,
        provider=profile.provider,
        region=profile.region,
        interval=interval,
        clock=lambda: clock[0],
    )


@pytest.mark.parametrize("fault", ["5xx", "throttle", "malformed", "auth"])
async def test_tui_shows_stale_data_then_recovers_by_itself(served: Served, fault: str) -> None:
    clock = [1000.0]
    app = _app("alibaba", clock, interval=0.05)  # its own timer re-polls; backoff stays small
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        before = set(groups.keys)
        assert before
        served.inject(fault, count=-1)
        await wait_for(pilot, lambda: app.failures >= 2, "two failed polls")
        panel = app.query_one("#groups-panel", Panel)
        # Stale, not blank: the same rows, an error state naming the failure, a retry time.
        assert set(groups.keys) == before
        assert panel.state.error and "alibaba" in panel.state.error
        assert panel.has_class("-error")
        assert "stale" in str(panel.border_subtitle).lower()
        served.clear()
        clock[0] += 5.0
        await wait_for(pilot, lambda: app.failures == 0, "a good poll after the fault", 1500)
        await wait_for(pilot, lambda: not panel.state.error, "the error state cleared")
        assert not panel.has_class("-error")
        assert set(groups.keys) == before
