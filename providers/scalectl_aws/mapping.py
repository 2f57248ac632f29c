"""Pure translation between AWS payloads (boto3 dicts) and the scalectl model and rules.

No boto3 here: these functions take and return plain dicts, so they are testable on the
documented AWS examples as well as on what moto serves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from scalectl.core import alarm_rules
from scalectl.core.errors import InputError
from scalectl.core.model import (
    Activity,
    ActivityStatus,
    AdjustmentType,
    Alarm,
    AlarmState,
    Algorithm,
    Comparison,
    Group,
    Health,
    Instance,
    InstanceState,
    Listener,
    MissingData,
    Statistic,
)

PROVIDER = "aws"
TARGET_TRACKING_PREFIX = "TargetTracking-"
# Alarms scalectl creates for step and simple rules; delete_rule removes only these.
OWN_ALARM_PREFIX = "scalectl-"

# Portable metric -> (CloudWatch namespace, metric name, dimension kind). "asg" alarms carry the
# AutoScalingGroupName dimension, "tg" the target group's TargetGroup dimension.
ALARM_METRICS: dict[str, tuple[str, str, str]] = {
    "cpu": ("AWS/EC2", "CPUUtilization", "asg"),
    "network_in": ("AWS/EC2", "NetworkIn", "asg"),
    "network_out": ("AWS/EC2", "NetworkOut", "asg"),
    "requests_per_target": ("AWS/ApplicationELB", "RequestCountPerTarget", "tg"),
}
# Metrics that can be charted but not used in rules (no predefined target-tracking metric).
CHART_METRICS: dict[str, tuple[str, str, str]] = {
    **ALARM_METRICS,
    "memory": ("CWAgent", "mem_used_percent", "asg"),
    "latency_ms": ("AWS/ApplicationELB", "TargetResponseTime", "tg"),
}
TT_METRICS: dict[str, str] = {
    "cpu": "ASGAverageCPUUtilization",
    "network_in": "ASGAverageNetworkIn",
    "network_out": "ASGAverageNetworkOut",
    "requests_per_target": "ALBRequestCountPerTarget",
}
PREDICTIVE_METRICS: dict[str, str] = {
    "cpu": "ASGCPUUtilization",
    "network_in": "ASGNetworkIn",
    "network_out": "ASGNetworkOut",
    "requests_per_target": "ALBRequestCount",
}
NEEDS_RESOURCE_LABEL = frozenset({"requests_per_target"})

_NATIVE_TO_METRIC = {(ns, name): metric for metric, (ns, name, _) in CHART_METRICS.items()}

COMPARISONS: dict[Comparison, str] = {
    Comparison.GT: "GreaterThanThreshold",
    Comparison.GE: "GreaterThanOrEqualToThreshold",
    Comparison.LT: "LessThanThreshold",
    Comparison.LE: "LessThanOrEqualToThreshold",
}
NATIVE_COMPARISONS = {v: k for k, v in COMPARISONS.items()}
# Anomaly-band operators have no plain threshold; show them by the side they fire on.
NATIVE_COMPARISONS.update(
    {
        "GreaterThanUpperThreshold": Comparison.GT,
        "LessThanLowerThreshold": Comparison.LT,
        "LessThanLowerOrGreaterThanUpperThreshold": Comparison.GT,
    }
)
STATISTICS: dict[Statistic, str] = {
    Statistic.AVERAGE: "Average",
    Statistic.MINIMUM: "Minimum",
    Statistic.MAXIMUM: "Maximum",
    Statistic.SUM: "Sum",
    Statistic.SAMPLE_COUNT: "SampleCount",
}
NATIVE_STATISTICS = {v: k for k, v in STATISTICS.items()}
MISSING_DATA: dict[MissingData, str] = {
    MissingData.MISSING: "missing",
    MissingData.NOT_BREACHING: "notBreaching",
    MissingData.BREACHING: "breaching",
    MissingData.IGNORE: "ignore",
}
NATIVE_MISSING = {v: k for k, v in MISSING_DATA.items()}
ADJUSTMENTS: dict[AdjustmentType, str] = {
    AdjustmentType.CHANGE: "ChangeInCapacity",
    AdjustmentType.EXACT: "ExactCapacity",
    AdjustmentType.PERCENT: "PercentChangeInCapacity",
}
NATIVE_ADJUSTMENTS = {v: k for k, v in ADJUSTMENTS.items()}
ALGORITHMS: dict[str, Algorithm] = {
    "round_robin": Algorithm.ROUND_ROBIN,
    "least_outstanding_requests": Algorithm.LEAST_OUTSTANDING_REQUESTS,
    "weighted_random": Algorithm.WEIGHTED_RANDOM,
}
_ALARM_STATES = {
    "OK": AlarmState.OK,
    "ALARM": AlarmState.ALARM,
    "INSUFFICIENT_DATA": AlarmState.INSUFFICIENT_DATA,
}
_ACTIVITY_STATUS = {
    "Successful": ActivityStatus.SUCCESSFUL,
    "Failed": ActivityStatus.FAILED,
    "Cancelled": ActivityStatus.CANCELLED,
}
_CAPACITY_CHANGE = re.compile(r"from (\d+) to (\d+)")


def utc(value: datetime | None) -> datetime | None:
    """botocore parses times with tzlocal (or naive for some shapes); scalectl speaks UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def instance_state(lifecycle: str) -> InstanceState:
    """AWS LifecycleState (about 30 values, warm-pool ones included) -> the five portable states."""
    if lifecycle == "InService":
        return InstanceState.IN_SERVICE
    if lifecycle in ("Standby", "EnteringStandby"):
        return InstanceState.STANDBY
    if lifecycle in ("Terminated", "Detached", "Warmed:Terminated"):
        return InstanceState.TERMINATED
    if lifecycle.startswith(("Terminating", "Detaching", "Warmed:Terminating")):
        return InstanceState.TERMINATING
    # Pending*, Quarantined, root-volume replacement and the warm pool: not serving yet.
    return InstanceState.PENDING


