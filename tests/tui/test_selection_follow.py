"""The detail panels follow a moved cursor once it rests: the frame that moves the cursor paints
the cursor alone, and a burst of keys redraws the panels once, for the group it stops on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Static

from scalectl.tui.app import ScalectlApp
from scalectl.tui.charts import MetricChart
from scalectl.tui.live import ChartArrived, Outcome, fetch_chart
from scalectl.tui.panels import KeyedTable, Panel
from tests.tui.conftest import wait_for, wait_for_data

DETAIL_PANELS = ("#alarms-panel", "#balancers-panel", "#activity-panel")


def titled(app: ScalectlApp, group: str) -> bool:
    """Every detail panel is titled with ``group`` (refilter titles them with the selection)."""
    return all(
        str(app.query_one(p, Panel).border_title).endswith(f"· {group}") for p in DETAIL_PANELS
    )


def shows(app: ScalectlApp, group: str) -> bool:
    """The alarms and activity tables hold ``group``'s rows and no other group's."""
    snapshot = app.snapshot
    assert snapshot is not None
    alarms = {a.id: a.group for a in snapshot.alarms.value or []}
    activity = {a.id: a.group for a in snapshot.activity.value or []}
    alarm_keys = app.query_one("#alarms", KeyedTable).keys
    activity_keys = app.query_one("#activity", KeyedTable).keys
    return (
        titled(app, group)
        and all(alarms[k] == group for k in alarm_keys)
        and all(activity[k] == group for k in activity_keys)
        and set(alarm_keys) == {k for k, g in alarms.items() if g == group}
    )


def count_refilters(app: ScalectlApp, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The selection each refilter ran for, in order."""
    calls: list[str | None] = []
    refilter = app.refilter

    def counting() -> None:
        calls.append(app.selected)
        refilter()

    monkeypatch.setattr(app, "refilter", counting)
    return calls


async def test_keys_move_the_cursor_and_the_panels_follow_the_last_group(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        await pilot.press("down", "down", "down")
        last = groups.keys[3]
        assert groups.current_key == last and app.selected == last
        await wait_for(pilot, lambda: shows(app, last), "the panels show the last group")
        await wait_for(pilot, lambda: app.chart is not None and app.chart.group == last, "chart")
        assert str(app.query_one("#charts-panel", Panel).border_title).endswith(f"· {last}")


async def test_a_burst_of_selections_refilters_once_for_the_last(
    make_app: Callable[..., ScalectlApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        first, *burst = app.query_one("#groups", KeyedTable).keys[:4]
        assert app.selected == first and titled(app, first)
        calls = count_refilters(app, monkeypatch)
        for name in burst:  # as a held arrow key selects them: no turn for the app between
            app.select(name, follow_later=True)
        assert app.selected == burst[-1]
        assert not calls and titled(app, first)  # the panels wait for the cursor to rest
        snapshot = app.snapshot
        assert snapshot is not None
        app.apply(snapshot)  # a refresh landing meanwhile leaves them to the debounce too
        assert not calls and titled(app, first)
        await wait_for(pilot, lambda: shows(app, burst[-1]), "the panels show the last group")
        await pilot.pause()
        assert calls == [burst[-1]]


async def test_a_cursor_moved_ahead_of_its_event_is_followed_by_a_refresh(
    make_app: Callable[..., ScalectlApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        first, target = groups.keys[0], groups.keys[2]
        calls = count_refilters(app, monkeypatch)
        groups.move_cursor(row=2)  # its RowHighlighted is queued, not handled yet
        snapshot = app.snapshot
        assert snapshot is not None
        app.apply(snapshot)
        # The refresh follows the cursor: it does not redraw the group the cursor just left.
        assert app.selected == target and not calls and titled(app, first)
        await wait_for(pilot, lambda: shows(app, target), "the panels show the cursor's group")
        await pilot.pause()
        assert calls == [target]


async def test_a_group_chosen_by_name_is_shown_at_once_and_kept_by_a_refresh(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert groups.current_key != "worker"
        app.select("worker")
        assert shows(app, "worker")  # no debounce: it is not the cursor moving
        snapshot = app.snapshot
        assert snapshot is not None
        app.apply(snapshot)
        assert app.selected == "worker" and shows(app, "worker")


async def test_a_chart_arriving_first_brings_the_panels_with_it(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        snapshot = app.snapshot
        assert snapshot is not None
        app.select("cart", follow_later=True)
        chart = fetch_chart(
            app.core.reader,
            "cart",
            app.window,
            snapshot.rules.value or [],
            snapshot.alarms.value or [],
        )
        app.on_chart_arrived(ChartArrived(app.generation, Outcome(chart)))
        # Never the new group's chart over the old group's panels.
        assert shows(app, "cart")
        assert str(app.query_one("#charts-panel", Panel).border_title).endswith("· cart")


async def test_the_same_charts_are_not_drawn_twice(
    make_app: Callable[..., ScalectlApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        shown: list[Any] = []
        show = MetricChart.show

        def counting(self: MetricChart, data: Any, now: Any) -> None:
            shown.append(data.group if data is not None else None)
            show(self, data, now)

        monkeypatch.setattr(MetricChart, "show", counting)
        app.draw_charts()
        app.draw_charts()
        assert shown == []  # what is on screen already
        app.theme = "scalectl-light"  # other colours: drawn again, once
        await pilot.pause()
        assert shown == [app.selected]


async def test_an_unchanged_header_is_not_set_again(
    make_app: Callable[..., ScalectlApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        header = app.query_one("#header", Static)
        updates: list[str] = []
        update = Static.update

        def counting(self: Static, *args: Any, **kwargs: Any) -> None:
            if self is header:
                updates.append(str(args[0]))
            update(self, *args, **kwargs)

        monkeypatch.setattr(Static, "update", counting)
        app.tick()  # every second: the fixed clock shows the same text
        app.render_header()
        assert updates == []
        app.pattern = "ca"
        app.render_header()
        assert len(updates) == 1 and "/ca" in updates[0]
