"""Unchanged data is not re-rendered: a refresh that brings nothing new writes no cell, repaints
no table and redraws no chart; one that brings changes repaints each changed table once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from rich.text import Text
from textual.widget import Widget

from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable, Memo, Panel
from tests.tui.conftest import wait_for, wait_for_data


@pytest.fixture
def repaints(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Refreshes that reach Textual, per widget id (a KeyedTable's deferred ones are not)."""
    counts: Counter[str] = Counter()
    refresh = Widget.refresh

    def counting(self: Widget, *regions: Any, **kwargs: Any) -> Any:
        counts[self.id or type(self).__name__] += 1
        return refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counting)
    yield counts


async def _poll(app: ScalectlApp, pilot: Any) -> None:
    polls = app.polls
    app.action_refresh()
    await wait_for(pilot, lambda: app.polls > polls, "a poll")


async def test_a_refresh_with_nothing_new_renders_nothing(
    make_app: Callable[..., ScalectlApp],
    repaints: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.pause()
        repaints.clear()
        await _poll(app, pilot)
        snapshot = app.snapshot
        assert snapshot is not None
        app.apply(snapshot)  # whatever arrived since (a chart) is drawn...
        drawn: list[None] = []
        monkeypatch.setattr(app, "draw_charts", lambda: drawn.append(None))
        app.apply(snapshot)  # ...and the same snapshot again draws nothing
        assert not drawn
        tables = ("groups", "balancers", "alarms", "activity")
        assert all(app.query_one(f"#{t}", KeyedTable).updates == 0 for t in tables)
        assert not {t: repaints[t] for t in tables if repaints[t]}
        # The fixed clock: the panels' age lines and titles are the same text, not set again.
        assert not {p.id: repaints[p.id] for p in app.query(Panel) if p.id and repaints[p.id]}


async def test_changed_data_repaints_each_table_once(
    make_app: Callable[..., ScalectlApp], repaints: Counter[str]
) -> None:
    from scalectl_sim.provider import SimControl

    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.pause()
        control = SimControl(app.core.reader.profile)  # type: ignore[attr-defined]
        control.advance(timedelta(minutes=1))
        control.close()
        repaints.clear()
        await _poll(app, pilot)
        groups = app.query_one("#groups", KeyedTable)
        assert groups.updates > 1  # several cells changed...
        assert repaints["groups"] == 1  # ...and the table repainted once for them


async def test_keyed_table_syncs_from_changed_inputs_only(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        table = app.query_one("#activity", KeyedTable)
        built: list[str] = []

        def rows(label: str) -> Callable[[], list[tuple[str, tuple[Text, ...]]]]:
            def make() -> list[tuple[str, tuple[Text, ...]]]:
                built.append(label)
                cells = tuple(Text(f"{label}{n}") for n in range(5))
                return [("only", cells)]

            return make

        source = [object()]
        table.sync_from((source, "a"), rows("a"))
        table.sync_from((list(source), "a"), rows("a"))  # equal inputs: nothing is built
        assert built == ["a"] and table.updates == 0 and table.keys == ["only"]
        table.sync_from((source, "b"), rows("b"))
        assert built == ["a", "b"] and table.updates == 5
        assert str(table.get_row("only")[0]) == "b0"
        table.sync([])  # rows from elsewhere: the next sync_from builds again
        table.sync_from((source, "b"), rows("b"))
        assert built == ["a", "b", "b"] and table.keys == ["only"]


def test_memo_says_whether_inputs_changed() -> None:
    memo = Memo()
    shared = [object(), object()]
    assert memo.changed((shared, 1))
    assert not memo.changed((list(shared), 1))  # equal: the same objects in a new list
    assert memo.changed((shared, 2))
    memo.forget()
    assert memo.changed((shared, 2))
