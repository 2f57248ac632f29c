"""The simulated world: mutable dataclasses for the engine, JSON (de)serialization, generators.

Time is an integer count of minutes since the Unix epoch; the engine never looks at wall time.
The provider translates these objects to the frozen ``scalectl.core.model`` types at its boundary.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scalectl.core.model import AlarmState
from scalectl_sim.clock import REGION

# The rule schema and the decision engine load when a world is loaded or built, not with this
# module: a paused reader serves the dashboard from stored rows without them.
if TYPE_CHECKING:
    from scalectl.core.decide import RuleState
    from scalectl.core.rules import AnyRule

ZONES = ("sim-local-1a", "sim-local-1b", "sim-local-1c")


def unit_hash(*parts: object) -> float:
    """A uniform number in [0, 1) from its key alone: randomness that never depends on who looks."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def unit_hash_pair(*parts: object) -> tuple[float, float]:
    """Two independent uniform numbers in [0, 1) from one key (one hash instead of two)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64, int.from_bytes(digest[8:], "big") / 2.0**64


# Instance states (normalized names, see scalectl.core.model.InstanceState).
PENDING, IN_SERVICE, TERMINATING, TERMINATED = "pending", "in_service", "terminating", "terminated"
HEALTHY, UNHEALTHY = "healthy", "unhealthy"
_STATES = (PENDING, IN_SERVICE, TERMINATING, TERMINATED)
_STATE_CODES = {state: code for code, state in enumerate(_STATES)}


@dataclass(slots=True)
class SimInstance:
    id: str
    zone: str
    launched: int  # minute the launch started
    in_service_at: int  # minute the boot ends
    warm_until: int  # minute the warm-up ends (metric excludes it before)
    weight: int = 100
    size: float = 1.0  # capacity factor: a "large" instance serves twice the requests
    state: str = PENDING
    health: str = HEALTHY
    registered: bool = False
    drain_until: int | None = None  # deregistered and draining until this minute
    activity: str = ""  # the activity that launched or is terminating it
    protected: bool = False
    cause: str = ""  # why it is unhealthy or terminating

    def to_row(self, group: str, zones: list[str]) -> list[Any]:
        """A compact row (a large world holds 40,000 of these): the id and the zone are implied
        by the group, times are stored as offsets, flags as 0/1."""
        prefix = f"i-{group}-"
        short: str | int = self.id
        if self.id.startswith(prefix) and self.id[len(prefix) :].isdigit():
            short = int(self.id[len(prefix) :])
        return [
            short,
            zones.index(self.zone) if self.zone in zones else self.zone,
            self.launched,
            self.in_service_at - self.launched,
            self.warm_until - self.in_service_at,
            self.weight,
            self.size,
            _STATE_CODES[self.state],
            int(self.health == HEALTHY),
            int(self.registered),
            self.drain_until,
            self.activity,
            int(self.protected),
            self.cause,
        ]

    @classmethod
    def from_row(cls, row: list[Any], group: str, zones: list[str]) -> SimInstance:
        (
            short,
            zone,
            launched,
            boot,
            warm,
            weight,
            size,
            state,
            healthy,
            registered,
            drain,
            activity,
            protected,
            cause,
        ) = row
        return cls(
            id=f"i-{group}-{short:06d}" if isinstance(short, int) else short,
            zone=zones[zone] if isinstance(zone, int) else zone,
            launched=launched,
            in_service_at=launched + boot,
            warm_until=launched + boot + warm,
            weight=weight,
            size=size,
            state=_STATES[state],
            health=HEALTHY if healthy else UNHEALTHY,
            registered=bool(registered),
            drain_until=drain,
            activity=activity,
            protected=bool(protected),
            cause=cause,
        )

    def warming(self, minute: int) -> bool:
        return self.state == IN_SERVICE and minute < self.warm_until

    @property
    def counts(self) -> bool:
        """Counts toward the group's capacity (launching or serving, healthy, not leaving)."""
        return self.state in (PENDING, IN_SERVICE) and self.health == HEALTHY


