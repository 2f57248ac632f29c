"""The dashboard's reads on a paused clock come from the rows written beside the world at save:
the same objects the world gives, without parsing the world, and unchanged rows keep their
objects from one read to the next."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from scalectl_sim import convert
from scalectl_sim.clock import at_minute
from scalectl_sim.provider import SimControl, SimProvider, SimReader, SimWriter, db_path
from scalectl_sim.store import SimStore, WorldSpec
from scalectl_sim.tables import RowCache
from scalectl_sim.world import World

from scalectl.config import Profile
from scalectl.core.errors import NotFoundError
from scalectl.core.model import Group

PROFILE = Profile(name="tables", provider="sim", speed=0, region="sim-local-1")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim-tables") / "sim.db"
    store = SimStore(path, WorldSpec("shop", 42))
    store.ensure()
    store.close()
    return path


@pytest.fixture
def sim(home: Path, template: Path) -> Iterator[tuple[SimReader, SimWriter, SimControl]]:
    target = db_path(PROFILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, target)
    reader = SimProvider().open_reader(PROFILE)
    writer = SimProvider().open_writer(PROFILE, reader)
    control = SimControl(PROFILE)
    # Alarms in every state, activities in progress, a sale: the rows have something to carry.
    writer.set_desired("cart", 6, honor_cooldown=False, reason="test")
    control.flash_sale(3.0, timedelta(minutes=30), timedelta(minutes=5), group="checkout")
    control.advance(timedelta(minutes=20))
    control.fail_group("web", 2)
    yield reader, writer, control
    control.close()
    reader.close()


def _world(reader: SimReader) -> World:
    """The world itself, as the clock-running path reads it."""
    return reader.store.sync(0)


def test_paused_reads_equal_what_the_world_gives(
    sim: tuple[SimReader, SimWriter, SimControl],
) -> None:
    reader, _, _ = sim
    world = _world(reader)
    groups = [convert.to_group(world, g, with_instances=False) for g in world.groups.values()]
    assert reader.list_groups() == groups
    assert any(g.status == "scaling" for g in groups)  # cart's activity is in progress
    assert [g.to_dict() for g in reader.list_groups()] == [g.to_dict() for g in groups]
    assert [g.created_at for g in reader.list_groups()] == [g.created_at for g in groups]
    assert reader.list_balancers() == convert.to_balancers(world)
    alarms = convert.to_alarms(world)
    assert reader.list_alarms() == alarms
    assert [a.to_dict() for a in reader.list_alarms()] == [a.to_dict() for a in alarms]
    assert {a.kind for a in alarms} >= {"metric", "composite", "predictive"}
    assert reader.list_rules() == [r for rules in world.rules.values() for r in rules]
    assert reader.list_rules("web") == world.rules["web"]
    assert reader.now() == at_minute(world.now)
    assert reader.identity() == f"sim:{world.name}-{world.seed}"
    web = world.groups["web"]
    # A group's id finds it as its name does, as on the world path.
    assert reader.list_rules(web.id) == world.rules["web"]
    assert reader.list_activities(web.id, limit=5) == reader.list_activities("web", limit=5)
    series = reader.metric_series(web.id, "cpu", timedelta(minutes=30))
    assert series == reader.metric_series("web", "cpu", timedelta(minutes=30))
    assert series.group == "web" and len(series.points) == 30
    assert series.points[-1].at == at_minute(world.now - 1)


def _json(objs: list[Any]) -> str:
    return json.dumps([o.to_dict() for o in objs])


@pytest.mark.parametrize(
    ("paused", "loaded"),
    [
        pytest.param(
            SimReader.list_groups,
            lambda w: [convert.to_group(w, g, with_instances=False) for g in w.groups.values()],
            id="groups",
        ),
        pytest.param(SimReader.list_balancers, convert.to_balancers, id="balancers"),
        pytest.param(SimReader.list_alarms, convert.to_alarms, id="alarms"),
    ],
)
def test_paused_reads_print_what_the_world_prints(
    sim: tuple[SimReader, SimWriter, SimControl],
    paused: Callable[[SimReader], list[Any]],
    loaded: Callable[[World], list[Any]],
) -> None:
    """Equal is not enough for ``-o json``: 400 == 400.0, yet they print differently."""
    reader, _, _ = sim
    assert _json(paused(reader)) == _json(loaded(_world(reader)))


def test_row_cache_decodes_in_chunks_and_keeps_unchanged_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RowCache, "CHUNK", 2)
    groups = [
        Group(
            id=f"asg-{n}",
            name=f"g{n}",
            provider="sim",
            region="r",
            min=0,
            max=9,
            desired=n,
            in_service=n,
            zones=("a", "b"),
            created_at=at_minute(29_000_000 + n),
            metric=n / 3,
        )
        for n in range(5)
    ]
    texts = [msgspec.json.encode(g).decode() for g in groups]
    cache = RowCache(Group)
    first = cache.decode(texts)
    assert first == groups
    assert [repr(g.created_at) for g in first] == [repr(g.created_at) for g in groups]  # the zone
    again = cache.decode([texts[4], texts[0]])  # reordered, three gone
    assert again[0] is first[4] and again[1] is first[0]
    assert cache.decode(texts)[2] is not first[2]  # forgotten with the rows that went away


def test_paused_reads_never_parse_the_world(
    sim: tuple[SimReader, SimWriter, SimControl], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, control = sim
    control.advance(timedelta(minutes=1))  # another store wrote: a reader's cache is stale

    def refuse(data: object) -> World:
        raise AssertionError("the world was parsed")

    monkeypatch.setattr(World, "from_json", staticmethod(refuse))
    reader = SimProvider().open_reader(PROFILE)
    reader.now()
    reader.identity()
    assert len(reader.list_groups()) == 6
    assert reader.list_balancers() and reader.list_alarms() and reader.list_rules()
    assert reader.list_rules("web")
    assert reader.list_activities(limit=10) and reader.list_activities("web", limit=10)
    assert reader.metric_series("web", "cpu", timedelta(hours=1)).points
    with pytest.raises(NotFoundError, match="group 'nope' not found"):
        reader.list_activities("nope")
    reader.close()


def test_unknown_group_reads_the_same_on_both_paths(
    sim: tuple[SimReader, SimWriter, SimControl],
) -> None:
    reader, _, _ = sim
    with pytest.raises(NotFoundError) as paused:
        reader.metric_series("nope", "cpu", timedelta(hours=1))
    with pytest.raises(NotFoundError) as loaded:
        reader.get_group("nope")  # always through the world
    assert str(paused.value) == str(loaded.value)


def test_unchanged_rows_keep_their_objects(sim: tuple[SimReader, SimWriter, SimControl]) -> None:
    reader, writer, control = sim
    before = {g.name: g for g in reader.list_groups()}
    alarms = reader.list_alarms()
    assert reader.list_alarms() == alarms and reader.list_alarms() is not alarms  # a new list
    assert all(a is b for a, b in zip(reader.list_alarms(), alarms, strict=True))
    writer.set_bounds("search", min_size=1, max_size=30, desired=None)  # no tick: one row changes
    after = {g.name: g for g in reader.list_groups()}
    assert after["search"] is not before["search"] and after["search"].max == 30
    assert all(after[name] is before[name] for name in before if name != "search")
    control.advance(timedelta(minutes=1))  # every group's metric moves
    assert all(g is not before[g.name] for g in reader.list_groups())


def test_a_state_file_of_an_older_format_gets_its_rows_again(
    sim: tuple[SimReader, SimWriter, SimControl],
) -> None:
    reader, _, _ = sim
    expected = (reader.list_groups(), reader.list_alarms(), reader.list_balancers())
    db = reader.store._db
    # As an earlier scalectl left it: group summaries only, in their own columns.
    for table in ("groups", "balancers", "alarms", "rules"):
        db.execute(f"DROP TABLE {table}")
    db.execute("CREATE TABLE groups (pos INTEGER PRIMARY KEY, name TEXT, data TEXT)")
    db.execute("DELETE FROM meta WHERE key = 'tables'")
    fresh = SimProvider().open_reader(PROFILE)
    assert (fresh.list_groups(), fresh.list_alarms(), fresh.list_balancers()) == expected
    fresh.close()


def test_rows_of_the_previous_format_are_written_again(
    sim: tuple[SimReader, SimWriter, SimControl],
) -> None:
    reader, _, _ = sim
    expected = reader.list_groups()
    db = reader.store._db
    # The previous format: each group as a JSON list of its fields in order.
    db.execute('UPDATE groups SET data = \'["asg-old","old"]\'')
    db.execute("UPDATE meta SET value = '2' WHERE key = 'tables'")
    fresh = SimProvider().open_reader(PROFILE)
    assert fresh.list_groups() == expected
    fresh.close()


def test_a_running_clock_reads_the_caught_up_world(home: Path, template: Path) -> None:
    profile = Profile(name="running", provider="sim", speed=60.0, region="sim-local-1")
    target = db_path(profile)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, target)
    wall = [1000.0]
    store = SimStore(target, WorldSpec("shop", 42), clock=lambda: wall[0])
    reader = SimReader(profile, store)
    start = reader.now()  # anchors the clock
    wall[0] += 120.0  # two wall minutes at 60x: two simulated hours
    groups = reader.list_groups()
    assert reader.now() == start + timedelta(hours=2)
    world = reader.world()  # the same wall time: nothing more to catch up
    expected = [convert.to_group(world, g, with_instances=False) for g in world.groups.values()]
    assert groups == expected
    reader.close()
