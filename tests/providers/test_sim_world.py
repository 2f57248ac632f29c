"""The embedded cloud end to end through its provider API: determinism, manual scaling, flash sales
and target tracking, failures, zones, cooldown, and several processes sharing one world."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from scalectl_sim.clock import START, minute_of
from scalectl_sim.provider import SimControl, SimProvider, SimReader, SimWriter, db_path
from scalectl_sim.store import SimStore, WorldSpec

from scalectl.config import Profile, resolve_paths
from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError
from scalectl.core.model import ActivityStatus, Comparison, InstanceState
from scalectl.core.rules import SimpleRule, TargetTrackingRule

Sim = tuple[SimReader, SimWriter, SimControl]
PROFILE = Profile(name="t", provider="sim", speed=0, region="sim-local-1")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-simulated shop world, built once and copied into each test's SCALECTL_HOME."""
    path = tmp_path_factory.mktemp("sim-template") / "sim-t.db"
    store = SimStore(path, WorldSpec("shop", 42))
    store.ensure()
    store.close()
    return path


@pytest.fixture
def sim(home: Path, template_db: Path) -> Iterator[Sim]:
    target = db_path(PROFILE)
    assert target.is_relative_to(home)  # state lives under SCALECTL_HOME
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template_db, target)
    reader = SimProvider().open_reader(PROFILE)
    writer = SimProvider().open_writer(PROFILE, reader)
    control = SimControl(PROFILE)
    yield reader, writer, control
    control.close()
    reader.close()


def _snapshot(reader: SimReader) -> str:
    data = {
        "groups": [
            reader.get_group(g.name).to_dict(with_instances=True) for g in reader.list_groups()
        ],
        "activities": [a.to_dict() for a in reader.list_activities(limit=1000)],
        "alarms": [a.to_dict() for a in reader.list_alarms()],
        "balancers": [b.to_dict() for b in reader.list_balancers()],
    }
    return json.dumps(data, sort_keys=True)


def _script(reader: SimReader, writer: SimWriter, control: SimControl) -> None:
    writer.set_desired("cart", 6, honor_cooldown=False, reason="test")
    control.flash_sale(3.0, timedelta(minutes=30), timedelta(minutes=5), group="checkout")
    control.advance(timedelta(minutes=45))
    control.fail_group("web", 2)
    control.advance(timedelta(minutes=30))


def test_same_seed_and_commands_give_identical_worlds(home: Path) -> None:
    snapshots = []
    blobs = []
    for n in range(2):
        profile = PROFILE.replace(name=f"det{n}")
        reader = SimProvider().open_reader(profile)
        writer = SimProvider().open_writer(profile, reader)
        control = SimControl(profile)
        _script(reader, writer, control)
        snapshots.append(_snapshot(reader))
        blobs.append(reader.store._db.execute("SELECT data FROM world").fetchone()[0])
        control.close()
        reader.close()
    assert snapshots[0] == snapshots[1]
    assert blobs[0] == blobs[1]  # byte for byte
    # And a different seed gives a different world.
    other = PROFILE.replace(name="det-other", seed=7)
    reader = SimProvider().open_reader(other)
    assert _snapshot(reader) != snapshots[0]
    assert "anchor" not in reader.store.info()  # paused: no wall time in the state
    reader.close()


def test_new_world_starts_on_the_eve_with_history(sim: Sim) -> None:
    reader, _, control = sim
    assert reader.now() == START
    status = control.status()
    assert status["world"] == "shop" and status["seed"] == 42 and status["groups"] >= 5
    series = reader.metric_series("search", "cpu", timedelta(hours=26))
    assert len(series.points) >= 25 * 60
    names = {g.name for g in reader.list_groups()}
    assert {"web", "api", "checkout", "search", "worker"} <= names
    kinds = {r.kind for r in reader.list_rules()}
    assert kinds == {"target_tracking", "step", "simple", "scheduled", "predictive"}
    algorithms = {lst.algorithm.value for b in reader.list_balancers() for lst in b.listeners}
    assert algorithms >= {
        "round_robin",
        "weighted_round_robin",
        "random",
        "weighted_random",
        "least_connections",
        "least_outstanding_requests",
        "source_ip_hash",
    }
    natives = {lst.native_algorithm for b in reader.list_balancers() for lst in b.listeners}
    assert {"wrr", "wlc", "sch", "least_outstanding_requests"} <= natives


