"""Portable rules <-> ESS (2014-08-28) native fields; no SDK import here.

A portable simple or step rule is, in ESS, a scaling rule plus the event-triggered task (alarm)
whose ``AlarmAction`` is the rule's ARI; a target-tracking or predictive rule is one scaling rule;
a scheduled rule is a scheduled task. Field names and values follow the ESS API reference
(AlibabaCloudDocs/ess ``intl.en-US/API Reference``: CreateScalingRule, CreateAlarm,
CreateScheduledTask). The emulator (scalectl_sim.serve.alibaba) uses the same tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scalectl.core.model import Algorithm, Comparison, MissingData, Statistic
from scalectl.core.provider import AnyRule, Capabilities
from scalectl.core.rules import (
    AdjustmentType,
    MaxCapacityBehavior,
    PercentRounding,
    PredictiveMode,
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
)

# Metrics an event-triggered task (CreateAlarm MetricName, system type) can watch.
ALARM_METRICS: dict[str, str] = {
    "cpu": "CpuUtilization",
    "memory": "MemoryUtilization",
    "network_in": "IntranetRx",
    "network_out": "IntranetTx",
}
# Target tracking adds the SLB QPS metric (CreateScalingRule MetricName).
TT_METRICS: dict[str, str] = {
    **ALARM_METRICS,
    "requests_per_target": "LoadBalancerRealServerAverageQps",
}
PREDICTIVE_METRICS: dict[str, str] = {
    "cpu": "CpuUtilization",
    "network_in": "IntranetRx",
    "network_out": "IntranetTx",
}
METRIC_FROM_NATIVE: dict[str, str] = {v: k for k, v in TT_METRICS.items()}
METRIC_FROM_NATIVE["CpuUtilizationAgent"] = "cpu"

STATISTICS: dict[Statistic, str] = {
    Statistic.AVERAGE: "Average",
    Statistic.MINIMUM: "Minimum",
    Statistic.MAXIMUM: "Maximum",
}
STATISTIC_FROM_NATIVE = {v: k for k, v in STATISTICS.items()}
ADJUSTMENTS: dict[AdjustmentType, str] = {
    AdjustmentType.CHANGE: "QuantityChangeInCapacity",
    AdjustmentType.EXACT: "TotalCapacity",
    AdjustmentType.PERCENT: "PercentChangeInCapacity",
}
ADJUSTMENT_FROM_NATIVE = {v: k for k, v in ADJUSTMENTS.items()}
ALARM_PERIODS = (60, 120, 300, 900)

# SLB listener Scheduler values (CreateLoadBalancerTCPListener.md) and their normalized names.
SCHEDULERS: dict[str, Algorithm] = {
    "wrr": Algorithm.WEIGHTED_ROUND_ROBIN,
    "rr": Algorithm.ROUND_ROBIN,
    "wlc": Algorithm.WEIGHTED_LEAST_CONNECTIONS,
    "sch": Algorithm.SOURCE_IP_HASH,
    "tch": Algorithm.FOUR_TUPLE_HASH,
    "qch": Algorithm.QUIC_CID_HASH,
}
# The nearest CLB scheduler for an algorithm CLB lacks (the emulator shows sim balancers this way).
SCHEDULER_OF: dict[Algorithm, str] = {
    **{algo: name for name, algo in SCHEDULERS.items()},
    Algorithm.LEAST_CONNECTIONS: "wlc",
    Algorithm.LEAST_OUTSTANDING_REQUESTS: "wlc",
    Algorithm.RANDOM: "rr",
    Algorithm.WEIGHTED_RANDOM: "wrr",
    Algorithm.FLOW_HASH: "tch",
    Algorithm.UNKNOWN: "wrr",
}

# ESS SuspendProcesses process names <-> the portable (AWS-style) names the core uses.
PROCESSES: dict[str, str] = {
    "Launch": "ScaleOut",
    "Terminate": "ScaleIn",
    "HealthCheck": "HealthCheck",
    "AlarmNotification": "AlarmNotification",
    "ScheduledActions": "ScheduledAction",
}
PROCESS_FROM_NATIVE = {v: k for k, v in PROCESSES.items()}

CAPABILITIES = Capabilities(
    rule_kinds=frozenset({"target_tracking", "step", "simple", "scheduled", "predictive"}),
    metrics=frozenset(TT_METRICS),
    percent_rounding=PercentRounding.NEAREST,
    m_of_n_alarms=False,
    composite_alarms=False,
    suspend_resume=True,
    honor_cooldown=False,
    scheduled_cron=True,
    # ESS crons are UTC; the adapter shifts whole-hour offsets into the hour field (cron_to_utc)
    # and refuses, at apply time, the crons it cannot shift.
    scheduled_timezone=True,
    unsupported={
        "timezone": "ESS cron expressions are written in UTC (CreateScheduledTask); this cron "
        "cannot be shifted to UTC exactly",
        "missing_data": "ESS alarms have no missing-data policy (missing data is not breaching)",
        "honor_cooldown": "ESS applies manual and scheduled changes at once; cooldown gates "
        "only event-triggered (alarm) tasks",
        "metric": "latency_ms and error_rate have no ESS metric",
    },
)


def problems(rule: AnyRule) -> list[str]:
    """Why ESS cannot express ``rule`` as written, beyond the generic capability checks."""
    found = CAPABILITIES.problems(rule)
    if isinstance(rule, SimpleRule | StepRule):
        if rule.metric not in ALARM_METRICS:
            found.append(f"metric {rule.metric!r} cannot trigger an ESS alarm task")
        if rule.statistic not in STATISTICS:
            found.append(
                f"statistic {rule.statistic.value!r}: ESS alarms use Average/Minimum/Maximum"
            )
        if rule.period_s not in ALARM_PERIODS:
            found.append(f"period_s {rule.period_s}: ESS alarm periods are 60, 120, 300 or 900")
        if rule.missing_data is not MissingData.MISSING:
            found.append(CAPABILITIES.unsupported["missing_data"])
    if isinstance(rule, TargetTrackingRule) and not rule.enabled:
        found.append("ESS target-tracking rules cannot be disabled")
    if isinstance(rule, PredictiveRule):
        if rule.metric not in PREDICTIVE_METRICS:
            found.append(f"metric {rule.metric!r}: predictive rules use cpu or network")
        if rule.buffer_s % 60:
            found.append("buffer_s: ESS PredictiveTaskBufferTime is in whole minutes")
    if isinstance(rule, ScheduledRule) and rule.cron:
        if len(rule.cron.split()) != 5:
            found.append("cron: ESS takes a five-field cron expression")
        elif cron_to_utc(rule.cron, rule.timezone) is None:
            found.append(CAPABILITIES.unsupported["timezone"])
    return found


def cron_to_utc(cron: str, timezone: str) -> str | None:
    """The same schedule as a UTC cron, or None when it cannot be written exactly.

    Works for zones whose offset now is a whole number of hours (no DST: Asia/Shanghai), with a
    plain hour field (numbers, commas); a day shift is allowed only when the day fields are '*'.
    """
    if timezone in ("UTC", "Etc/UTC", "Z"):
        return cron
    try:
        offset = datetime.now(ZoneInfo(timezone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if offset is None:
        return None
    fields = cron.split()
    seconds = int(offset.total_seconds())
    if len(fields) != 5 or seconds % 3600 or not all(h.isdigit() for h in fields[1].split(",")):
        return None
    hours = [int(h) - seconds // 3600 for h in fields[1].split(",")]
    if any(h < 0 or h > 23 for h in hours) and (fields[2], fields[3], fields[4]) != ("*", "*", "*"):
        return None
    fields[1] = ",".join(str(h % 24) for h in sorted(hours, key=lambda h: h % 24))
    return " ".join(fields)


def _num(value: Any) -> float:
    return float(value)


def _int(value: Any) -> int:
    return int(float(value))


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _trim(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def rule_fields(rule: AnyRule) -> dict[str, Any]:
    """The ESS scaling-rule fields of a portable rule (not scheduled rules: see task_fields)."""
    fields: dict[str, Any] = {"ScalingRuleName": rule.name}
    if isinstance(rule, TargetTrackingRule):
        fields.update(
            ScalingRuleType="TargetTrackingScalingRule",
            MetricName=TT_METRICS.get(rule.metric, rule.metric),
            TargetValue=_trim(rule.target),
            DisableScaleIn=rule.disable_scale_in,
        )
        if rule.warmup_s is not None:
            fields["EstimatedInstanceWarmup"] = rule.warmup_s
    elif isinstance(rule, StepRule):
        fields.update(
            ScalingRuleType="StepScalingRule",
            AdjustmentType=ADJUSTMENTS[rule.adjustment_type],
            StepAdjustments=[
                {
                    **({"MetricIntervalLowerBound": _trim(s.lower)} if s.lower is not None else {}),
                    **({"MetricIntervalUpperBound": _trim(s.upper)} if s.upper is not None else {}),
                    "ScalingAdjustment": s.adjustment,
                }
                for s in rule.steps
            ],
        )
        if rule.min_adjustment_magnitude is not None:
            fields["MinAdjustmentMagnitude"] = rule.min_adjustment_magnitude
        if rule.warmup_s is not None:
            fields["EstimatedInstanceWarmup"] = rule.warmup_s
    elif isinstance(rule, SimpleRule):
        fields.update(
            ScalingRuleType="SimpleScalingRule",
            AdjustmentType=ADJUSTMENTS[rule.adjustment_type],
            AdjustmentValue=rule.adjustment,
        )
        if rule.min_adjustment_magnitude is not None:
            fields["MinAdjustmentMagnitude"] = rule.min_adjustment_magnitude
        if rule.cooldown_s is not None:
            fields["Cooldown"] = rule.cooldown_s
    elif isinstance(rule, PredictiveRule):
        fields.update(
            ScalingRuleType="PredictiveScalingRule",
            MetricName=PREDICTIVE_METRICS.get(rule.metric, rule.metric),
            TargetValue=_trim(rule.target),
            PredictiveScalingMode="PredictOnly"
            if rule.mode is PredictiveMode.FORECAST_ONLY
            else "PredictAndScale",
            PredictiveTaskBufferTime=rule.buffer_s // 60,
        )
        if rule.max_capacity_behavior is MaxCapacityBehavior.INCREASE:
            fields["PredictiveValueBehavior"] = "PredictiveValueOverrideMaxWithBuffer"
            fields["PredictiveValueBuffer"] = rule.max_capacity_buffer or 0
        else:
            fields["PredictiveValueBehavior"] = "MaxOverridePredictiveValue"
    else:
        raise TypeError(f"{rule.kind} rules are scheduled tasks in ESS, not scaling rules")
    return fields


def alarm_fields(rule: SimpleRule | StepRule) -> dict[str, Any]:
    """The event-triggered task (CreateAlarm) that fires a simple or step rule."""
    return {
        "Name": rule.name,
        "Description": rule.description,
        "MetricType": "system",
        "MetricName": ALARM_METRICS.get(rule.metric, rule.metric),
        "Statistics": STATISTICS.get(rule.statistic, "Average"),
        "ComparisonOperator": rule.comparison.value,
        "Threshold": _trim(rule.threshold),
        "Period": rule.period_s,
        "EvaluationCount": rule.evaluation_periods,
        "Enable": rule.enabled,
    }


def task_fields(rule: ScheduledRule) -> dict[str, Any]:
    """The scheduled task (CreateScheduledTask) of a scheduled rule; times in ESS format."""
    fields: dict[str, Any] = {
        "ScheduledTaskName": rule.name,
        "Description": rule.description,
        "TaskEnabled": rule.enabled,
    }
    launch = rule.at if rule.cron is None else rule.start
    if launch is not None:
        fields["LaunchTime"] = ess_time(launch)
    if rule.cron:
        utc_cron = cron_to_utc(rule.cron, rule.timezone)
        if utc_cron is None:
            raise ValueError(CAPABILITIES.unsupported["timezone"])
        fields["RecurrenceType"] = "Cron"
        fields["RecurrenceValue"] = utc_cron
        if rule.end is not None:
            fields["RecurrenceEndTime"] = ess_time(rule.end)
    for key, value in (
        ("MinValue", rule.min),
        ("MaxValue", rule.max),
        ("DesiredCapacity", rule.desired),
    ):
        if value is not None:
            fields[key] = value
    return fields


def ess_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_time(text: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"time {text!r} is not yyyy-MM-ddTHH:mmZ")


def rule_from_native(
    group: str, fields: Mapping[str, Any], alarm: Mapping[str, Any] | None
) -> AnyRule | None:
    """A portable rule from ESS fields (response or request form); None when it has no portable
    equivalent (a simple or step rule with no alarm task is only ever run by hand)."""
    kind = fields.get("ScalingRuleType") or "SimpleScalingRule"
    name = str(fields["ScalingRuleName"])
    if kind == "TargetTrackingScalingRule":
        warmup = fields.get("EstimatedInstanceWarmup")
        return TargetTrackingRule(
            name=name,
            group=group,
            metric=METRIC_FROM_NATIVE.get(
                str(fields.get("MetricName")), str(fields.get("MetricName"))
            ),
            target=_num(fields["TargetValue"]),
            disable_scale_in=_bool(fields.get("DisableScaleIn", False)),
            warmup_s=_int(warmup) if warmup not in (None, "") else None,
        )
    if kind == "PredictiveScalingRule":
        behavior = fields.get("PredictiveValueBehavior") or "MaxOverridePredictiveValue"
        increase = behavior != "MaxOverridePredictiveValue"
        return PredictiveRule(
            name=name,
            group=group,
            metric=METRIC_FROM_NATIVE.get(str(fields.get("MetricName")), "cpu"),
            target=_num(fields["TargetValue"]),
            mode=PredictiveMode.FORECAST_ONLY
            if fields.get("PredictiveScalingMode") == "PredictOnly"
            else PredictiveMode.FORECAST_AND_SCALE,
            buffer_s=_int(fields.get("PredictiveTaskBufferTime") or 0) * 60,
            max_capacity_behavior=MaxCapacityBehavior.INCREASE
            if increase
            else MaxCapacityBehavior.HONOR,
            max_capacity_buffer=_int(fields.get("PredictiveValueBuffer") or 0)
            if increase
            else None,
        )
    if alarm is None:
        return None
    common: dict[str, Any] = {
        "name": name,
        "group": group,
        "enabled": _bool(alarm.get("Enable", True)),
        "description": str(alarm.get("Description") or ""),
        "metric": METRIC_FROM_NATIVE.get(
            str(alarm.get("MetricName")), str(alarm.get("MetricName"))
        ),
        "comparison": Comparison(str(alarm.get("ComparisonOperator") or ">=")),
        "threshold": _num(alarm["Threshold"]),
        "statistic": STATISTIC_FROM_NATIVE.get(str(alarm.get("Statistics")), Statistic.AVERAGE),
        "period_s": _int(alarm.get("Period") or 300),
        "evaluation_periods": _int(alarm.get("EvaluationCount") or 3),
        "adjustment_type": ADJUSTMENT_FROM_NATIVE[str(fields.get("AdjustmentType"))],
    }
    magnitude = fields.get("MinAdjustmentMagnitude")
    if magnitude not in (None, ""):
        common["min_adjustment_magnitude"] = _int(magnitude)
    if kind == "StepScalingRule":
        warmup = fields.get("EstimatedInstanceWarmup")
        steps = [
            Step(
                lower=_num(s["MetricIntervalLowerBound"])
                if s.get("MetricIntervalLowerBound") not in (None, "")
                else None,
                upper=_num(s["MetricIntervalUpperBound"])
                if s.get("MetricIntervalUpperBound") not in (None, "")
                else None,
                adjustment=_int(s["ScalingAdjustment"]),
            )
            for s in step_list(fields)
        ]
        return StepRule(
            steps=steps, warmup_s=_int(warmup) if warmup not in (None, "") else None, **common
        )
    cooldown = fields.get("Cooldown")
    return SimpleRule(
        adjustment=_int(fields["AdjustmentValue"]),
        cooldown_s=_int(cooldown) if cooldown not in (None, "") else None,
        **common,
    )


def step_list(fields: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """StepAdjustments as a list, from the response form (double-wrapped) or a plain list."""
    raw = fields.get("StepAdjustments") or []
    if isinstance(raw, Mapping):
        raw = raw.get("StepAdjustment", [])
    return list(raw)


def rule_from_task(group: str, task: Mapping[str, Any]) -> ScheduledRule:
    cron = str(task["RecurrenceValue"]) if task.get("RecurrenceType") == "Cron" else None
    launch = parse_time(str(task["LaunchTime"])) if task.get("LaunchTime") else None
    end = task.get("RecurrenceEndTime")

    def opt(key: str) -> int | None:
        value = task.get(key)
        return _int(value) if value not in (None, "") else None

    return ScheduledRule(
        name=str(task["ScheduledTaskName"]),
        group=group,
        enabled=_bool(task.get("TaskEnabled", True)),
        description=str(task.get("Description") or ""),
        cron=cron,
        at=None if cron else launch,
        start=launch if cron else None,
        end=parse_time(str(end)) if cron and end else None,
        min=opt("MinValue"),
        max=opt("MaxValue"),
        desired=opt("DesiredCapacity"),
    )


def canonical(rule: AnyRule) -> AnyRule:
    """The rule as ESS stores and reports it: what reading it back after a put returns.

    ESS keeps crons in UTC, no description on scaling rules (only on alarm and scheduled
    tasks), consecutive counts only (no separate datapoints_to_alarm). Comparing a wanted rule's
    canonical form with what the adapter reads makes ``rules apply`` converge.
    """
    if isinstance(rule, ScheduledRule):
        return rule_from_task(rule.group, task_fields(rule))
    alarm = alarm_fields(rule) if isinstance(rule, SimpleRule | StepRule) else None
    found = rule_from_native(rule.group, rule_fields(rule), alarm)
    assert found is not None  # simple/step rules come with their alarm here
    return found


def flatten(fields: Mapping[str, Any]) -> dict[str, str]:
    """RPC query parameters from fields: lists become ``Name.N`` (from 1), dicts ``Name.N.Key``;
    a plural list key (``StepAdjustments``) takes its singular form as ESS requests do."""
    params: dict[str, str] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list):
            single = key[:-1] if key.endswith("s") else key
            for index, item in enumerate(value, 1):
                if isinstance(item, Mapping):
                    for sub, sub_value in item.items():
                        params[f"{single}.{index}.{sub}"] = _text(sub_value)
                else:
                    params[f"{single}.{index}"] = _text(item)
        else:
            params[key] = _text(value)
    return params


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
