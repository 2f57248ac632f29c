"""Fixtures for the Huawei emulator and adapter tests.

The emulator runs on a free 127.0.0.1 port over a sim world: the real sim (scalectl_sim.provider)
when it exists, else ``MemoryWorld``, a small in-memory world implementing the ProviderReader and
ProviderWriter protocols, so the SDK <-> emulator path is exercised either way.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scalectl.core.errors import InputError, NotFoundError
from scalectl.core.model import (
    Activity,
    ActivityStatus,
    Alarm,
    AlarmState,
    Algorithm,
    Backend,
    Balancer,
    Comparison,
    Group,
    Health,
    Instance,
    InstanceState,
    Listener,
    MetricPoint,
    MetricSeries,
)
from scalectl.core.provider import AnyRule, Capabilities, WriteResult
from scalectl.core.rules import ScheduledRule, SimpleRule, TargetTrackingRule

AK = "HWSIMTESTAK0000000001"
SK = "hw-sim-test-secret-key-0123456789abcdef"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class MemoryWorld:
    groups: dict[str, Group] = field(default_factory=dict)
    balancers: list[Balancer] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    rules: list[AnyRule] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    @classmethod
    def shop(cls, extra_groups: int = 0) -> MemoryWorld:
        world = cls()
        for name, desired, lb in [("web", 3, "lb-web"), ("api", 2, "lb-api"), ("worker", 2, "")]:
            instances = tuple(
                Instance(
                    id=f"i-{name}-{n:04d}",
                    state=InstanceState.IN_SERVICE,
                    health=Health.HEALTHY if n else Health.UNHEALTHY,
                    zone=f"zone-{n % 2}",
                    group=name,
                    launched_at=T0,
                )
                for n in range(desired)
            )
            world.groups[name] = Group(
                id=name,
                name=name,
                provider="sim",
                region="sim-local-1",
                min=1,
                max=10,
                desired=desired,
                in_service=desired,
                zones=("zone-0", "zone-1"),
                balancer_ids=(lb,) if lb else (),
                instances=instances,
                created_at=T0,
            )
        for n in range(extra_groups):
            name = f"batch-{n:03d}"
            world.groups[name] = Group(
                id=name,
                name=name,
                provider="sim",
                region="sim-local-1",
                min=0,
                max=5,
                desired=0,
                in_service=0,
                created_at=T0,
            )
        for name, algorithm in [
            ("web", Algorithm.WEIGHTED_ROUND_ROBIN),
            ("api", Algorithm.SOURCE_IP_HASH),
        ]:
            group = world.groups[name]
            world.balancers.append(
                Balancer(
                    id=f"lb-{name}",
                    name=f"{name}-lb",
                    provider="sim",
                    listeners=(
                        Listener("HTTP", 80, algorithm, algorithm.value, id=f"lst-{name}-80"),
                    ),
                    backends=tuple(
                        Backend(i.id, 8080, 10, i.health, zone=i.zone) for i in group.instances
                    ),
                    group_ids=(name,),
                )
            )
        world.alarms.append(
            Alarm(
                id="alarm-web-cpu",
                name="web-cpu-high",
                provider="sim",
                state=AlarmState.ALARM,
                metric="cpu",
                comparison=Comparison.GT,
                threshold=80,
                group="web",
                evaluation_periods=3,
            )
        )
        world.rules += [
            TargetTrackingRule(name="cpu-50", group="web", target=50),
            SimpleRule(
                name="cpu-high-add-2",
                group="worker",
                comparison=Comparison.GT,
                threshold=70,
                evaluation_periods=3,
                adjustment=2,
                cooldown_s=300,
            ),
            SimpleRule(
                name="cpu-low-remove-1",
                group="worker",
                comparison=Comparison.LT,
                threshold=25,
                evaluation_periods=10,
                adjustment=-1,
            ),
            ScheduledRule(name="nightly", group="web", cron="0 2 * * 1-5", desired=2),
        ]
        world.activities.append(
            Activity(
                id="act-1",
                group="web",
                status=ActivityStatus.SUCCESSFUL,
                cause="scale out for load",
                started_at=T0,
                ended_at=T0 + timedelta(minutes=2),
                from_capacity=2,
                to_capacity=3,
            )
        )
        return world


class MemoryReader:
    name = "sim"
    region = "sim-local-1"

    def __init__(self, world: MemoryWorld) -> None:
        self.world = world

    def capabilities(self) -> Capabilities:
        return Capabilities(
            rule_kinds=frozenset({"target_tracking", "simple", "scheduled"}),
            metrics=frozenset({"cpu"}),
        )

    def now(self) -> datetime:
        return T0 + timedelta(hours=1)

    def identity(self) -> str:
        return "memory"

    def list_groups(self) -> list[Group]:
        return [replace(g, instances=()) for g in self.world.groups.values()]

    def get_group(self, group: str) -> Group:
        try:
            return self.world.groups[group]
        except KeyError:
            raise NotFoundError("group", group) from None

    def list_balancers(self) -> list[Balancer]:
        return list(self.world.balancers)

    def list_alarms(self) -> list[Alarm]:
        return list(self.world.alarms)

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        return [a for a in self.world.activities if group in (None, a.group)][:limit]

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        return [r for r in self.world.rules if group in (None, r.group)]

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        self.get_group(group)
        count = int(since.total_seconds() // period_s)
        points = tuple(
            MetricPoint(self.now() - timedelta(seconds=period_s * (count - n)), 40.0 + n)
            for n in range(count)
        )
        return MetricSeries(group, metric, "%", period_s, points)

    def close(self) -> None:
        return None


class MemoryWriter:
    def __init__(self, world: MemoryWorld) -> None:
        self.world = world

    def _group(self, name: str) -> Group:
        if name not in self.world.groups:
            raise NotFoundError("group", name)
        return self.world.groups[name]

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        g = self._group(group)
        self.world.groups[group] = replace(g, desired=max(g.min, min(g.max, desired)))
        return WriteResult()

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        g = self._group(group)
        target = desired if desired is not None else g.desired
        self.world.groups[group] = replace(
            g, min=min_size, max=max_size, desired=max(min_size, min(max_size, target))
        )
        return WriteResult()

    def put_rule(self, rule: AnyRule) -> WriteResult:
        self._group(rule.group)
        self.world.rules = [
            r for r in self.world.rules if (r.group, r.name) != (rule.group, rule.name)
        ] + [rule]
        return WriteResult()

    def delete_rule(self, group: str, name: str) -> WriteResult:
        before = len(self.world.rules)
        self.world.rules = [r for r in self.world.rules if (r.group, r.name) != (group, name)]
        if len(self.world.rules) == before:
            raise NotFoundError("rule", f"{group}/{name}")
        return WriteResult()

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        rule = next((r for r in self.world.rules if (r.group, r.name) == (group, name)), None)
        if not isinstance(rule, SimpleRule):
            raise InputError(f"rule {group}/{name} cannot be executed")
        g = self._group(group)
        return self.set_desired(group, g.desired + rule.adjustment, honor_cooldown=False, reason="")

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        g = self._group(group)
        self.world.groups[group] = replace(g, suspended=("AlarmNotification", "ScheduledActions"))
        return WriteResult()

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        self.world.groups[group] = replace(self._group(group), suspended=())
        return WriteResult()


def sim_available() -> bool:
    return importlib.util.find_spec("scalectl_sim.provider") is not None


@dataclass
class Emulated:
    """A running emulator and the sim reader/writer behind it."""

    endpoint: str
    reader: Any
    writer: Any
    server: Any

    def fault(self, kind: str, count: int = 1, action: str = "") -> None:
        data = json.dumps({"kind": kind, "count": count, "action": action}).encode()
        urllib.request.urlopen(
            urllib.request.Request(self.endpoint + "/__sim/faults", data=data, method="POST"),
            timeout=5,
        ).read()

    def calls(self) -> dict[str, int]:
        with urllib.request.urlopen(self.endpoint + "/__sim/stats", timeout=5) as reply:
            return dict(json.loads(reply.read())["calls"])


def prepare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxies, no real credentials, HOME and SCALECTL_HOME in a temp dir (facts §0)."""
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "DEBUG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # the SDK writes ~/.huaweicloud/application_id
    monkeypatch.setenv("SCALECTL_HOME", str(tmp_path / "scalectl"))
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)


