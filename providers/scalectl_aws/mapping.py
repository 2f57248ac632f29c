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
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    MaxCapacityBehavior,
    PredictiveMode,
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
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
_NATIVE_COMPARISONS = {v: k for k, v in COMPARISONS.items()}
# Anomaly-band operators have no plain threshold; show them by the side they fire on.
_NATIVE_COMPARISONS.update(
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
_NATIVE_STATISTICS = {v: k for k, v in STATISTICS.items()}
MISSING_DATA: dict[MissingData, str] = {
    MissingData.MISSING: "missing",
    MissingData.NOT_BREACHING: "notBreaching",
    MissingData.BREACHING: "breaching",
    MissingData.IGNORE: "ignore",
}
_NATIVE_MISSING = {v: k for k, v in MISSING_DATA.items()}
ADJUSTMENTS: dict[AdjustmentType, str] = {
    AdjustmentType.CHANGE: "ChangeInCapacity",
    AdjustmentType.EXACT: "ExactCapacity",
    AdjustmentType.PERCENT: "PercentChangeInCapacity",
}
_NATIVE_ADJUSTMENTS = {v: k for k, v in ADJUSTMENTS.items()}
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
        comparison=_NATIVE_COMPARISONS.get(raw.get("ComparisonOperator", ""), Comparison.GT),
        threshold=float(raw.get("Threshold", 0.0)),
        group=alarm_group(raw),
        since=utc(raw.get("StateUpdatedTimestamp")),
        value=alarm_value(raw),
        period_s=int(raw.get("Period", 60)),
        evaluation_periods=evaluation,
        datapoints_to_alarm=int(raw.get("DatapointsToAlarm") or evaluation),
        statistic=_NATIVE_STATISTICS.get(raw.get("Statistic", ""), Statistic.AVERAGE),
        missing_data=_NATIVE_MISSING.get(raw.get("TreatMissingData", ""), MissingData.MISSING),
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


def linked_alarm(
    policy: Mapping[str, Any], alarms: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The alarm whose AlarmActions hold this policy's ARN (AWS also lists it in policy.Alarms)."""
    arn = policy.get("PolicyARN", "")
    names = {a.get("AlarmName") for a in policy.get("Alarms", [])}
    for alarm in alarms:
        if arn in alarm.get("AlarmActions", []) or alarm.get("AlarmName") in names:
            return dict(alarm)
    return None


def _metric_from_type(value: str, table: Mapping[str, str]) -> str:
    for metric, native in table.items():
        if native == value:
            return metric
    return f"aws:{value}"


def _alarm_fields(alarm: Mapping[str, Any]) -> dict[str, Any]:
    evaluation = int(alarm.get("EvaluationPeriods", 1))
    dta = alarm.get("DatapointsToAlarm")
    return {
        "metric": alarm_metric(alarm),
        "comparison": _NATIVE_COMPARISONS.get(alarm.get("ComparisonOperator", ""), Comparison.GT),
        "threshold": float(alarm.get("Threshold", 0.0)),
        "statistic": _NATIVE_STATISTICS.get(alarm.get("Statistic", ""), Statistic.AVERAGE),
        "period_s": int(alarm.get("Period", 60)),
        "evaluation_periods": evaluation,
        # Portable None means "same as evaluation_periods", which is AWS's default too.
        "datapoints_to_alarm": int(dta) if dta is not None and int(dta) != evaluation else None,
        "missing_data": _NATIVE_MISSING.get(alarm.get("TreatMissingData", ""), MissingData.MISSING),
    }


def policy_to_rule(
    policy: Mapping[str, Any], alarms: Sequence[Mapping[str, Any]]
) -> AnyRule | None:
    """A native scaling policy as a portable rule; None when it cannot be represented.

    A step or simple policy with no alarm pointing at it is inert on AWS and has no threshold to
    express, so it is left out.
    """
    common: dict[str, Any] = {
        "name": policy["PolicyName"],
        "group": policy["AutoScalingGroupName"],
        "enabled": bool(policy.get("Enabled", True)),
    }
    kind = policy.get("PolicyType", "SimpleScaling")
    if kind == "TargetTrackingScaling":
        config = policy.get("TargetTrackingConfiguration", {})
        predefined = config.get("PredefinedMetricSpecification")
        if predefined:
            metric = _metric_from_type(predefined.get("PredefinedMetricType", ""), TT_METRICS)
        else:
            custom = config.get("CustomizedMetricSpecification", {})
            metric = f"aws:{custom.get('Namespace', '')}/{custom.get('MetricName', '')}"
        warmup = policy.get("EstimatedInstanceWarmup")
        return TargetTrackingRule(
            **common,
            metric=metric,
            target=float(config["TargetValue"]),
            disable_scale_in=bool(config.get("DisableScaleIn", False)),
            warmup_s=int(warmup) if warmup is not None else None,
        )
    if kind == "PredictiveScaling":
        config = policy.get("PredictiveScalingConfiguration", {})
        spec = (config.get("MetricSpecifications") or [{}])[0]
        pair = spec.get("PredefinedMetricPairSpecification", {})
        buffer = config.get("MaxCapacityBuffer")
        scheduling_buffer = config.get("SchedulingBufferTime")
        return PredictiveRule(
            **common,
            metric=_metric_from_type(pair.get("PredefinedMetricType", ""), PREDICTIVE_METRICS),
            target=float(spec.get("TargetValue", 0.0)),
            mode=(
                PredictiveMode.FORECAST_AND_SCALE
                if config.get("Mode") == "ForecastAndScale"
                else PredictiveMode.FORECAST_ONLY
            ),
            buffer_s=300 if scheduling_buffer is None else int(scheduling_buffer),  # AWS default
            max_capacity_behavior=(
                MaxCapacityBehavior.INCREASE
                if config.get("MaxCapacityBreachBehavior") == "IncreaseMaxCapacity"
                else MaxCapacityBehavior.HONOR
            ),
            max_capacity_buffer=int(buffer) if buffer is not None else None,
        )
    alarm = linked_alarm(policy, alarms)
    if alarm is None:
        return None
    adjustment_type = _NATIVE_ADJUSTMENTS.get(
        policy.get("AdjustmentType", ""), AdjustmentType.CHANGE
    )
    magnitude = policy.get("MinAdjustmentMagnitude")
    shared = {
        **common,
        **_alarm_fields(alarm),
        "adjustment_type": adjustment_type,
        "min_adjustment_magnitude": int(magnitude) if magnitude is not None else None,
    }
    if kind == "StepScaling":
        warmup = policy.get("EstimatedInstanceWarmup")
        return StepRule(
            **shared,
            steps=[
                Step(
                    lower=s.get("MetricIntervalLowerBound"),
                    upper=s.get("MetricIntervalUpperBound"),
                    adjustment=int(s["ScalingAdjustment"]),
                )
                for s in policy.get("StepAdjustments", [])
            ],
            warmup_s=int(warmup) if warmup is not None else None,
        )
    cooldown = policy.get("Cooldown")
    return SimpleRule(
        **shared,
        adjustment=int(policy.get("ScalingAdjustment", 0)),
        cooldown_s=int(cooldown) if cooldown is not None else None,
    )


def scheduled_to_rule(action: Mapping[str, Any]) -> ScheduledRule:
    """A scheduled action as a portable rule.

    For a recurring action AWS reports StartTime as the next run, not what the user set, so a
    recurring rule's ``start`` is not read back (only ``end``).
    """
    recurrence = action.get("Recurrence")
    start = utc(action.get("StartTime"))
    return ScheduledRule(
        name=action["ScheduledActionName"],
        group=action["AutoScalingGroupName"],
        cron=recurrence or None,
        at=None if recurrence else start,
        timezone=action.get("TimeZone") or "UTC",
        end=utc(action.get("EndTime")),
        min=action.get("MinSize"),
        max=action.get("MaxSize"),
        desired=action.get("DesiredCapacity"),
    )


def rule_to_policy(rule: AnyRule, resource_label: str | None) -> dict[str, Any]:
    """PutScalingPolicy parameters for a target-tracking, step, simple or predictive rule."""
    params: dict[str, Any] = {
        "AutoScalingGroupName": rule.group,
        "PolicyName": rule.name,
        "Enabled": rule.enabled,
    }
    if isinstance(rule, TargetTrackingRule):
        spec: dict[str, Any] = {"PredefinedMetricType": TT_METRICS[rule.metric]}
        if resource_label:
            spec["ResourceLabel"] = resource_label
        params["PolicyType"] = "TargetTrackingScaling"
        params["TargetTrackingConfiguration"] = {
            "PredefinedMetricSpecification": spec,
            "TargetValue": rule.target,
            "DisableScaleIn": rule.disable_scale_in,
        }
        if rule.warmup_s is not None:
            params["EstimatedInstanceWarmup"] = rule.warmup_s
    elif isinstance(rule, PredictiveRule):
        pair: dict[str, Any] = {"PredefinedMetricType": PREDICTIVE_METRICS[rule.metric]}
        if resource_label:
            pair["ResourceLabel"] = resource_label
        config: dict[str, Any] = {
            "MetricSpecifications": [
                {"TargetValue": rule.target, "PredefinedMetricPairSpecification": pair}
            ],
            "Mode": (
                "ForecastAndScale"
                if rule.mode is PredictiveMode.FORECAST_AND_SCALE
                else "ForecastOnly"
            ),
            "SchedulingBufferTime": rule.buffer_s,
            "MaxCapacityBreachBehavior": (
                "IncreaseMaxCapacity"
                if rule.max_capacity_behavior is MaxCapacityBehavior.INCREASE
                else "HonorMaxCapacity"
            ),
        }
        if rule.max_capacity_behavior is MaxCapacityBehavior.INCREASE:
            config["MaxCapacityBuffer"] = rule.max_capacity_buffer or 0
        params["PolicyType"] = "PredictiveScaling"
        params["PredictiveScalingConfiguration"] = config
    elif isinstance(rule, StepRule):
        params["PolicyType"] = "StepScaling"
        params["AdjustmentType"] = ADJUSTMENTS[rule.adjustment_type]
        # Step policies aggregate with Average, Minimum or Maximum only.
        if rule.statistic in (Statistic.MINIMUM, Statistic.MAXIMUM):
            params["MetricAggregationType"] = STATISTICS[rule.statistic]
        else:
            params["MetricAggregationType"] = "Average"
        steps = []
        for step in rule.steps:
            native: dict[str, Any] = {"ScalingAdjustment": step.adjustment}
            if step.lower is not None:
                native["MetricIntervalLowerBound"] = step.lower
            if step.upper is not None:
                native["MetricIntervalUpperBound"] = step.upper
            steps.append(native)
        params["StepAdjustments"] = steps
        if rule.warmup_s is not None:
            params["EstimatedInstanceWarmup"] = rule.warmup_s
        if rule.min_adjustment_magnitude is not None:
            params["MinAdjustmentMagnitude"] = rule.min_adjustment_magnitude
    elif isinstance(rule, SimpleRule):
        params["PolicyType"] = "SimpleScaling"
        params["AdjustmentType"] = ADJUSTMENTS[rule.adjustment_type]
        params["ScalingAdjustment"] = rule.adjustment
        if rule.cooldown_s is not None:
            params["Cooldown"] = rule.cooldown_s
        if rule.min_adjustment_magnitude is not None:
            params["MinAdjustmentMagnitude"] = rule.min_adjustment_magnitude
    else:
        raise TypeError(f"{rule.kind} rules are not scaling policies")
    return params


def rule_to_alarm(
    rule: StepRule | SimpleRule, alarm_name: str, policy_arn: str, target_group: str | None
) -> dict[str, Any]:
    """PutMetricAlarm parameters for the alarm that drives a step or simple rule."""
    namespace, metric_name, dimension = ALARM_METRICS[rule.metric]
    if dimension == "tg":
        dimensions = [{"Name": "TargetGroup", "Value": target_group or ""}]
    else:
        dimensions = [{"Name": "AutoScalingGroupName", "Value": rule.group}]
    return {
        "AlarmName": alarm_name,
        "AlarmDescription": f"scalectl: drives the {rule.kind} rule {rule.group}/{rule.name}",
        "Namespace": namespace,
        "MetricName": metric_name,
        "Dimensions": dimensions,
        "Statistic": STATISTICS[rule.statistic],
        "Period": rule.period_s,
        "EvaluationPeriods": rule.evaluation_periods,
        "DatapointsToAlarm": rule.datapoints_to_alarm or rule.evaluation_periods,
        "Threshold": rule.threshold,
        "ComparisonOperator": COMPARISONS[rule.comparison],
        "TreatMissingData": MISSING_DATA[rule.missing_data],
        "ActionsEnabled": rule.enabled,
        "AlarmActions": [policy_arn],
    }


def rule_to_scheduled(rule: ScheduledRule) -> dict[str, Any]:
    params: dict[str, Any] = {
        "AutoScalingGroupName": rule.group,
        "ScheduledActionName": rule.name,
    }
    if rule.cron:
        params["Recurrence"] = rule.cron
        params["TimeZone"] = rule.timezone
        if rule.start is not None:
            params["StartTime"] = rule.start
        if rule.end is not None:
            params["EndTime"] = rule.end
    elif rule.at is not None:
        params["StartTime"] = rule.at
        if rule.timezone != "UTC":
            params["TimeZone"] = rule.timezone
    for key, value in (
        ("MinSize", rule.min),
        ("MaxSize", rule.max),
        ("DesiredCapacity", rule.desired),
    ):
        if value is not None:
            params[key] = value
    return params
