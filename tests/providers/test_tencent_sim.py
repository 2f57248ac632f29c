"""The Tencent adapter against `sim serve --api tencent` backed by the real sim world.

The emulator runs on a free 127.0.0.1 port over the sim (SCALECTL_HOME in a tmp dir, speed 0), and
the adapter talks to it through the real tencentcloud SDK. What the adapter sees must agree with
the sim's own reader of the same world.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scalectl_tencent.provider import TencentProvider
from tencent_fixtures import SECRET_ID, SECRET_KEY, clean_env, tencent_profile

from scalectl.config import Profile
from scalectl.core.model import InstanceState
from scalectl.core.rules import ScheduledRule, SimpleRule, TargetTrackingRule


@dataclass
class SimServed:
    endpoint: str
    sim_reader: Any
    sim_writer: Any


def _serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **world: Any) -> Iterator[SimServed]:
    from scalectl_sim.provider import SimProvider
    from scalectl_sim.serve.tencent import make_server

    clean_env(monkeypatch, tmp_path)
    profile = Profile(name="sim", provider="sim", region="sim-local-1", speed=0, **world)
    reader = SimProvider().open_reader(profile)
    writer = SimProvider().open_writer(profile, reader)
    server = make_server(
        reader, writer, access_key_id=SECRET_ID, access_key_secret=SECRET_KEY
    ).start()
    try:
        yield SimServed(server.endpoint, reader, writer)
    finally:
        server.stop()
        reader.close()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SimServed]:
    yield from _serve(monkeypatch, tmp_path)


def _open(served: SimServed) -> tuple[Any, Any]:
    profile = tencent_profile(served.endpoint)
    reader = TencentProvider().open_reader(profile)
    reader.session._sleep = lambda _s: None
    return reader, TencentProvider().open_writer(profile, reader)


def test_groups_agree_with_the_sim(served: SimServed) -> None:
    reader, _ = _open(served)
    theirs = {g.name: g for g in served.sim_reader.list_groups()}
    ours = {g.name: g for g in reader.list_groups()}
    assert set(ours) == set(theirs)
    for name, group in ours.items():
        sim = theirs[name]
        assert (group.min, group.max, group.desired, group.in_service) == (
            sim.min,
            sim.max,
            sim.desired,
            sim.in_service,
        )
        assert set(group.to_dict()) == set(sim.to_dict())
        assert group.id.startswith("asg-") and group.provider == "tencent"


def test_group_show_agrees(served: SimServed) -> None:
    reader, _ = _open(served)
    ours = reader.get_group("web")
    sim = served.sim_reader.get_group("web")
    live = [i for i in sim.instances if i.state is not InstanceState.TERMINATED]
    assert len(ours.instances) == len(live)
    assert sorted(i.state.value for i in ours.instances) == sorted(i.state.value for i in live)
    assert set(ours.to_dict(with_instances=True)) == set(sim.to_dict(with_instances=True))


def test_balancers_alarms_activities_agree(served: SimServed) -> None:
    reader, _ = _open(served)
    ours = {b.name: b for b in reader.list_balancers()}
    theirs = {b.name: b for b in served.sim_reader.list_balancers()}
    assert set(ours) == set(theirs)
    for name, balancer in ours.items():
        assert len(balancer.listeners) == len(theirs[name].listeners)
        assert {b.port for b in balancer.backends} <= {b.port for b in theirs[name].backends}
        assert all(
            listener.native_algorithm in ("WRR", "LEAST_CONN", "IP_HASH")
            for listener in balancer.listeners
        )
    alarms = {a.name: a for a in reader.list_alarms()}
    # Tencent has no composite or predictive alarms: the emulator shows the metric ones.
    sim_alarms = {a.name: a for a in served.sim_reader.list_alarms() if a.kind == "metric"}
    assert set(alarms) == set(sim_alarms)
    assert {n: a.state for n, a in alarms.items()} == {n: a.state for n, a in sim_alarms.items()}
    acts = reader.list_activities(limit=10)
    sim_acts = served.sim_reader.list_activities(limit=10)
    assert [a.cause for a in acts] == [a.cause for a in sim_acts]
    assert [a.group for a in acts] == [a.group for a in sim_acts]


def test_rules_export_then_put_back_is_a_no_op(served: SimServed) -> None:
    reader, writer = _open(served)
    exported = reader.list_rules()
    sim_before = served.sim_reader.list_rules()
    expressible = [
        r
        for r in sim_before
        if isinstance(r, TargetTrackingRule | SimpleRule | ScheduledRule)
        and not reader.capabilities().problems(r)
        and (not isinstance(r, TargetTrackingRule) or r.metric == "cpu")
    ]
    assert {(r.group, r.name) for r in exported} == {(r.group, r.name) for r in expressible}
    for rule in exported:
        writer.put_rule(rule)
    assert reader.list_rules() == exported
    assert served.sim_reader.list_rules() == sim_before


def test_scale_to_n_is_seen_by_the_sim(served: SimServed) -> None:
    reader, writer = _open(served)
    group = served.sim_reader.get_group("web")
    target = group.desired + 1 if group.desired < group.max else group.desired - 1
    result = writer.set_desired("web", target, honor_cooldown=False, reason="test")
    assert result.request_id
    assert served.sim_reader.get_group("web").desired == target
    assert reader.get_group("web").desired == target


def test_metrics_come_from_the_sim(served: SimServed) -> None:
    reader, _ = _open(served)
    series = reader.metric_series("web", "cpu", timedelta(minutes=30))
    assert series.points and all(p.value is not None for p in series.points)


def test_large_world_pages_to_the_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for big in _serve(monkeypatch, tmp_path, world="large", groups=250):
        reader, _ = _open(big)
        assert len(reader.list_groups()) == len(big.sim_reader.list_groups()) == 250
        with urllib.request.urlopen(big.endpoint + "/__sim/stats") as reply:
            calls = json.loads(reply.read())["calls"]
        assert calls["DescribeAutoScalingGroups"] == 3  # 100 + 100 + 50