def test_set_desired_launches_then_serves(sim: Sim) -> None:
    reader, writer, control = sim
    # Keep the autoscaler out of it: this test is about the lifecycle.
    writer.suspend("cart", ["AlarmNotification"])
    before = reader.get_group("cart")
    result = writer.set_desired("cart", 8, honor_cooldown=False, reason="load test")
    group = reader.get_group("asg-cart")  # by id too
    assert group.desired == 8
    pending = [i for i in group.instances if i.state is InstanceState.PENDING]
    assert len(pending) == 8 - before.in_service
    activity = reader.list_activities("cart", limit=1)[0]
    assert activity.id == result.activity_id
    assert activity.status is ActivityStatus.IN_PROGRESS
    assert "a user request explicitly set group desired capacity" in activity.cause
    assert f"from {before.desired} to 8" in activity.cause and "load test" in activity.cause
    control.advance(timedelta(minutes=10))
    group = reader.get_group("cart")
    assert group.in_service == 8 and group.pending == 0
    assert all(i.state is InstanceState.IN_SERVICE for i in group.instances)
    done = next(a for a in reader.list_activities("cart") if a.id == result.activity_id)
    assert done.status is ActivityStatus.SUCCESSFUL and done.ended_at is not None
    assert done.progress == 100


def test_bad_writes_are_refused(sim: Sim) -> None:
    reader, writer, _ = sim
    with pytest.raises(NotFoundError):
        reader.get_group("nope")
    with pytest.raises(ProviderError) as err:
        writer.set_desired("web", 999, honor_cooldown=False, reason="")
    assert err.value.kind is ErrorKind.INVALID
    writer.set_desired("web", 20, honor_cooldown=False, reason="first")
    with pytest.raises(ProviderError) as err:
        writer.set_desired("web", 21, honor_cooldown=True, reason="second")
    assert err.value.kind is ErrorKind.CONFLICT and err.value.code == "ScalingActivityInProgress"
    with pytest.raises(ProviderError):
        writer.execute_rule("web", "cpu-55", honor_cooldown=False)  # target tracking


def test_rules_put_execute_delete(sim: Sim) -> None:
    reader, writer, control = sim
    rule = SimpleRule(
        name="add-three",
        group="worker",
        metric="cpu",
        comparison=Comparison.GT,
        threshold=99,
        adjustment=3,
        cooldown_s=60,
    )
    writer.put_rule(rule)
    assert rule in reader.list_rules("worker")
    desired = reader.get_group("worker").desired
    result = writer.execute_rule("worker", "add-three", honor_cooldown=False)
    assert reader.get_group("worker").desired == desired + 3
    cause = reader.list_activities("worker", limit=1)[0].cause
    assert result.activity_id and "executed policy add-three" in cause
    writer.put_rule(rule.model_copy(update={"enabled": False}))
    assert not next(r for r in reader.list_rules("worker") if r.name == "add-three").enabled
    writer.delete_rule("worker", "add-three")
    assert all(r.name != "add-three" for r in reader.list_rules("worker"))
    with pytest.raises(NotFoundError):
        writer.delete_rule("worker", "add-three")
    # Suspended launches leave the gap open until resumed.
    writer.suspend("worker", ["Launch"])
    held = writer.set_desired("worker", desired + 5, honor_cooldown=False, reason="")
    control.advance(timedelta(minutes=5))
    assert reader.get_group("worker").pending == 0
    assert "Launch" in reader.get_group("worker").suspended
    activity = next(a for a in reader.list_activities("worker") if a.id == held.activity_id)
    assert activity.status is ActivityStatus.IN_PROGRESS
    assert activity.description == "waiting: Launch suspended"
    writer.resume("worker")
    control.advance(timedelta(minutes=1))
    assert reader.get_group("worker").pending > 0
    control.advance(timedelta(minutes=5))
    activity = next(a for a in reader.list_activities("worker") if a.id == held.activity_id)
    assert activity.status is ActivityStatus.SUCCESSFUL


