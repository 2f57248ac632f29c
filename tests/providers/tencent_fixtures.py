"""Fixtures for the Tencent adapter and emulator tests.

Two worlds back the emulator, each on a free 127.0.0.1 port:
- the real sim (``sim_served_as_tencent``; test_tencent_sim/cli/tui): what the adapter sees must
  agree with the sim's own reader of the same world;
- ``MemoryWorld``, a small in-memory ProviderReader/Writer whose every value the tests choose
  (230 extra groups for paging, an unhealthy and a warming instance, an alarm in ALARM, rules of
  each kind Tencent has), so per-action shapes, paging counts and faults can be asserted exactly.
"""

from __future__ import annotations

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

SECRET_ID = "AKIDsimTencentTest0001"
SECRET_KEY = "tencent-test-secret-key-0123456789"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class MemoryWorld:
    """A tiny world: enough groups to page, balancers, alarms, rules, activities, metrics."""

    groups: dict[str, Group] = field(default_factory=dict)
    balancers: list[Balancer] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    rules: list[AnyRule] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    name: str = "sim"
    region: str = "sim-local-1"

    @classmethod
    def shop(cls, extra_groups: int = 0) -> MemoryWorld:
        world = cls()
        for index, (name, desired) in enumerate([("web", 3), ("api", 2), ("checkout", 2)]):
            instances = tuple(
                Instance(
                    id=f"i-{name}-{n:04d}",
                    state=InstanceState.IN_SERVICE,
                    health=Health.HEALTHY if n else Health.UNHEALTHY,
                    zone=f"zone-{n % 2 + 1}",
                    group=name,
                    launched_at=T0,
                    warming=n == 2,
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
                zones=("zone-1", "zone-2"),
                balancer_ids=(f"lb-{name}",) if index < 2 else (),
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
        for name, algorithm, protocol in [
            ("web", Algorithm.WEIGHTED_ROUND_ROBIN, "HTTP"),
            ("api", Algorithm.LEAST_CONNECTIONS, "TCP"),
        ]:
            group = world.groups[name]
            world.balancers.append(
                Balancer(
                    id=f"lb-{name}",
                    name=f"{name}-lb",
                    provider="sim",
                    listeners=(
                        Listener(
                            protocol=protocol,
                            port=80,
                            algorithm=algorithm,
                            native_algorithm=algorithm.value,
                        ),
                    ),
                    backends=tuple(
                        Backend(id=i.id, port=8080, weight=10, health=i.health)
                        for i in group.instances
                    ),
                    group_ids=(name,),
                )
            )
        world.alarms = [
            Alarm(
                id="cpu-high-web",
                name="cpu-high-web",
                provider="sim",
                state=AlarmState.ALARM,
                metric="cpu",
                comparison=Comparison.GT,
                threshold=70.0,
                group="web",
                since=T0,
                period_s=60,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                actions=("web-scale-out",),
            ),
            Alarm(
                id="mem-api",
                name="mem-api",
                provider="sim",
                state=AlarmState.OK,
                metric="memory",
                comparison=Comparison.GE,
                threshold=85.0,
                group="api",
            ),
        ]
        world.rules = [
            TargetTrackingRule(
                name="web-cpu50", group="web", metric="cpu", target=50, warmup_s=120
            ),
            SimpleRule(
                name="web-scale-out",
                group="web",
                metric="cpu",
                comparison=Comparison.GT,
                threshold=70,
                period_s=60,
                evaluation_periods=3,
                adjustment=2,
                cooldown_s=300,
            ),
            ScheduledRule(
                name="nightly",
                group="api",
                cron="0 2 * * *",
                timezone="Asia/Shanghai",
                min=1,
                max=4,
                desired=1,
            ),
        ]
        world.activities = [
            Activity(
                id=f"act-{n}",
                group="web",
                status=ActivityStatus.SUCCESSFUL,
                cause="a user request set the desired capacity",
                started_at=T0 - timedelta(minutes=n),
                ended_at=T0 - timedelta(minutes=n - 1),
                from_capacity=2,
                to_capacity=3,
            )
            for n in range(5)
        ]
        return world


class MemoryReader:
    name = "sim"
    region = "sim-local-1"

    def __init__(self, world: MemoryWorld) -> None:
        self.world = world

    def capabilities(self) -> Capabilities:
        return Capabilities(
            rule_kinds=frozenset({"target_tracking", "simple", "scheduled"}),
            metrics=frozenset({"cpu", "memory"}),
        )

    def now(self) -> datetime:
        return T0

    def identity(self) -> str:
        return ""

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
        return [a for a in self.world.activities if group is None or a.group == group][:limit]

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        return [r for r in self.world.rules if group is None or r.group == group]

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        self.get_group(group)
        count = int(since.total_seconds() // period_s)
        points = tuple(
            MetricPoint(at=T0 - timedelta(seconds=period_s * (count - n)), value=40.0 + n)
            for n in range(count)
        )
        return MetricSeries(group=group, metric=metric, unit="%", period_s=period_s, points=points)

    def close(self) -> None:
        return None


class MemoryWriter:
    def __init__(self, world: MemoryWorld) -> None:
        self.world = world
        self.executed: list[tuple[str, str, bool]] = []

    def _group(self, name: str) -> Group:
        if name not in self.world.groups:
            raise NotFoundError("group", name)
        return self.world.groups[name]

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        current = self._group(group)
        if not current.min <= desired <= current.max:
            raise InputError(f"desired {desired} outside [{current.min}, {current.max}]")
        self.world.groups[group] = replace(current, desired=desired)
        return WriteResult(detail=reason)

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        current = self._group(group)
        new_desired = (
            desired if desired is not None else max(min_size, min(current.desired, max_size))
        )
        self.world.groups[group] = replace(current, min=min_size, max=max_size, desired=new_desired)
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
        self.executed.append((group, name, honor_cooldown))
        return WriteResult(activity_id=f"act-exec-{len(self.executed)}")

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        self.world.groups[group] = replace(
            self._group(group), suspended=tuple(processes) or ("all",)
        )
        return WriteResult()

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        self.world.groups[group] = replace(self._group(group), suspended=())
        return WriteResult()


@dataclass
class Emulated:
    server: Any
    reader: Any  # the world's own reader (sim or memory)
    writer: Any
    world: MemoryWorld | None

    @property
    def endpoint(self) -> str:
        return self.server.endpoint


def clean_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No proxies, no real credentials, a private SCALECTL_HOME; the test credentials set."""
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "DEBUG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCALECTL_HOME", str(home))
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)


@contextmanager
def running_emulator(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[Emulated]:
    """The Tencent emulator on a free 127.0.0.1 port over a fresh world; stopped on exit."""
    from scalectl_sim.serve.tencent import make_server

    clean_env(monkeypatch, home)
    world = MemoryWorld.shop(extra_groups=230)
    reader, writer = MemoryReader(world), MemoryWriter(world)
    server = make_server(
        reader, writer, access_key_id=SECRET_ID, access_key_secret=SECRET_KEY
    ).start()
    try:
        yield Emulated(server, reader, writer, world)
    finally:
        server.stop()


def tencent_profile(endpoint: str, **extra: Any) -> Any:
    from scalectl.config import Profile

    settings: dict[str, Any] = {"timeout_s": 5, **extra}
    return Profile(
        name="tc", provider="tencent", region="ap-guangzhou", endpoint=endpoint, **settings
    )


SIM_AND_TENCENT_CONFIG = """\
default_profile = "sim"

[profiles.sim]
provider = "sim"
speed = 0

[profiles.tc]
provider = "tencent"
region = "ap-guangzhou"
endpoint = "{endpoint}"
timeout_s = 5
max_retries = 1
"""


@contextmanager
def sim_served_as_tencent(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The paused sim world of profile ``sim`` served as Tencent, and a ``tc`` profile pointing
    at it in ``home``'s config.toml; yields the endpoint."""
    from scalectl_sim.provider import SimProvider
    from scalectl_sim.serve.tencent import make_server

    from scalectl.config import Profile

    clean_env(monkeypatch, home)
    profile = Profile(name="sim", provider="sim", region="sim-local-1", speed=0)
    reader = SimProvider().open_reader(profile)
    writer = SimProvider().open_writer(profile, reader)
    server = make_server(reader, writer, access_key_id=SECRET_ID, access_key_secret=SECRET_KEY)
    server.start()
    (home / "config.toml").write_text(SIM_AND_TENCENT_CONFIG.format(endpoint=server.endpoint))
    try:
        yield server.endpoint
    finally:
        server.stop()
        reader.close()
