"""The dashboard over the sim: panels, selection filtering, detail, filter, help, window."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import Mode, table
from scalectl.tui.panels import KeyedTable, Panel
from scalectl.tui.screens.detail import GroupDetailScreen
from scalectl.tui.screens.help import HelpScreen
from tests.tui.conftest import open_sim_console, wait_for, wait_for_data

SHOP = {"web", "api", "checkout", "search", "cart", "worker"}


async def test_dashboard_shows_the_shop(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert set(groups.keys) >= SHOP
        header = str(app.query_one("#header", Static).render())
        assert "sim/sim-local-1" in header and "2026-11-10" in header and "[RW]" in header
        for panel in app.query(Panel):
            assert "0s ago" in str(panel.border_subtitle), panel.id
        # every panel has data for the selected group, and the charts drew the metric
        assert app.selected == groups.keys[0]
        assert app.query_one("#alarms", KeyedTable).row_count > 0
        assert app.query_one("#activity", KeyedTable).row_count > 0
        assert app.chart is not None and app.chart.metric is not None
        assert app.chart.metric.points


async def test_selection_filters_the_other_panels(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        groups.move_cursor(row=groups.keys.index("cart"))
        await wait_for(pilot, lambda: app.selected == "cart", "cart selected")
        await wait_for(pilot, lambda: app.chart is not None and app.chart.group == "cart", "chart")
        snapshot = app.snapshot
        assert snapshot is not None
        alarms = {a.id: a for a in snapshot.alarms.value or []}
        shown = app.query_one("#alarms", KeyedTable).keys
        assert shown and all(alarms[key].group == "cart" for key in shown)
        activities = {a.id: a for a in snapshot.activity.value or []}
        assert all(
            activities[k].group == "cart" for k in app.query_one("#activity", KeyedTable).keys
        )
        assert "cart" in str(app.query_one("#alarms-panel", Panel).border_title)


async def test_enter_opens_the_group_with_its_instances(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GroupDetailScreen), "detail screen")
        screen = app.screen
        assert isinstance(screen, GroupDetailScreen)
        await wait_for(pilot, lambda: screen.group is not None, "instances")
        expected = {
            i.id for i in open_sim_console(read_only=True).reader.get_group("web").instances
        }
        assert set(screen.query_one(KeyedTable).keys) == expected
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, GroupDetailScreen), "back")


async def test_slash_filters_groups_and_escape_clears(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("slash", "c", "a")
        groups = app.query_one("#groups", KeyedTable)
        assert groups.keys == ["cart"]
        await pilot.press("enter")  # keep the filter, back to the table
        assert groups.has_focus and groups.keys == ["cart"]
        await pilot.press("slash", "backspace", "backspace", "!", "w", "e", "b")  # ! inverts
        assert "web" not in groups.keys and "api" in groups.keys
        await pilot.press("enter", "escape")
        assert set(groups.keys) == set(SHOP) | (set(groups.keys) - SHOP)
        assert app.pattern == ""


async def test_help_comes_from_the_key_table(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        from textual.widgets import DataTable

        rows = app.screen.query_one(DataTable).row_count
        assert rows == len(table(Mode.NORMAL))
        await pilot.press("escape")


async def test_window_key_changes_the_chart_window(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        generation = app.generation
        await pilot.press("w")
        assert app.generation == generation + 1  # replies for the old window are dropped
        await wait_for(pilot, lambda: app.chart is not None, "chart for the new window")
        assert app.chart is not None and app.chart.window == app.window
        assert app.window.total_seconds() == 6 * 3600


async def test_palette_lists_commands_and_groups(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Scale" in titles and "Rules" in titles
        assert "Go to group cart" in titles and "Theme: scalectl-light" in titles
