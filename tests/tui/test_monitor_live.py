"""The monitor cannot mutate; live data: keyed updates, generations, stale state, recovery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from scalectl.core.errors import ErrorKind, ProviderError, RefusedError
from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import MUTATING_ACTIONS, Mode, table
from scalectl.tui.live import DataArrived
from scalectl.tui.panels import KeyedTable, Panel
from scalectl.tui.screens.scale import ScaleModal, ScaleRequest
from tests.tui.conftest import open_sim_console, wait_for, wait_for_data


async def test_monitor_has_no_mutating_key_or_command(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app(mode=Mode.MONITOR)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        assert not any(c.mutating for c in table(Mode.MONITOR))
        for action in MUTATING_ACTIONS:
            assert app.check_action(action, ()) is False
        bound = {b.action for _key, b in app._bindings}
        assert not bound & MUTATING_ACTIONS
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert not titles & {"Scale", "Rules", "Plan file"}
        await pilot.press("s", "r", "R")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]  # nothing opened
        # alarms first: the alarms panel is the first panel, and ALARM rows lead
        panels = list(app.query(Panel))
        assert panels[0].id == "alarms-panel"
        snapshot = app.snapshot
        assert snapshot is not None
        states = {a.id: a.state.value for a in snapshot.alarms.value or []}
        order = [states[k] for k in app.query_one("#alarms", KeyedTable).keys]
        assert order == sorted(order, key=lambda s: {"alarm": 0, "insufficient_data": 1}.get(s, 2))
        assert "alarm" in order  # the shop has alarms firing at this seed and clock


async def test_a_forged_scale_is_refused_by_the_console(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app(mode=Mode.MONITOR)
    before = open_sim_console(read_only=True).reader.get_group("web").desired
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await wait_for_data(pilot)
        # Bypass every UI gate: open the modal by hand and send the request as if confirmed.
        group = app.selected_group()
        assert group is not None
        app.push_screen(ScaleModal(group))
        await pilot.pause()
        app.scale_requested(ScaleRequest("web", "+5", "forged", honor_cooldown=False))
        await wait_for(pilot, lambda: bool(app._notifications), "refusal toast")
        message = next(iter(app._notifications)).message
        assert "read-only" in message
    assert open_sim_console(read_only=True).reader.get_group("web").desired == before
    with pytest.raises(RefusedError):
        app.core.scale("web", "+5", confirmed=True)


async def test_only_changed_cells_are_written_and_the_cursor_stays(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        groups = app.query_one("#groups", KeyedTable)
        groups.move_cursor(row=groups.keys.index("search"))
        await wait_for(pilot, lambda: app.selected == "search", "search selected")
        polls = app.polls
        app.action_refresh()
        await wait_for(pilot, lambda: app.polls > polls, "second poll")
        assert groups.updates == 0  # same data: not one cell rewritten
        from scalectl_sim.provider import SimControl

        control = SimControl(app.core.reader.profile)  # type: ignore[attr-defined]
        control.advance(timedelta(minutes=30))
        polls = app.polls
        app.action_refresh()
        await wait_for(pilot, lambda: app.polls > polls, "poll after advance")
        cells = groups.row_count * len(groups.columns)
        assert 0 < groups.updates < cells
        assert groups.current_key == "search"


async def test_replies_from_an_old_generation_are_dropped(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        current = app.snapshot
        assert current is not None
        stale = replace(current, generation=app.generation - 1, clock=None)
        app._polling = True
        app.post_message(DataArrived(stale))
        await wait_for(pilot, lambda: not app._polling, "message handled")
        assert app.snapshot is current


class FlakyReader:
    """The sim's reader with a switch that makes every call fail like an unavailable cloud."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failing = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.failing:
                raise ProviderError(
                    ErrorKind.UNAVAILABLE, "503 Service Unavailable", provider="sim", code="503"
                )
            return attribute(*args, **kwargs)

        return call


async def test_a_failing_provider_shows_stale_then_recovers(
    make_app: Callable[..., ScalectlApp],
) -> None:
    from scalectl.core.console import Console

    base = open_sim_console(read_only=True)
    flaky = FlakyReader(base.reader)
    console = Console(
        profile="sim",
        reader=flaky,
        writer=None,
        audit=base.audit,
        actor=base.actor,
        read_only=True,
    )
    now = [1000.0]
    app = make_app(console=console, clock=lambda: now[0], interval=2.0)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        rows = app.query_one("#groups", KeyedTable).row_count
        flaky.failing = True
        now[0] += 5
        polls = app.polls
        app.action_refresh()
        await wait_for(pilot, lambda: app.polls > polls, "failed poll")
        panel = app.query_one("#groups-panel", Panel)
        assert panel.has_class("-error")
        subtitle = str(panel.border_subtitle)
        assert "STALE 5s ago" in subtitle and "503 Service Unavailable" in subtitle
        assert "retry in 2s" in subtitle
        assert app.query_one("#groups", KeyedTable).row_count == rows  # stale, never blank
        assert app.retry_delay() == 2.0
        flaky.failing = False
        polls = app.polls
        app.action_refresh()
        await wait_for(pilot, lambda: app.polls > polls, "good poll")
        assert not panel.has_class("-error") and "0s ago" in str(panel.border_subtitle)
        assert app.failures == 0