def _cpu_by_minute(reader: SimReader, group: str, hours: int) -> dict[int, float | None]:
    series = reader.metric_series(group, "cpu", timedelta(hours=hours))
    return {minute_of(p.at): p.value for p in series.points}


def test_flash_sale_target_tracking_scales_out_after_three_breaches_then_in(sim: Sim) -> None:
    reader, _, control = sim
    rule = next(r for r in reader.list_rules("web") if isinstance(r, TargetTrackingRule))
    start = minute_of(reader.now())
    control.flash_sale(4.0, timedelta(minutes=40), timedelta(minutes=5), group="web")
    control.advance(timedelta(hours=2))
    cpu = _cpu_by_minute(reader, "web", 3)
    activities = sorted(reader.list_activities("web", limit=200), key=lambda a: a.id)
    tt = [
        a
        for a in activities
        if minute_of(a.started_at) >= start and f"target tracking {rule.name}" in a.cause
    ]
    outs = [a for a in tt if (a.to_capacity or 0) > (a.from_capacity or 0)]
    ins = [a for a in tt if (a.to_capacity or 0) < (a.from_capacity or 0)]
    assert outs, "the flash sale should make target tracking scale out"
    first = minute_of(outs[0].started_at)

    def breaching(m: int) -> bool:
        value = cpu.get(m)
        return value is not None and value > rule.target

    # Decided at `first` from the three minutes before it, all above the target ...
    assert all(breaching(m) for m in (first - 3, first - 2, first - 1))
    # ... and not sooner: no earlier minute since the sale began (looking back across its start)
    # had three breaching minutes before it.
    assert not breaching(start - 1)  # before the sale the group ran below its target
    for m in range(start, first):
        assert not all(breaching(k) for k in (m - 3, m - 2, m - 1)), m
    assert "cpu-55-high in ALARM for 3 of 3 periods" in outs[0].cause
    assert "changing the desired capacity from" in outs[0].cause
    # Afterwards it scales in, gradually (more than one step), each step saying why.
    assert len(ins) >= 2
    assert all("cpu-55-low in ALARM for 15 of 15 periods" in a.cause for a in ins)
    peak = max(a.to_capacity or 0 for a in outs)
    assert reader.get_group("web").desired < peak
    assert all(minute_of(a.started_at) > first for a in ins)


def test_failed_instance_is_replaced(sim: Sim) -> None:
    reader, _, control = sim
    group = reader.get_group("api")
    victim = group.instances[0].id
    assert control.fail_instance(victim)["failed"] == [victim]
    sick = next(i for i in reader.get_group("api").instances if i.id == victim)
    assert sick.health.value == "unhealthy"
    control.advance(timedelta(minutes=1))
    replacement = reader.list_activities("api", limit=5)
    cause = next(a.cause for a in replacement if victim in a.cause)
    assert "health check" in cause and "failed on command" in cause
    control.advance(timedelta(minutes=8))
    after = reader.get_group("api")
    assert victim not in {i.id for i in after.instances}
    assert after.in_service >= after.desired - after.pending
    assert after.in_service + after.pending == after.desired


