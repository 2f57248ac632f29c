"""Tencent Cloud AS/CLB/Monitor wire values <-> the portable model. Pure: no SDK import.

Used by the adapter (wire dicts from the SDK's response models) and by the sim's Tencent emulator
(the same wire dicts, built from the sim world), so both speak one vocabulary. Sources for every
enum: tencentcloud-sdk-python models.py docstrings and the tccli examples (see
reference/autoscaling-semantics.md §4).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from scalectl.core.model import (
    ActivityStatus,
    AlarmState,
    Algorithm,
    Comparison,
    Health,
    InstanceState,
    Statistic,
)
from scalectl.core.rules import AdjustmentType, ScheduledRule, SimpleRule, TargetTrackingRule

# Tencent AS scheduled actions run in Beijing time (UTC+8); StartTime/EndTime carry +08:00.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
BEIJING_NAMES = ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC", "Etc/GMT-8")
# Tencent documents target tracking's scale-in alarm at 80 % of the target (CreateScalingPolicy).
TT_LOW_FRACTION = 0.8
TT_HIGH_PERIODS = 3
TT_LOW_PERIODS = 15
MAX_LIMIT = 100  # AS/CLB Limit and Monitor PageSize maximum
TARGET_HEALTH_BATCH = 30  # DescribeTargetHealth: at most 30 LoadBalancerIds per call
MONITOR_INSTANCES_PER_CALL = 10  # GetMonitorData: at most 10 instances per call

ADJUSTMENT_TO_WIRE = {
    AdjustmentType.CHANGE: "CHANGE_IN_CAPACITY",
    AdjustmentType.EXACT: "EXACT_CAPACITY",
    AdjustmentType.PERCENT: "PERCENT_CHANGE_IN_CAPACITY",
}
ADJUSTMENT_FROM_WIRE = {v: k for k, v in ADJUSTMENT_TO_WIRE.items()}

COMPARISON_TO_WIRE = {
    Comparison.GT: "GREATER_THAN",
    Comparison.GE: "GREATER_THAN_OR_EQUAL_TO",
    Comparison.LT: "LESS_THAN",
    Comparison.LE: "LESS_THAN_OR_EQUAL_TO",
}
COMPARISON_FROM_WIRE = {v: k for k, v in COMPARISON_TO_WIRE.items()}

STATISTIC_TO_WIRE = {
    Statistic.AVERAGE: "AVERAGE",
    Statistic.MAXIMUM: "MAXIMUM",
    Statistic.MINIMUM: "MINIMUM",
}
STATISTIC_FROM_WIRE = {v: k for k, v in STATISTIC_TO_WIRE.items()}

# SIMPLE policies: MetricAlarm.MetricName.
SIMPLE_METRIC_TO_WIRE = {
    "cpu": "CPU_UTILIZATION",
    "memory": "MEM_UTILIZATION",
    "network_in": "LAN_TRAFFIC_IN",
    "network_out": "LAN_TRAFFIC_OUT",
}
SIMPLE_METRIC_FROM_WIRE = {v: k for k, v in SIMPLE_METRIC_TO_WIRE.items()}

# TARGET_TRACKING policies: PredefinedMetricType (no memory metric exists for it).
TT_METRIC_TO_WIRE = {
    "cpu": "ASG_AVG_CPU_UTILIZATION",
    "network_in": "ASG_AVG_LAN_TRAFFIC_IN",
    "network_out": "ASG_AVG_LAN_TRAFFIC_OUT",
}
TT_METRIC_FROM_WIRE = {v: k for k, v in TT_METRIC_TO_WIRE.items()}

# Cloud Monitor, namespace QCE/CVM (dimension InstanceId): portable metric -> metric name.
MONITOR_NAMESPACE = "QCE/CVM"
MONITOR_METRIC_TO_WIRE = {
    "cpu": "CpuUsage",
    "memory": "MemUsage",
    "network_in": "LanIntraffic",
    "network_out": "LanOuttraffic",
}
MONITOR_METRIC_FROM_WIRE = {v: k for k, v in MONITOR_METRIC_TO_WIRE.items()}

MONITOR_OPERATOR_TO_WIRE = {
    Comparison.GT: "gt",
    Comparison.GE: "ge",
    Comparison.LT: "lt",
    Comparison.LE: "le",
}
MONITOR_OPERATOR_FROM_WIRE = {v: k for k, v in MONITOR_OPERATOR_TO_WIRE.items()}

# CLB schedulers: WRR, LEAST_CONN, IP_HASH (layer 7: per forwarding rule).
SCHEDULER_FROM_WIRE = {
    "WRR": Algorithm.WEIGHTED_ROUND_ROBIN,
    "LEAST_CONN": Algorithm.WEIGHTED_LEAST_CONNECTIONS,
    "IP_HASH": Algorithm.SOURCE_IP_HASH,
}
SCHEDULER_TO_WIRE: dict[Algorithm, str] = {
    Algorithm.ROUND_ROBIN: "WRR",
    Algorithm.WEIGHTED_ROUND_ROBIN: "WRR",
    Algorithm.RANDOM: "WRR",
    Algorithm.WEIGHTED_RANDOM: "WRR",
    Algorithm.LEAST_CONNECTIONS: "LEAST_CONN",
    Algorithm.WEIGHTED_LEAST_CONNECTIONS: "LEAST_CONN",
    Algorithm.LEAST_OUTSTANDING_REQUESTS: "LEAST_CONN",
    Algorithm.SOURCE_IP_HASH: "IP_HASH",
    Algorithm.FOUR_TUPLE_HASH: "IP_HASH",
    Algorithm.QUIC_CID_HASH: "IP_HASH",
    Algorithm.FLOW_HASH: "IP_HASH",
    Algorithm.UNKNOWN: "WRR",
}
LAYER7 = ("HTTP", "HTTPS")

LIFECYCLE_FROM_WIRE: dict[str, InstanceState] = {
    "IN_SERVICE": InstanceState.IN_SERVICE,
    "CREATING": InstanceState.PENDING,
    "ATTACHING": InstanceState.PENDING,
    "ATTACHING_LB": InstanceState.PENDING,
    "STARTING": InstanceState.PENDING,
    "IN_LAUNCHING_HOOK": InstanceState.PENDING,
    "MODIFYING_LB": InstanceState.IN_SERVICE,
    "STOPPING": InstanceState.STANDBY,
    "STOPPED": InstanceState.STANDBY,
    "START_FAILED": InstanceState.STANDBY,
    "STOP_FAILED": InstanceState.IN_SERVICE,
    "ATTACH_FAILED": InstanceState.TERMINATING,
    "TERMINATING": InstanceState.TERMINATING,
    "DETACHING": InstanceState.TERMINATING,
    "DETACHING_LB": InstanceState.TERMINATING,
    "IN_TERMINATING_HOOK": InstanceState.TERMINATING,
    "TERMINATION_FAILED": InstanceState.TERMINATING,
    "DETACH_FAILED": InstanceState.TERMINATING,
    "CREATION_FAILED": InstanceState.TERMINATED,
}
LIFECYCLE_TO_WIRE = {
    InstanceState.PENDING: "CREATING",
    InstanceState.IN_SERVICE: "IN_SERVICE",
    InstanceState.STANDBY: "STOPPED",
    InstanceState.TERMINATING: "TERMINATING",
    InstanceState.TERMINATED: "TERMINATING",
}
INSTANCE_HEALTH_FROM_WIRE = {
    "HEALTHY": Health.HEALTHY,
    "UNHEALTHY": Health.UNHEALTHY,
    "CLB_UNHEALTHY": Health.UNHEALTHY,
}

TARGET_HEALTH_FROM_WIRE = {
    "Alive": Health.HEALTHY,
    "Dead": Health.UNHEALTHY,
    "Unknown": Health.UNKNOWN,
    "Close": Health.UNKNOWN,
}
TARGET_HEALTH_TO_WIRE = {
    Health.HEALTHY: "Alive",
    Health.UNHEALTHY: "Dead",
    Health.UNKNOWN: "Unknown",
}

ACTIVITY_STATUS_FROM_WIRE = {
    "INIT": ActivityStatus.IN_PROGRESS,
    "RUNNING": ActivityStatus.IN_PROGRESS,
    "SUCCESSFUL": ActivityStatus.SUCCESSFUL,
    "PARTIALLY_SUCCESSFUL": ActivityStatus.SUCCESSFUL,
    "FAILED": ActivityStatus.FAILED,
    "CANCELLED": ActivityStatus.CANCELLED,
}
ACTIVITY_STATUS_TO_WIRE = {
    ActivityStatus.IN_PROGRESS: "RUNNING",
    ActivityStatus.SUCCESSFUL: "SUCCESSFUL",
    ActivityStatus.FAILED: "FAILED",
    ActivityStatus.CANCELLED: "CANCELLED",
    ActivityStatus.REJECTED: "FAILED",
}

# Alarm history AlarmStatus: ALARM = not recovered, OK = recovered, NO_DATA, NO_CONF (expired).
ALARM_STATUS_FROM_WIRE = {
    "ALARM": AlarmState.ALARM,
    "OK": AlarmState.OK,
    "NO_DATA": AlarmState.INSUFFICIENT_DATA,
    "NO_CONF": AlarmState.INSUFFICIENT_DATA,
}
ALARM_STATUS_TO_WIRE = {
    AlarmState.ALARM: "ALARM",
    AlarmState.OK: "OK",
    AlarmState.INSUFFICIENT_DATA: "NO_DATA",
}


# --- times -----------------------------------------------------------------------------------


def to_utc_z(value: datetime) -> str:
    """AS times (groups, activities): ISO 8601 in UTC with a Z, e.g. 2019-02-01T06:29:34Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_beijing(value: datetime) -> str:
    """Scheduled action times: ISO 8601 with +08:00."""
    return value.astimezone(BEIJING).isoformat(timespec="seconds")