@dataclass(slots=True)
class SimGroup:
    id: str
    name: str
    min: int
    max: int
    desired: int
    zones: list[str]
    capacity_rpm: float  # requests per minute one size-1 instance serves at 100 % CPU
    base_rpm: float  # the group's load at the daily peak of a weekday
    boot_s: int
    warmup_s: int
    latency_ms: float = 40.0  # latency of an idle instance
    flash_sensitivity: float = 1.0
    default_cooldown_s: int = 300
    large_every: int = 0  # every n-th instance is a size-2 "large" one (0: none)
    instances: list[SimInstance] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    last_activity_end: int | None = None
    launch_seq: int = 0
    created: int = 0
    # Last metric values (the newest datapoint) and a short history for alarms and rules.
    # metric -> the last datapoints (bounded deques; lists in JSON)
    recent: dict[str, deque[float | None]] = field(default_factory=dict)
    # Hourly total load (cpu x counted instances) for predictive rules, oldest first.
    hourly: list[float] = field(default_factory=list)
    hour_acc: float = 0.0
    hour_n: int = 0
    # Active activity that new launches/terminations belong to.
    current_activity: str = ""
    next_event: int = 0  # earliest minute at which an instance changes state
    balancer_ids: list[str] = field(default_factory=list)
    # Last predictive forecast (capacity per hour from the current hour), for display.
    forecast: list[float] = field(default_factory=list)
    forecast_hour: int = -1  # the hour it was made for

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _GROUP_PLAIN}
        data["recent"] = {name: list(values) for name, values in self.recent.items()}
        data["instances"] = [i.to_row(self.name, self.zones) for i in self.instances]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimGroup:
        kwargs = {name: data[name] for name in _GROUP_PLAIN}
        kwargs["recent"] = {name: deque(values) for name, values in data["recent"].items()}
        group = cls(**kwargs)
        group.instances = [
            SimInstance.from_row(row, group.name, group.zones) for row in data["instances"]
        ]
        return group


_GROUP_PLAIN = tuple(name for name in SimGroup.__dataclass_fields__ if name != "instances")


@dataclass(slots=True)
class SimListener:
    id: str
    protocol: str
    port: int
    algorithm: str  # normalized (scalectl.core.model.Algorithm value)
    native: str  # the cloud-style name: ALB round_robin, CLB wrr, ...
    group: str
    share: float = 1.0  # fraction of the group's load arriving through this listener
    backend_port: int = 8080


