"""AWS scaling policies and scheduled actions <-> portable rules (plain dicts in and out).

Apart from ``mapping`` because it needs the rule schema (pydantic): reading groups, balancers
and alarms does not load it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scalectl.core.model import Comparison, MissingData, Statistic
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
from scalectl_aws.mapping import (
    ADJUSTMENTS,
    ALARM_METRICS,
    COMPARISONS,
    MISSING_DATA,
    NATIVE_ADJUSTMENTS,
    NATIVE_COMPARISONS,
    NATIVE_MISSING,
    NATIVE_STATISTICS,
    PREDICTIVE_METRICS,
    STATISTICS,
    TT_METRICS,
    alarm_metric,
    utc,
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
        "comparison": NATIVE_COMPARISONS.get(alarm.get("ComparisonOperator", ""), Comparison.GT),
        "threshold": float(alarm.get("Threshold", 0.0)),
        "statistic": NATIVE_STATISTICS.get(alarm.get("Statistic", ""), Statistic.AVERAGE),
        "period_s": int(alarm.get("Period", 60)),
        "evaluation_periods": evaluation,
        # Portable None means "same as evaluation_periods", which is AWS's default too.
        "datapoints_to_alarm": int(dta) if dta is not None and int(dta) != evaluation else None,
        "missing_data": NATIVE_MISSING.get(alarm.get("TreatMissingData", ""), MissingData.MISSING),
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
    adjustment_type = NATIVE_ADJUSTMENTS.get(
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