def test_zone_failure_moves_capacity_to_the_other_zones(sim: Sim) -> None:
    reader, writer, control = sim
    for group in reader.list_groups():
        writer.suspend(group.name, ["AlarmNotification", "ScheduledActions"])
    zone = "sim-local-1a"
    failed = control.fail_zone(zone)["failed"]
    assert failed
    control.advance(timedelta(minutes=10))
    for group in reader.list_groups():
        full = reader.get_group(group.name)
        serving = [i for i in full.instances if i.state is InstanceState.IN_SERVICE]
        assert all(i.zone != zone for i in full.instances), group.name
        assert len(serving) == full.desired, group.name
    status = control.status()
    assert status["failed_zones"] == [zone]
    causes = " ".join(a.cause for a in reader.list_activities(limit=100))
    assert f"availability zone {zone} failed" in causes
    assert control.heal_zone(zone)["failed_zones"] == []
    # AZRebalance brings the healed zone back into use, one instance at a time.
    control.advance(timedelta(minutes=40))
    for group in reader.list_groups():
        full = reader.get_group(group.name)
        per_zone = {z: 0 for z in full.zones}
        for inst in full.instances:
            if inst.state is InstanceState.IN_SERVICE:
                per_zone[inst.zone] += 1
        assert max(per_zone.values()) - min(per_zone.values()) <= 1, (group.name, per_zone)
        assert full.in_service == full.desired, group.name
    rebalanced = [a for a in reader.list_activities(limit=200) if a.description == "AZRebalance"]
    assert rebalanced and all(a.status is ActivityStatus.SUCCESSFUL for a in rebalanced)


class FakeClock:
    """Wall time that moves only when the test says so."""

    def __init__(self, wall: float) -> None:
        self.wall = wall

    def __call__(self) -> float:
        return self.wall


def test_reads_at_any_frequency_give_the_same_world(home: Path, template_db: Path) -> None:
    """With a running clock the world depends on how much time passed, not on who looked."""
    results = []
    for n, every in enumerate((7.0, 600.0)):
        path = home / f"clock{n}.db"
        shutil.copy(template_db, path)
        clock = FakeClock(1000.0)
        store = SimStore(path, WorldSpec("shop", 42), clock=clock)
        reader = SimReader(PROFILE.replace(speed=60.0), store)
        reader.list_groups()  # anchors the clock
        while clock.wall < 1000.0 + 600.0:
            clock.wall = min(clock.wall + every, 1600.0)
            reader.list_groups()
        assert reader.now() == START + timedelta(hours=10)  # 600 s x 60
        results.append(store._db.execute("SELECT data FROM world").fetchone()[0])
        reader.close()
    assert results[0] == results[1]


def _worker(home: str, rounds: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import os

    os.environ["SCALECTL_HOME"] = home
    try:
        control = SimControl(PROFILE)
        reader = SimProvider().open_reader(PROFILE)
        for _ in range(rounds):
            control.advance(timedelta(minutes=1))
            assert len(reader.list_groups()) == 6
            reader.list_activities(limit=5)
        control.close()
        reader.close()
        queue.put("ok")
    except BaseException as exc:  # report to the parent rather than die silently
        queue.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_share_one_world(sim: Sim, home: Path, template_db: Path) -> None:
    reader, _, _ = sim
    start = minute_of(reader.now())
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    rounds = 15
    procs = [ctx.Process(target=_worker, args=(str(home), rounds, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["ok", "ok"]
    assert minute_of(reader.now()) == start + 2 * rounds  # every advance happened exactly once
    rows = reader.store.metrics("web", start)
    assert [r[1] for r in rows] == list(range(start, start + 2 * rounds))
    assert resolve_paths().state_dir == db_path(PROFILE).parent
    # Interleaved one-minute advances, each loaded and saved by another process, give the same
    # world as one process advancing the whole time in memory.
    shutil.copy(template_db, home / "alone.db")
    alone = SimStore(home / "alone.db", WorldSpec("shop", 42))
    alone.advance(2 * rounds, speed=0)
    shared = reader.store._db.execute("SELECT data FROM world").fetchone()[0]
    assert alone._db.execute("SELECT data FROM world").fetchone()[0] == shared
    alone.close()
