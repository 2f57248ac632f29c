"""ESS/SLB JSON -> the core model (groups, instances, alarms, activities, listeners, backends)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scalectl.core.model import (
    Activity,
    ActivityStatus,
    Alarm,
    AlarmState,
    Algorithm,
    Backend,
    Comparison,
    Group,
    Health,
    Instance,
    InstanceState,
    Listener,
    Statistic,
)
from scalectl_alibaba import native

PROVIDER = "alibaba"

_INSTANCE_STATES = {
    "Pending": InstanceState.PENDING,
    "Pending:Wait": InstanceState.PENDING,
    "InService": InstanceState.IN_SERVICE,
    "Protected": InstanceState.IN_SERVICE,
    "Standby": InstanceState.STANDBY,
    "Stopped": InstanceState.STANDBY,
    "Removing": InstanceState.TERMINATING,
    "Removing:Wait": InstanceState.TERMINATING,
}
_ACTIVITY_STATES = {
    "InProgress": ActivityStatus.IN_PROGRESS,
    "Successful": ActivityStatus.SUCCESSFUL,
    "Warning": ActivityStatus.SUCCESSFUL,  # partly done: ESS still counts it as finished
    "Failed": ActivityStatus.FAILED,
    "Rejected": ActivityStatus.REJECTED,
}
_BACKEND_HEALTH = {"normal": Health.HEALTHY, "abnormal": Health.UNHEALTHY}
_FROM_TO = re.compile(r'from "?(\d+)"? to "?(\d+)"?')
_ALARM_STATES = {"OK": AlarmState.OK, "ALARM": AlarmState.ALARM}


def items(node: Any, item: str) -> list[Any]:
    """The list inside an RPC double wrapper (``{"LoadBalancerId": [...]}``), tolerating absence."""
    if isinstance(node, Mapping):
        value = node.get(item) or []
        return list(value) if isinstance(value, list) else [value]
    return []


def time_of(text: Any) -> datetime | None:
    return native.parse_time(str(text)) if text else None


def group(raw: Mapping[str, Any], *, instances: tuple[Instance, ...] = ()) -> Group:
    state = str(raw.get("LifecycleState") or "Active")
    zones = sorted({i.zone for i in instances if i.zone})
    return Group(
        id=str(raw["ScalingGroupId"]),
        name=str(raw["ScalingGroupName"]),
        provider=PROVIDER,
        region=str(raw.get("RegionId") or ""),
        min=int(raw["MinSize"]),
        max=int(raw["MaxSize"]),
        desired=_desired(raw),
        in_service=int(raw.get("ActiveCapacity") or 0),
        status=state.lower(),
        pending=int(raw.get("PendingCapacity") or 0) + int(raw.get("PendingWaitCapacity") or 0),
        terminating=int(raw.get("RemovingCapacity") or 0)
        + int(raw.get("RemovingWaitCapacity") or 0),
        zones=tuple(zones),
        default_cooldown_s=int(raw.get("DefaultCooldown") or 300),
        suspended=tuple(
            native.PROCESS_FROM_NATIVE.get(p, p)
            for p in items(raw.get("SuspendedProcesses"), "SuspendedProcess")
        ),
        balancer_ids=tuple(items(raw.get("LoadBalancerIds"), "LoadBalancerId")),
        instances=instances,
        created_at=time_of(raw.get("CreationTime")),
    )


def _desired(raw: Mapping[str, Any]) -> int:
    """DesiredCapacity when the group uses it; otherwise ESS keeps TotalCapacity instances."""
    value = raw.get("DesiredCapacity")
    return int(value if value is not None else raw.get("TotalCapacity") or 0)


def instance(raw: Mapping[str, Any], group_name: str) -> Instance:
    native_state = str(raw.get("LifecycleState") or "")
    state = _INSTANCE_STATES.get(native_state, InstanceState.PENDING)
    if state is InstanceState.PENDING:
        health = Health.UNKNOWN  # ESS calls anything not yet Running unhealthy; it is not known
    else:
        health = Health.HEALTHY if raw.get("HealthStatus") == "Healthy" else Health.UNHEALTHY
    return Instance(
        id=str(raw["InstanceId"]),
        state=state,
        health=health,
        zone=str(raw.get("ZoneId") or ""),
        group=group_name,
        launched_at=time_of(raw.get("CreatedTime") or raw.get("CreationTime")),
        warming=raw.get("WarmupState") == "WaitingForInstanceWarmup",
        protected=native_state == "Protected",
        native_state=native_state,
    )


def alarm(raw: Mapping[str, Any], group_name: str) -> Alarm:
    native_metric = str(raw.get("MetricName") or "")
    description = str(raw.get("Description") or "")
    name = str(raw.get("Name") or raw["AlarmTaskId"])
    managed = name.startswith("TargetTracking-") or description.startswith("DO NOT EDIT OR DELETE")
    count = int(raw.get("EvaluationCount") or 1)
    return Alarm(
        id=str(raw["AlarmTaskId"]),
        name=name,
        provider=PROVIDER,
        state=_ALARM_STATES.get(str(raw.get("State")), AlarmState.INSUFFICIENT_DATA),
        metric=native.METRIC_FROM_NATIVE.get(native_metric, native_metric),
        comparison=Comparison(str(raw.get("ComparisonOperator") or ">=")),
        threshold=float(raw.get("Threshold") or 0),
        group=group_name,
        period_s=int(raw.get("Period") or 300),
        evaluation_periods=count,
        datapoints_to_alarm=count,  # ESS counts consecutive periods: M = N
        statistic=native.STATISTIC_FROM_NATIVE.get(str(raw.get("Statistics")), Statistic.AVERAGE),
        actions=tuple(items(raw.get("AlarmActions"), "AlarmAction")),
        managed_by="target_tracking" if managed else "user",
        native_metric=native_metric,
    )


def activity(raw: Mapping[str, Any], group_name: str) -> Activity:
    started = time_of(raw.get("StartTime"))
    if started is None:
        raise ValueError("activity without StartTime")
    total = raw.get("TotalCapacity")
    # ESS words capacity changes as 'changing the Total Capacity from "1" to "2"' in Cause.
    change = _FROM_TO.search(str(raw.get("Cause") or ""))
    return Activity(
        id=str(raw["ScalingActivityId"]),
        group=group_name,
        status=_ACTIVITY_STATES.get(str(raw.get("StatusCode")), ActivityStatus.IN_PROGRESS),
        cause=str(raw.get("Cause") or ""),
        started_at=started,
        ended_at=time_of(raw.get("EndTime")),
        description=str(raw.get("Description") or ""),
        from_capacity=int(change.group(1)) if change else None,
        to_capacity=int(total) if total not in (None, "") else None,
        progress=int(raw["Progress"]) if raw.get("Progress") not in (None, "") else None,
    )


def listener(protocol: str, port: int, scheduler: str) -> Listener:
    return Listener(
        protocol=protocol.upper(),
        port=port,
        algorithm=native.SCHEDULERS.get(scheduler, Algorithm.UNKNOWN),
        native_algorithm=scheduler,
        id=f"{protocol}:{port}",
    )


def backends(
    servers: list[Mapping[str, Any]], health_rows: list[Mapping[str, Any]]
) -> tuple[Backend, ...]:
    """Backends with their worst health over listeners (one abnormal check marks it unhealthy)."""
    rank = {Health.UNHEALTHY: 2, Health.UNKNOWN: 1, Health.HEALTHY: 0}
    health: dict[str, tuple[Health, str, int]] = {}
    for row in health_rows:
        sid = str(row.get("ServerId"))
        native_health = str(row.get("ServerHealthStatus") or "unavailable")
        value = _BACKEND_HEALTH.get(native_health, Health.UNKNOWN)
        port = int(row.get("Port") or 0)
        if sid not in health or rank[value] > rank[health[sid][0]]:
            health[sid] = (value, native_health, port)
    out = []
    for server in servers:
        sid = str(server["ServerId"])
        value, native_health, port = health.get(sid, (Health.UNKNOWN, "unavailable", 0))
        out.append(
            Backend(
                id=sid,
                port=port,
                weight=int(server.get("Weight") or 0),
                health=value,
                native_health=native_health,
            )
        )
    return tuple(out)
