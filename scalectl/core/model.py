"""The provider-neutral domain model: groups, instances, balancers, alarms, activities, metrics.

Every provider adapter translates its cloud's payloads into these frozen dataclasses, and every view
(CLI, TUI) reads only these. The normalized values and the JSON keys are a contract (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class InstanceState(StrEnum):
    PENDING = "pending"
    IN_SERVICE = "in_service"
    STANDBY = "standby"
    TERMINATING = "terminating"
    TERMINATED = "terminated"


class Health(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class AlarmState(StrEnum):
    OK = "ok"
    ALARM = "alarm"
    INSUFFICIENT_DATA = "insufficient_data"


class Algorithm(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin"
    RANDOM = "random"
    WEIGHTED_RANDOM = "weighted_random"
    LEAST_CONNECTIONS = "least_connections"
    WEIGHTED_LEAST_CONNECTIONS = "weighted_least_connections"
    LEAST_OUTSTANDING_REQUESTS = "least_outstanding_requests"
    SOURCE_IP_HASH = "source_ip_hash"
    FOUR_TUPLE_HASH = "four_tuple_hash"
    QUIC_CID_HASH = "quic_cid_hash"
    FLOW_HASH = "flow_hash"
    UNKNOWN = "unknown"


class ActivityStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def breaches(self, value: float, threshold: float) -> bool:
        if self is Comparison.GT:
            return value > threshold
        if self is Comparison.GE:
            return value >= threshold
        if self is Comparison.LT:
            return value < threshold
        return value <= threshold


class Statistic(StrEnum):
    AVERAGE = "average"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    SUM = "sum"
    SAMPLE_COUNT = "sample_count"


class MissingData(StrEnum):
    """CloudWatch's TreatMissingData; the Chinese clouds behave as ``missing``."""

    MISSING = "missing"
    NOT_BREACHING = "not_breaching"
    BREACHING = "breaching"
    IGNORE = "ignore"


# The portable metric names and their units. Providers map these to their native metric names
# and declare in their capability table which they cannot express.
# The rules' vocabulary lives here, free of pydantic: provider capability tables and the read
# paths use it without importing the rule schema (scalectl.core.rules re-exports it).
class AdjustmentType(StrEnum):
    CHANGE = "change"  # AWS ChangeInCapacity, Alibaba QuantityChangeInCapacity
    EXACT = "exact"  # AWS ExactCapacity, Alibaba TotalCapacity
    PERCENT = "percent"  # PercentChangeInCapacity


class PercentRounding(StrEnum):
    """How a percent adjustment becomes a whole number of instances (per cloud)."""

    AWS = "aws"  # magnitude truncated toward zero, at least 1
    NEAREST = "nearest"  # Alibaba: round to the nearest integer


class PredictiveMode(StrEnum):
    FORECAST_ONLY = "forecast_only"
    FORECAST_AND_SCALE = "forecast_and_scale"


class MaxCapacityBehavior(StrEnum):
    HONOR = "honor"
    INCREASE = "increase"


RULE_KINDS: tuple[str, ...] = ("target_tracking", "step", "simple", "scheduled", "predictive")

METRICS: dict[str, str] = {
    "cpu": "%",
    "memory": "%",
    "network_in": "bytes",
    "network_out": "bytes",
    "requests_per_target": "count",
    "latency_ms": "ms",
    "error_rate": "%",
}


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset; naive datetimes are a bug upstream, so refuse them loudly."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: every time in scalectl carries an offset")
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    state: InstanceState
    health: Health
    zone: str
    group: str = ""
    launched_at: datetime | None = None
    warming: bool = False
    protected: bool = False
    native_state: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state.value,
            "health": self.health.value,
            "zone": self.zone,
            "group": self.group,
            "launched_at": iso(self.launched_at),
            "warming": self.warming,
            "protected": self.protected,
            "native_state": self.native_state,
        }


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    provider: str
    region: str
    min: int
    max: int
    desired: int
    in_service: int
    status: str = "active"
    pending: int = 0
    terminating: int = 0
    zones: tuple[str, ...] = ()
    default_cooldown_s: int = 300
    warmup_s: int | None = None
    suspended: tuple[str, ...] = ()
    balancer_ids: tuple[str, ...] = ()
    instances: tuple[Instance, ...] = ()
    created_at: datetime | None = None
    # The provider's last value of the group's main metric (CPU %), when it reports one cheaply.
    metric: float | None = None

    @property
    def scaling_suspended(self) -> bool:
        return bool(self.suspended)

    def to_dict(self, *, with_instances: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "region": self.region,
            "min": self.min,
            "max": self.max,
            "desired": self.desired,
            "in_service": self.in_service,
            "status": self.status,
            "pending": self.pending,
            "terminating": self.terminating,
            "zones": list(self.zones),
            "default_cooldown_s": self.default_cooldown_s,
            "warmup_s": self.warmup_s,
            "suspended": list(self.suspended),
            "balancer_ids": list(self.balancer_ids),
            "metric": self.metric,
        }
        if with_instances:
            data["instances"] = [i.to_dict() for i in self.instances]
        return data