def instance_health(status: str) -> Health:
    # DescribeAutoScalingGroups says "Healthy", DescribeAutoScalingInstances "HEALTHY".
    lowered = status.lower()
    if lowered == "healthy":
        return Health.HEALTHY
    if lowered == "unhealthy":
        return Health.UNHEALTHY
    return Health.UNKNOWN


def target_health(state: str) -> Health:
    if state == "healthy":
        return Health.HEALTHY
    if state in ("unhealthy", "unhealthy.draining"):
        return Health.UNHEALTHY
    return Health.UNKNOWN  # initial, unused, draining, unavailable


def group_name_from_arn(value: str) -> str:
    """ASG ARN (…:autoScalingGroupName/NAME) -> NAME; a plain name is returned unchanged."""
    marker = ":autoScalingGroupName/"
    if value.startswith("arn:") and marker in value:
        return value.split(marker, 1)[1]
    return value


def policy_from_arn(arn: str) -> tuple[str, str] | None:
    """Scaling policy ARN -> (group, policy name); None for any other ARN (SNS, …)."""
    match = re.search(r":scalingPolicy:[^:]*:autoScalingGroupName/(.+):policyName/(.+)$", arn)
    return (match.group(1), match.group(2)) if match else None


def balancer_name_from_arn(arn: str) -> str:
    """arn:…:loadbalancer/app/NAME/ID -> NAME."""
    resource = arn.split(":loadbalancer/", 1)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) >= 3 else resource


def balancer_label(arn: str) -> str:
    """arn:…:loadbalancer/app/NAME/ID -> app/NAME/ID (the LoadBalancer dimension)."""
    return arn.split(":loadbalancer/", 1)[-1]


def target_group_label(arn: str) -> str:
    """arn:…:targetgroup/NAME/ID -> targetgroup/NAME/ID (the TargetGroup dimension)."""
    return "targetgroup/" + arn.split(":targetgroup/", 1)[-1]


def to_group(raw: Mapping[str, Any], region: str, balancer_ids: Sequence[str] = ()) -> Group:
    instances = tuple(
        Instance(
            id=i["InstanceId"],
            state=instance_state(i.get("LifecycleState", "")),
            health=instance_health(i.get("HealthStatus", "")),
            zone=i.get("AvailabilityZone", ""),
            group=raw["AutoScalingGroupName"],
            protected=bool(i.get("ProtectedFromScaleIn", False)),
            native_state=i.get("LifecycleState", ""),
        )
        for i in raw.get("Instances", [])
    )
    states = [i.state for i in instances]
    warmup = raw.get("DefaultInstanceWarmup")
    return Group(
        id=raw["AutoScalingGroupName"],
        name=raw["AutoScalingGroupName"],
        provider=PROVIDER,
        region=region,
        min=int(raw["MinSize"]),
        max=int(raw["MaxSize"]),
        desired=int(raw["DesiredCapacity"]),
        in_service=states.count(InstanceState.IN_SERVICE),
        # AWS sets Status only while a group is being deleted.
        status="deleting" if raw.get("Status") else "active",
        pending=states.count(InstanceState.PENDING),
        terminating=states.count(InstanceState.TERMINATING),
        zones=tuple(raw.get("AvailabilityZones", [])),
        default_cooldown_s=int(raw.get("DefaultCooldown", 300)),
        warmup_s=int(warmup) if warmup is not None and warmup >= 0 else None,
        suspended=tuple(p["ProcessName"] for p in raw.get("SuspendedProcesses", [])),
        balancer_ids=tuple(balancer_ids),
        instances=instances,
        created_at=utc(raw.get("CreatedTime")),
    )


