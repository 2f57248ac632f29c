"""The TUI on real cloud adapters (pilot tests): AWS through boto3 against a moto server, Huawei
through its SDK against the sim served with Huawei's wire protocol. The panels fill from what the
server holds, not from the sim's reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalectl.config import Profile, resolve_paths
from scalectl.connect import open_console
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable
from tests.providers.huawei_fixtures import Emulated, huawei_profile, running_emulator
from tests.tui.conftest import FIXED_CLOCK, wait_for, wait_for_data

pytest_plugins = ["tests.providers.conftest_aws"]


def _app(profile: Profile) -> ScalectlApp:
    return ScalectlApp(
        console=open_console(profile, resolve_paths()),
        profile_name=profile.name,
        provider=profile.provider,
        region=profile.region,
        interval=3600.0,  # poll on demand only
        clock=lambda: FIXED_CLOCK,
    )


async def test_dashboard_runs_on_the_aws_profile(
    aws_profile: Profile, aws_shop: dict[str, Any]
) -> None:
    app = _app(aws_profile)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert set(groups.keys) == set(aws_shop["groups"])
        assert "aws/us-east-1" in str(app.query_one("#header").render())
        # web's rules come from moto: target tracking, predictive and scheduled
        assert groups.get_row("web")[5].plain == "pred,sched,tt"
        groups.move_cursor(row=groups.keys.index("web"))
        await wait_for(pilot, lambda: app.chart is not None and app.chart.group == "web", "web")
        chart = app.chart
        assert chart is not None and chart.metric is not None
        assert [p.value for p in chart.metric.points][-3:] == [43.0, 42.0, 41.0]
        assert chart.target == 50.0
        # alarms of the selected group, named as CloudWatch names them
        alarms = app.query_one("#alarms", KeyedTable)
        await wait_for(pilot, lambda: alarms.row_count == 2, "web's two alarms")
        snapshot = app.snapshot
        assert snapshot is not None and snapshot.alarms.value is not None
        names = {a.name for a in snapshot.alarms.value}
        assert set(aws_shop["alarms"]) <= names
        groups.move_cursor(row=groups.keys.index("api"))
        await wait_for(
            pilot,
            lambda: (
                {str(alarms.get_row(k)[1].plain) for k in alarms.keys}
                == {"api-cpu-high", "api-cpu-low"}
            ),
            "api's alarms",
        )
        balancers = app.query_one("#balancers", KeyedTable)
        assert any(balancers.get_row(k)[0].plain == "alb-shop" for k in balancers.keys)


@pytest.fixture
def huawei(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    with running_emulator(monkeypatch, tmp_path) as emulated:
        yield emulated


async def test_dashboard_runs_on_a_huawei_profile(huawei: Emulated) -> None:
    expected = {g.name for g in huawei.reader.list_groups()}
    app = _app(huawei_profile(huawei.endpoint))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert set(groups.keys) == expected
        assert "huawei/cn-north-4" in str(app.query_one("#header").render())
        assert app.query_one("#alarms", KeyedTable).row_count > 0
        assert app.chart is not None and app.chart.metric is not None
        assert app.chart.metric.points
        assert huawei.calls()  # the SDK really went through the emulator
