"""Sim performance figures (issue 9). They print, they do not assert on time.

Targets: one simulated day of the shop world in under 1 s; a 2,000-group world ticks a simulated
minute in under 100 ms; `groups list` fast on 2,000 groups. Each figure is printed beside a baseline
measured in the same run (a JSON round trip of the same world), so a slow machine shows as slow in
both columns rather than as a regression.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from scalectl_sim import engine
from scalectl_sim.provider import SimControl, SimProvider
from scalectl_sim.store import PRESIMULATE_MIN, WorldSpec, build_world
from scalectl_sim.world import World

from scalectl.config import Profile

pytestmark = pytest.mark.benchmark


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _ticks(world: World, minutes: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(minutes):
            engine.tick(world, world.now)

    return run


def _baseline(world: World) -> float:
    return _seconds(lambda: json.loads(json.dumps(world.to_json(), sort_keys=True)))


def test_shop_world_one_simulated_day(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(WorldSpec("shop", 42))
    baseline = _baseline(world)
    day = _seconds(_ticks(world, 24 * 60))
    profile = Profile(name="bench", provider="sim", speed=0)
    control = SimControl(profile)
    created = _seconds(control.status)  # builds the world: 26 h of history
    stored_day = _seconds(lambda: control.advance(timedelta(days=1)))
    control.close()
    with capsys.disabled():
        print(
            f"\nshop: 1 simulated day {day:.3f} s in memory, {stored_day:.3f} s through the store "
            f"(target < 1 s); new world with {PRESIMULATE_MIN['shop'] // 60} h of history "
            f"{created:.3f} s; baseline JSON round trip {baseline * 1000:.1f} ms"
        )
    assert world.now > 0 and len(world.groups) == 6


def test_large_world_tick_and_groups_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(WorldSpec("large", 42, groups=2000))
    instances = sum(len(g.instances) for g in world.groups.values())
    baseline = _baseline(world)
    ticks = 10
    first = _seconds(_ticks(world, ticks))  # right after creation: balancer caches are cold
    elapsed = _seconds(_ticks(world, ticks))
    profile = Profile(name="bench-large", provider="sim", speed=0, world="large", groups=2000)
    reader = SimProvider().open_reader(profile)
    created = _seconds(reader.list_groups)  # builds and stores the world
    reader.close()
    cold_reader = SimProvider().open_reader(profile)
    cold = _seconds(cold_reader.list_groups)
    warm = _seconds(cold_reader.list_groups)
    groups = cold_reader.list_groups()
    cold_reader.close()
    with capsys.disabled():
        print(
            f"\nlarge: {len(world.groups)} groups, {instances} instances, {len(world.alarms)} "
            f"alarms: tick {elapsed / ticks * 1000:.1f} ms per simulated minute (target < 100 ms;"
            f" {first / ticks * 1000:.1f} ms for the first {ticks} after creation)"
            f"\n  groups list: cold process {cold * 1000:.1f} ms, warm {warm * 1000:.1f} ms; "
            f"world created in {created:.2f} s; baseline JSON round trip {baseline * 1000:.1f} ms"
        )
    assert len(groups) == 2000
