"""The TUI on a Tencent profile (pilot), through the real SDK against the sim served as Tencent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tencent_fixtures import sim_served_as_tencent

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable
from tests.tui.conftest import wait_for_data


@pytest.fixture
def tc(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with sim_served_as_tencent(home, monkeypatch) as endpoint:
        yield endpoint


async def test_dashboard_runs_on_a_tencent_profile(tc: str, home: Path) -> None:
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), "tc")
    app = ScalectlApp(
        console=open_console(profile, paths),
        profile_name="tc",
        provider="tencent",
        region="ap-guangzhou",
        interval=3600.0,
        themes_dir=home / "themes",
        clock=lambda: 1000.0,
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert {"web", "api", "checkout"} <= set(groups.keys)
        assert app.query_one("#alarms", KeyedTable).row_count > 0
        assert app.chart is not None and app.chart.metric is not None