@dataclass(slots=True)
class SimBalancer:
    id: str
    name: str
    kind: str  # alb | clb | nginx: which cloud's naming its listeners use
    listeners: list[SimListener]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "listeners": [
                [
                    lst.id,
                    lst.protocol,
                    lst.port,
                    lst.algorithm,
                    lst.native,
                    lst.group,
                    lst.share,
                    lst.backend_port,
                ]
                for lst in self.listeners
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimBalancer:
        return cls(
            data["id"], data["name"], data["kind"], [SimListener(*row) for row in data["listeners"]]
        )


@dataclass(slots=True)
class SimAlarm:
    id: str
    name: str
    group: str
    metric: str
    comparison: str
    threshold: float
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    missing_data: str = "missing"
    state: str = AlarmState.INSUFFICIENT_DATA.value
    since: int = 0
    value: float | None = None
    # "metric", "composite" (``rule`` combines other alarms by name) or "predictive" (the metric's
    # forecast breaches the threshold within ``horizon_s``; ``expected_at`` is the minute it does).
    kind: str = "metric"
    rule: str = ""
    horizon_s: int = 0
    expected_at: int | None = None

    def to_json(self) -> list[Any]:
        return [getattr(self, name) for name in self.__dataclass_fields__]

    @classmethod
    def from_json(cls, row: list[Any]) -> SimAlarm:
        return cls(*row)


@dataclass(slots=True)
class SimActivity:
    id: str
    group: str
    cause: str
    started: int
    status: str = "in_progress"
    ended: int | None = None
    description: str = ""
    from_capacity: int | None = None
    to_capacity: int | None = None
    waiting: list[str] = field(default_factory=list)  # instance ids not yet in service/terminated
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimActivity:
        return cls(**data)


@dataclass(slots=True)
class FlashSale:
    id: str
    start: int
    ramp: int  # minutes from 1x to the multiplier
    hold: int  # minutes at the multiplier
    decay: int  # minutes back to 1x
    multiplier: float
    groups: list[str] | None = None  # None: every group

    @property
    def end(self) -> int:
        return self.start + self.ramp + self.hold + self.decay

    def factor(self, minute: int) -> float:
        """The load multiplier at ``minute`` (1 outside the sale)."""
        t = minute - self.start
        if t < 0 or minute >= self.end:
            return 1.0
        extra = self.multiplier - 1.0
        if t < self.ramp:
            return 1.0 + extra * (t + 1) / self.ramp
        t -= self.ramp
        if t < self.hold:
            return self.multiplier
        t -= self.hold
        return 1.0 + extra * (1.0 - (t + 1) / (self.decay + 1))

    def to_json(self) -> list[Any]:
        return [getattr(self, name) for name in self.__dataclass_fields__]

    @classmethod
    def from_json(cls, row: list[Any]) -> FlashSale:
        return cls(*row)


@dataclass(slots=True)
class World:
    name: str
    seed: int
    now: int  # the minute the next tick simulates; everything before it has happened
    groups: dict[str, SimGroup]
    balancers: list[SimBalancer]
    alarms: list[SimAlarm]
    rules: dict[str, list[AnyRule]]  # group name -> rules (ordered by name)
    rule_states: dict[str, dict[str, RuleState]] = field(default_factory=dict)
    flash_sales: list[FlashSale] = field(default_factory=list)
    failed_zones: list[str] = field(default_factory=list)
    rebalance: bool = False  # a zone came back: AZRebalance moves instances into it
    activities: dict[str, SimActivity] = field(default_factory=dict)  # in progress
    activity_seq: int = 0
    sale_seq: int = 0
    failure_rate: float = 0.0002  # per instance per minute
    drain_s: int = 90
    history_days: float = 14.0
    sample_max: int = 1000  # requests replayed per balancer cache miss (fewer on big worlds)
    region: str = REGION
    # Produced by ticks, drained by the store (not serialized).
    out_activities: dict[str, SimActivity] = field(default_factory=dict)
    out_metrics: list[tuple[Any, ...]] = field(default_factory=list)

    def group(self, name_or_id: str) -> SimGroup | None:
        found = self.groups.get(name_or_id)
        if found is not None:
            return found
        for group in self.groups.values():
            if group.id == name_or_id:
                return group
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "now": self.now,
            "groups": [g.to_json() for g in self.groups.values()],
            "balancers": [b.to_json() for b in self.balancers],
            "alarms": [a.to_json() for a in self.alarms],
            "rules": {
                g: [r.model_dump(mode="json") for r in rules] for g, rules in self.rules.items()
            },
            "rule_states": {
                g: {name: rule_state_to_json(s) for name, s in states.items()}
                for g, states in self.rule_states.items()
            },
            "flash_sales": [s.to_json() for s in self.flash_sales],
            "failed_zones": self.failed_zones,
            "rebalance": self.rebalance,
            "activities": [a.to_json() for a in self.activities.values()],
            "activity_seq": self.activity_seq,
            "sale_seq": self.sale_seq,
            "failure_rate": self.failure_rate,
            "drain_s": self.drain_s,
            "history_days": self.history_days,
            "sample_max": self.sample_max,
            "region": self.region,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> World:
        from scalectl.core.rules import rule_adapter

        adapter = rule_adapter()
        groups = [SimGroup.from_json(g) for g in data["groups"]]
        activities = [SimActivity.from_json(a) for a in data["activities"]]
        return cls(
            name=data["name"],
            seed=data["seed"],
            now=data["now"],
            groups={g.name: g for g in groups},
            balancers=[SimBalancer.from_json(b) for b in data["balancers"]],
            alarms=[SimAlarm.from_json(a) for a in data["alarms"]],
            rules={
                g: [adapter.validate_python(r) for r in rules] for g, rules in data["rules"].items()
            },
            rule_states={
                g: {name: rule_state_from_json(s) for name, s in states.items()}
                for g, states in data["rule_states"].items()
            },
            flash_sales=[FlashSale.from_json(s) for s in data["flash_sales"]],
            failed_zones=list(data["failed_zones"]),
            rebalance=data["rebalance"],
            activities={a.id: a for a in activities},
            activity_seq=data["activity_seq"],
            sale_seq=data["sale_seq"],
            failure_rate=data["failure_rate"],
            drain_s=data["drain_s"],
            history_days=data["history_days"],
            sample_max=data["sample_max"],
            region=data["region"],
        )


def rule_state_to_json(state: RuleState) -> dict[str, Any]:
    return {
        "alarm_states": {k: AlarmState(v).value for k, v in sorted(state.alarm_states.items())},
        "last_fired": state.last_fired.isoformat() if state.last_fired else None,
        "last_scheduled_run": (
            state.last_scheduled_run.isoformat() if state.last_scheduled_run else None
        ),
    }


def rule_state_from_json(data: dict[str, Any]) -> RuleState:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    from scalectl.core.decide import RuleState

    return RuleState(
        alarm_states={k: AlarmState(v) for k, v in data["alarm_states"].items()},
        last_fired=when(data["last_fired"]),
        last_scheduled_run=when(data["last_scheduled_run"]),
    )