def to_listener(listener: Mapping[str, Any], algorithm: Algorithm, native: str) -> Listener:
    return Listener(
        protocol=str(listener.get("Protocol", "")),
        port=int(listener.get("Port", 0)),
        algorithm=algorithm,
        native_algorithm=native,
        id=str(listener.get("ListenerArn", "")),
    )


def alarm_metric(raw: Mapping[str, Any]) -> str:
    namespace, name = raw.get("Namespace", ""), raw.get("MetricName", "")
    return _NATIVE_TO_METRIC.get((namespace, name), name or "expression")


def alarm_group(raw: Mapping[str, Any]) -> str:
    for dim in raw.get("Dimensions", []):
        if dim.get("Name") == "AutoScalingGroupName":
            return str(dim.get("Value", ""))
    # A target-tracking alarm on a target-group metric still names its group.
    name = str(raw.get("AlarmName", ""))
    if name.startswith(TARGET_TRACKING_PREFIX):
        rest = name[len(TARGET_TRACKING_PREFIX) :]
        return re.sub(r"-Alarm(High|Low)-[0-9a-f-]+$", "", rest)
    return ""


def action_label(arn: str) -> str:
    """Scaling policy actions are shown by policy name; other actions keep their ARN."""
    policy = policy_from_arn(arn)
    return f"policy:{policy[1]}" if policy else arn


def alarm_value(raw: Mapping[str, Any]) -> float | None:
    """The latest datapoint CloudWatch evaluated, from StateReasonData (no extra call)."""
    try:
        data = json.loads(raw.get("StateReasonData") or "{}")
        points = data.get("recentDatapoints") or []
        return float(points[-1]) if points else None
    except (ValueError, TypeError, AttributeError):
        return None


def to_alarm(raw: Mapping[str, Any]) -> Alarm:
    evaluation = int(raw.get("EvaluationPeriods", 1))
    name = str(raw["AlarmName"])
    return Alarm(
        id=name,
        name=name,
        provider=PROVIDER,
        state=_ALARM_STATES.get(raw.get("StateValue", ""), AlarmState.INSUFFICIENT_DATA),
        metric=alarm_metric(raw),
        comparison=NATIVE_COMPARISONS.get(raw.get("ComparisonOperator", ""), Comparison.GT),
        threshold=float(raw.get("Threshold", 0.0)),
        group=alarm_group(raw),
        since=utc(raw.get("StateUpdatedTimestamp")),
        value=alarm_value(raw),
        period_s=int(raw.get("Period", 60)),
        evaluation_periods=evaluation,
        datapoints_to_alarm=int(raw.get("DatapointsToAlarm") or evaluation),
        statistic=NATIVE_STATISTICS.get(raw.get("Statistic", ""), Statistic.AVERAGE),
        missing_data=NATIVE_MISSING.get(raw.get("TreatMissingData", ""), MissingData.MISSING),
        actions=tuple(action_label(a) for a in raw.get("AlarmActions", [])),
        managed_by="target_tracking" if name.startswith(TARGET_TRACKING_PREFIX) else "user",
        native_metric=f"{raw.get('Namespace', '')}/{raw.get('MetricName', '')}",
    )


def to_composite_alarm(raw: Mapping[str, Any]) -> Alarm:
    """A CloudWatch composite alarm: its AlarmRule, and the alarms it names as its parts. A rule
    outside the grammar we parse (it cannot be, on AWS) still lists, without parts."""
    name = str(raw["AlarmName"])
    rule = str(raw.get("AlarmRule", ""))
    try:
        named = alarm_rules.parts(alarm_rules.parse_rule(rule))
    except InputError:
        named = ()
    # A rule may name a part by ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME): show the name.
    shown = tuple(p.rsplit(":alarm:", 1)[-1] for p in named)
    return Alarm(
        id=name,
        name=name,
        provider=PROVIDER,
        state=_ALARM_STATES.get(raw.get("StateValue", ""), AlarmState.INSUFFICIENT_DATA),
        metric="",
        comparison=Comparison.GT,
        threshold=0.0,
        since=utc(raw.get("StateUpdatedTimestamp")),
        actions=tuple(action_label(a) for a in raw.get("AlarmActions", [])),
        kind="composite",
        rule=rule,
        parts=shown,
    )


def to_activity(raw: Mapping[str, Any]) -> Activity:
    cause = str(raw.get("Cause", ""))
    change = _CAPACITY_CHANGE.search(cause)
    started = utc(raw.get("StartTime"))
    return Activity(
        id=str(raw["ActivityId"]),
        group=str(raw.get("AutoScalingGroupName", "")),
        status=_ACTIVITY_STATUS.get(raw.get("StatusCode", ""), ActivityStatus.IN_PROGRESS),
        cause=cause,
        started_at=started or datetime.now(UTC),
        ended_at=utc(raw.get("EndTime")),
        description=str(raw.get("Description", "")),
        from_capacity=int(change.group(1)) if change else None,
        to_capacity=int(change.group(2)) if change else None,
        progress=raw.get("Progress"),
    )
