"""SVG snapshots of the main screens: sim seed 42 paused at its start, fixed clock, 120x36.

Update on purpose with ``uv run pytest tests/tui/test_snapshots.py --snapshot-update`` and look
at the diff report before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import Mode
from scalectl.tui.panels import KeyedTable
from scalectl.tui.screens.detail import GroupDetailScreen
from scalectl.tui.screens.rules import PlanModal, RulesScreen
from scalectl.tui.screens.scale import ScaleModal
from scalectl.tui.screens.whatif import WhatIfPanel
from tests.tui.conftest import wait_for, wait_for_data

SIZE = (120, 36)
Compare = Callable[..., bool]


async def _ready(pilot: Pilot[Any]) -> None:
    await wait_for_data(pilot)


def test_dashboard(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_ready)


def test_dashboard_100_columns(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=_ready)


def test_dashboard_chinese(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    assert snap_compare(make_app(lang="zh"), terminal_size=SIZE, run_before=_ready)


def test_dashboard_light(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    assert snap_compare(make_app(theme="scalectl-light"), terminal_size=SIZE, run_before=_ready)


def test_monitor_production(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app(mode=Mode.MONITOR, accent="red", theme="scalectl-high-contrast")
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_scale_modal(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    async def scale(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ScaleModal), "modal")
        modal = pilot.app.screen
        assert isinstance(modal, ScaleModal)
        modal.query_one("#target", Input).value = "+4"
        modal.query_one("#reason", Input).value = "flash sale at 20:00"
        await wait_for(pilot, lambda: modal.plan is not None, "verdict")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=scale)


def test_group_detail(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    async def detail(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, GroupDetailScreen), "detail")
        screen = pilot.app.screen
        assert isinstance(screen, GroupDetailScreen)
        await wait_for(pilot, lambda: screen.group is not None, "instances")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=detail)


def test_rules_plan(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    async def plan(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RulesScreen), "rules")
        table = pilot.app.screen.query_one(KeyedTable)
        await wait_for(pilot, lambda: "cpu-55" in table.keys, "rules loaded")
        table.move_cursor(row=table.keys.index("cpu-55"))
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PlanModal), "plan")
        panel = pilot.app.screen.query_one(WhatIfPanel)
        await wait_for(pilot, lambda: panel.has_class("-ready"), "what-if")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=plan)


def test_help(snap_compare: Compare, make_app: Callable[..., ScalectlApp]) -> None:
    async def help_(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=help_)