def _sim_profile() -> Any:
    from scalectl.config import Profile

    return Profile(name="sim", provider="sim", region="sim-local-1", speed=0)


@contextmanager
def running_emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    """The Huawei emulator on a free loopback port over a fresh sim world (speed 0)."""
    from scalectl_sim.serve.huawei import make_server

    prepare_env(monkeypatch, tmp_path)
    reader: Any
    writer: Any
    if sim_available():
        from scalectl_sim.provider import SimProvider

        provider = SimProvider()
        reader = provider.open_reader(_sim_profile())
        writer = provider.open_writer(_sim_profile(), reader)
    else:
        world = MemoryWorld.shop(extra_groups=120)
        reader, writer = MemoryReader(world), MemoryWriter(world)
    server = make_server(reader, writer, access_key_id=AK, access_key_secret=SK).start()
    try:
        yield Emulated(server.endpoint, reader, writer, server)
    finally:
        server.stop()
        reader.close()


def huawei_profile(endpoint: str, **extra: Any) -> Any:
    from scalectl.config import Profile

    values: dict[str, Any] = {
        "name": "hw-local",
        "provider": "huawei",
        "region": "cn-north-4",
        "endpoint": endpoint,
        "project_id": PROJECT_ID,
        "timeout_s": 5,
        "max_retries": 3,
    }
    values.update(extra)
    return Profile(**values)
