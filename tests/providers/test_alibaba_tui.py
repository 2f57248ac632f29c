"""The TUI on an Alibaba profile: the dashboard fills from ``sim serve --api alibaba`` through
the real SDK (pilot test)."""

from __future__ import annotations

from alibaba_fixtures import *  # noqa: F403
from alibaba_fixtures import AliWorld

from scalectl.config import resolve_paths
from scalectl.connect import open_console
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable
from tests.tui.conftest import wait_for_data

SHOP = {"web", "api", "checkout", "search", "cart", "worker"}


async def test_dashboard_runs_on_the_alibaba_profile(ali: AliWorld) -> None:
    console = open_console(ali.profile, resolve_paths())
    app = ScalectlApp(
        console=console,
        profile_name=ali.profile.name,
        provider="alibaba",
        region="cn-hangzhou",
        interval=3600.0,  # poll on demand only
        clock=lambda: 1000.0,
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert set(groups.keys) == SHOP
        assert app.query_one("#alarms", KeyedTable).row_count > 0
        assert app.chart is not None and app.chart.metric is not None
        assert app.chart.metric.points