def parse_time(text: str | None) -> datetime | None:
    """AS/Monitor ISO times; CLB's 'YYYY-MM-DD hh:mm:ss' is Beijing time without an offset."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value


# --- cron: Tencent recurrences are Beijing time, portable rules default to UTC ------------------


def shift_cron_hours(cron: str, hours: int) -> str | None:
    """Shift a five-field cron by whole hours, or None when that is not expressible.

    Expressible when the minute field is anything and the hour field is a list of plain numbers,
    and either no hour crosses midnight or day-of-month, month and weekday are all '*'.
    """
    fields = cron.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    if hour == "*":
        return cron
    try:
        hours_in = [int(h) for h in hour.split(",")]
    except ValueError:
        return None
    if any(h < 0 or h > 23 for h in hours_in):
        return None
    shifted = [h + hours for h in hours_in]
    crosses = any(h < 0 or h > 23 for h in shifted)
    if crosses and (dom, month, dow) != ("*", "*", "*"):
        return None
    new_hour = ",".join(str(h % 24) for h in sorted(shifted, key=lambda h: h % 24))
    return " ".join((minute, new_hour, dom, month, dow))


# --- rules <-> policies ----------------------------------------------------------------------


def rule_to_policy(rule: TargetTrackingRule | SimpleRule) -> dict[str, Any]:
    """The Create/ModifyScalingPolicy parameters for a portable rule (without group or id).

    Callers check ``policy_problems`` first; this raises KeyError/ValueError on what Tencent
    cannot express.
    """
    if isinstance(rule, TargetTrackingRule):
        params: dict[str, Any] = {
            "ScalingPolicyName": rule.name,
            "ScalingPolicyType": "TARGET_TRACKING",
            "PredefinedMetricType": TT_METRIC_TO_WIRE[rule.metric],
            "TargetValue": int(rule.target),
            "DisableScaleIn": rule.disable_scale_in,
        }
        if rule.warmup_s is not None:
            params["EstimatedInstanceWarmup"] = rule.warmup_s
        return params
    return {
        "ScalingPolicyName": rule.name,
        "ScalingPolicyType": "SIMPLE",
        "AdjustmentType": ADJUSTMENT_TO_WIRE[rule.adjustment_type],
        "AdjustmentValue": rule.adjustment,
        **({"Cooldown": rule.cooldown_s} if rule.cooldown_s is not None else {}),
        "MetricAlarm": {
            "ComparisonOperator": COMPARISON_TO_WIRE[rule.comparison],
            "MetricName": SIMPLE_METRIC_TO_WIRE[rule.metric],
            "Threshold": int(rule.threshold),
            "Period": rule.period_s,
            "ContinuousTime": rule.evaluation_periods,
            "Statistic": STATISTIC_TO_WIRE[rule.statistic],
        },
    }


def policy_problems(rule: TargetTrackingRule | SimpleRule) -> list[str]:
    """What Tencent AS cannot express in this rule (the generic capability check does the rest)."""
    problems: list[str] = []
    if isinstance(rule, TargetTrackingRule):
        if rule.metric not in TT_METRIC_TO_WIRE:
            problems.append(
                f"target tracking on {rule.metric!r} is not offered "
                f"(PredefinedMetricType: {', '.join(TT_METRIC_TO_WIRE)})"
            )
        if rule.target != int(rule.target):
            problems.append("TargetValue is an integer on Tencent AS")
        if rule.metric == "cpu" and not 1 <= rule.target < 100:
            problems.append("CPU TargetValue must be in [1, 100)")
        if rule.warmup_s is not None and rule.warmup_s > 3600:
            problems.append("EstimatedInstanceWarmup is at most 3600 s")
        return problems
    if rule.metric not in SIMPLE_METRIC_TO_WIRE:
        problems.append(f"metric {rule.metric!r} has no AS alarm metric")
    if rule.statistic not in STATISTIC_TO_WIRE:
        problems.append(
            f"statistic {rule.statistic.value!r} is not offered (AVERAGE/MAXIMUM/MINIMUM)"
        )
    if rule.period_s not in (60, 300):
        problems.append("alarm Period must be 60 or 300 s")
    if not 1 <= rule.evaluation_periods <= 10:
        problems.append("ContinuousTime (consecutive periods) must be 1-10")
    if rule.threshold != int(rule.threshold):
        problems.append("alarm Threshold is an integer on Tencent AS")
    if rule.min_adjustment_magnitude is not None:
        problems.append("MinAdjustmentMagnitude does not exist on Tencent AS")
    if rule.missing_data.value != "missing":
        problems.append("missing-data treatment is not configurable on Tencent AS")
    if rule.cooldown_s is not None and rule.cooldown_s > 3600:
        problems.append("Cooldown is at most 3600 s")
    return problems


def policy_to_rule(policy: dict[str, Any], group: str) -> TargetTrackingRule | SimpleRule | None:
    """A DescribeScalingPolicies entry as a portable rule (None for a type we do not know)."""
    kind = policy.get("ScalingPolicyType")
    name = str(policy["ScalingPolicyName"])
    if kind == "TARGET_TRACKING":
        metric = TT_METRIC_FROM_WIRE.get(str(policy.get("PredefinedMetricType")))
        if metric is None:
            return None
        return TargetTrackingRule(
            name=name,
            group=group,
            metric=metric,
            target=float(policy["TargetValue"]),
            disable_scale_in=bool(policy.get("DisableScaleIn")),
            warmup_s=policy.get("EstimatedInstanceWarmup"),
        )
    if kind == "SIMPLE":
        alarm = policy.get("MetricAlarm") or {}
        metric = SIMPLE_METRIC_FROM_WIRE.get(str(alarm.get("MetricName")))
        comparison = COMPARISON_FROM_WIRE.get(str(alarm.get("ComparisonOperator")))
        if metric is None or comparison is None:
            return None
        threshold = alarm.get("PreciseThreshold")
        if threshold is None:
            threshold = alarm.get("Threshold")
        return SimpleRule(
            name=name,
            group=group,
            metric=metric,
            comparison=comparison,
            threshold=float(threshold or 0),
            statistic=STATISTIC_FROM_WIRE.get(str(alarm.get("Statistic")), Statistic.AVERAGE),
            period_s=int(alarm.get("Period") or 60),
            evaluation_periods=int(alarm.get("ContinuousTime") or 1),
            adjustment_type=ADJUSTMENT_FROM_WIRE[str(policy["AdjustmentType"])],
            adjustment=int(policy["AdjustmentValue"]),
            cooldown_s=policy.get("Cooldown"),
        )
    return None


def scheduled_to_action(rule: ScheduledRule, now: datetime) -> dict[str, Any]:
    """Create/ModifyScheduledAction parameters (without group or id). Raises ValueError when the
    schedule cannot be written in Beijing time."""
    params: dict[str, Any] = {"ScheduledActionName": rule.name}
    if rule.cron:
        if rule.timezone in BEIJING_NAMES:
            cron = rule.cron
        elif rule.timezone == "UTC":
            shifted = shift_cron_hours(rule.cron, 8)
            if shifted is None:
                raise ValueError(f"cron {rule.cron!r} in UTC has no Beijing-time equivalent")
            cron = shifted
        else:
            raise ValueError(f"timezone {rule.timezone!r}: Tencent AS schedules run in UTC+8")
        params["Recurrence"] = cron
        # StartTime is required; a start in the past means "from now on", as no start does.
        params["StartTime"] = to_beijing(rule.start or now)
    else:
        if rule.at is None:
            raise ValueError("a scheduled rule needs cron or at")
        params["StartTime"] = to_beijing(rule.at)
    if rule.end is not None:
        params["EndTime"] = to_beijing(rule.end)
    for key, value in (
        ("MinSize", rule.min),
        ("MaxSize", rule.max),
        ("DesiredCapacity", rule.desired),
    ):
        if value is not None:
            params[key] = value
    return params


def action_to_rule(action: dict[str, Any], group: str, now: datetime) -> ScheduledRule:
    """A DescribeScheduledActions entry as a portable rule (cron in Asia/Shanghai, as Tencent
    runs it)."""
    start = parse_time(action.get("StartTime"))
    end = parse_time(action.get("EndTime"))
    common: dict[str, Any] = {
        "name": str(action["ScheduledActionName"]),
        "group": group,
        "end": end,
        "min": action.get("MinSize"),
        "max": action.get("MaxSize"),
        "desired": action.get("DesiredCapacity"),
    }
    recurrence = action.get("Recurrence") or ""
    if action.get("ScheduledType") == "ONCE" or not recurrence:
        return ScheduledRule(at=start, **common)
    # Tencent runs recurrences in Beijing time: say so rather than shift the cron.
    cron, tz = recurrence, "Asia/Shanghai"
    # A start at or before now is the same as no start.
    start_value = start if start is not None and start > now else None
    return ScheduledRule(cron=cron, timezone=tz, start=start_value, **common)


# Alarm policies that a target-tracking policy manages carry this Remark prefix (an emulator
# convention; the AS trigger task itself is documented: TaskConfig {"Region", "Group", "Policy"}).
TT_ALARM_REMARK = "Managed by auto scaling target tracking policy"