@dataclass(frozen=True, slots=True)
class Listener:
    protocol: str
    port: int
    algorithm: Algorithm
    native_algorithm: str
    id: str = ""
    group: str = ""  # the group its backends belong to, where the provider says

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "protocol": self.protocol,
            "port": self.port,
            "algorithm": self.algorithm.value,
            "native_algorithm": self.native_algorithm,
        }


@dataclass(frozen=True, slots=True)
class Backend:
    id: str
    port: int
    weight: int
    health: Health
    zone: str = ""
    native_health: str = ""
    # Share of the balancer's recent requests that this backend took (0..1), where known.
    load_share: float | None = None
    connections: int | None = None
    group: str = ""  # the group the backend instance belongs to, where known

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "port": self.port,
            "weight": self.weight,
            "health": self.health.value,
            "zone": self.zone,
            "native_health": self.native_health,
            "load_share": self.load_share,
            "connections": self.connections,
        }


@dataclass(frozen=True, slots=True)
class Balancer:
    id: str
    name: str
    provider: str
    listeners: tuple[Listener, ...]
    backends: tuple[Backend, ...]
    region: str = ""
    status: str = "active"
    group_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "region": self.region,
            "status": self.status,
            "groups": list(self.group_ids),
            "listeners": [listener.to_dict() for listener in self.listeners],
            "backends": [backend.to_dict() for backend in self.backends],
        }


@dataclass(frozen=True, slots=True)
class Alarm:
    id: str
    name: str
    provider: str
    state: AlarmState
    metric: str
    comparison: Comparison
    threshold: float
    group: str = ""
    since: datetime | None = None
    value: float | None = None
    period_s: int = 60
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    statistic: Statistic = Statistic.AVERAGE
    missing_data: MissingData = MissingData.MISSING
    actions: tuple[str, ...] = ()
    # Who owns the alarm: "user", or "target_tracking" for alarms a target-tracking rule manages.
    managed_by: str = "user"
    native_metric: str = ""
    # "metric" (a threshold on a metric), "composite" (AND/OR/NOT of other alarms' states) or
    # "predictive" (the forecast of a metric crosses the threshold within horizon_s).
    kind: str = "metric"
    rule: str = ""  # composite: the expression, e.g. ALARM("a") AND NOT OK("b")
    parts: tuple[str, ...] = ()  # composite: the alarms it combines
    horizon_s: int | None = None  # predictive: how far ahead it looks
    expected_at: datetime | None = None  # predictive: when the forecast breaches

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "kind": self.kind,
            "state": self.state.value,
            "metric": self.metric,
            "comparison": self.comparison.value,
            "threshold": self.threshold,
            "group": self.group,
            "since": iso(self.since),
            "value": self.value,
            "period_s": self.period_s,
            "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints_to_alarm,
            "statistic": self.statistic.value,
            "missing_data": self.missing_data.value,
            "actions": list(self.actions),
            "managed_by": self.managed_by,
            "native_metric": self.native_metric,
            "rule": self.rule,
            "parts": list(self.parts),
            "horizon_s": self.horizon_s,
            "expected_at": iso(self.expected_at),
        }


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    group: str
    status: ActivityStatus
    cause: str
    started_at: datetime
    ended_at: datetime | None = None
    description: str = ""
    from_capacity: int | None = None
    to_capacity: int | None = None
    progress: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "status": self.status.value,
            "cause": self.cause,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "description": self.description,
            "from_capacity": self.from_capacity,
            "to_capacity": self.to_capacity,
            "progress": self.progress,
        }


@dataclass(frozen=True, slots=True)
class MetricPoint:
    at: datetime
    value: float | None


@dataclass(frozen=True, slots=True)
class MetricSeries:
    group: str
    metric: str
    unit: str
    period_s: int
    points: tuple[MetricPoint, ...] = field(default_factory=tuple)

    def values(self) -> list[float | None]:
        return [p.value for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "metric": self.metric,
            "unit": self.unit,
            "period_s": self.period_s,
            "points": [{"at": iso(p.at), "value": p.value} for p in self.points],
        }
