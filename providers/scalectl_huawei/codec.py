"""Portable rules <-> Huawei AS v1 policies and CES v1 alarm rules, as plain JSON dicts.

Pure Python (no SDK): the adapter feeds it ``to_dict()`` of SDK models, and the sim's Huawei
emulator uses it to show sim rules as policies. Facts: autoscaling-semantics.md §5 and §6.
- ALARM policy + CES alarm  <-> SimpleRule (CES counts *consecutive* periods, 1-5).
- SCHEDULED / RECURRENCE policy (operation SET) <-> ScheduledRule that sets ``desired`` only.
- Target tracking, step (INTERVAL_ALARM exists only in the V2 API) and predictive: not expressible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scalectl.core.model import Comparison, MissingData, Statistic
from scalectl.core.rules import AdjustmentType, ScheduledRule, SimpleRule

# Portable metric -> (CES namespace, metric name, unit). AS group metrics live in SYS.AS with the
# dimension AutoScalingGroup=<group id>.
METRICS: dict[str, tuple[str, str, str]] = {
    "cpu": ("SYS.AS", "cpu_util", "%"),
    "memory": ("SYS.AS", "mem_util", "%"),
    "network_in": ("SYS.AS", "network_incoming_bytes_rate_inband", "byte/s"),
    "network_out": ("SYS.AS", "network_outgoing_bytes_rate_inband", "byte/s"),
}
# Metrics the sim knows that AS groups do not report in CES; alarms on them are still listed
# (ELB-level metrics), but rules on them cannot be written.
DISPLAY_ONLY_METRICS: dict[str, tuple[str, str, str]] = {
    "requests_per_target": ("SYS.ELB", "m14_l7_rps", "count/s"),
    "latency_ms": ("SYS.ELB", "m17_l7_rt", "ms"),
    "error_rate": ("SYS.ELB", "m16_l7_5xx", "count/min"),
}
GROUP_DIMENSION = "AutoScalingGroup"

COMPARISONS = {c.value: c for c in Comparison}
FILTERS: dict[Statistic, str] = {
    Statistic.AVERAGE: "average",
    Statistic.MAXIMUM: "max",
    Statistic.MINIMUM: "min",
    Statistic.SUM: "sum",
}
STATISTICS = {native: stat for stat, native in FILTERS.items()}
# CES condition periods; 1 means "the metric's raw period", which is 60 s for AS group metrics.
PERIODS: dict[int, int] = {60: 1, 300: 300, 1200: 1200, 3600: 3600, 14400: 14400, 86400: 86400}
SECONDS = {native: seconds for seconds, native in PERIODS.items()}
MAX_COUNT = 5  # CES: 1-5 consecutive periods
MAX_INSTANCES = 300  # scaling_policy_action.instance_number
MAX_PERCENT = 20000  # scaling_policy_action.instance_percentage
LAUNCH_FMT = "%Y-%m-%dT%H:%MZ"  # scheduled_policy times, UTC

UNSUPPORTED_KINDS = {
    "target_tracking": "Huawei AS has no target-tracking policy: its policy types are ALARM, "
    "SCHEDULED and RECURRENCE (plus INTERVAL_ALARM in the V2 API)",
    "step": "Huawei AS v1 has no step policies; step scaling (INTERVAL_ALARM) exists only in the "
    "AS V2 policy API, which this adapter does not use",
    "predictive": "Huawei AS has no predictive scaling",
}


class Unexpressible(ValueError):
    """A rule (or policy) that the other side cannot express; the message says why."""


def simple_problems(rule: SimpleRule) -> list[str]:
    reasons: list[str] = []
    if rule.metric not in METRICS:
        reasons.append(f"metric {rule.metric!r} has no AS group metric in Cloud Eye")
    if rule.statistic not in FILTERS:
        reasons.append(f"statistic {rule.statistic.value!r} is not a Cloud Eye filter")
    if rule.period_s not in PERIODS:
        reasons.append(
            f"period {rule.period_s}s: Cloud Eye alarms use 60, 300, 1200, 3600, 14400 or 86400 s"
        )
    if rule.evaluation_periods > MAX_COUNT:
        reasons.append(
            f"evaluation_periods {rule.evaluation_periods}: Cloud Eye counts 1-5 "
            "consecutive periods"
        )
    if rule.datapoints_to_alarm not in (None, rule.evaluation_periods):
        reasons.append("Cloud Eye alarms count consecutive periods only (no M of N)")
    if rule.missing_data is not MissingData.MISSING:
        reasons.append("Cloud Eye has no missing-data treatment")
    if rule.min_adjustment_magnitude is not None:
        reasons.append("Huawei AS has no minimum adjustment magnitude")
    if rule.adjustment_type is AdjustmentType.EXACT:
        if not 0 <= rule.adjustment <= MAX_INSTANCES:
            reasons.append(f"SET takes 0-{MAX_INSTANCES} instances")
    elif rule.adjustment == 0:
        reasons.append("an adjustment of 0 cannot be expressed (ADD/REMOVE take 1 or more)")
    elif rule.adjustment_type is AdjustmentType.CHANGE and abs(rule.adjustment) > MAX_INSTANCES:
        reasons.append(f"ADD/REMOVE take 1-{MAX_INSTANCES} instances")
    elif rule.adjustment_type is AdjustmentType.PERCENT and abs(rule.adjustment) > MAX_PERCENT:
        reasons.append(f"instance_percentage is 1-{MAX_PERCENT}")
    return reasons


def scheduled_problems(rule: ScheduledRule) -> list[str]:
    reasons: list[str] = []
    if rule.min is not None or rule.max is not None:
        reasons.append(
            "Huawei AS scheduled policies change the instance count only "
            "(SET desired); they cannot set min or max"
        )
    if rule.desired is None:
        reasons.append("a scheduled rule needs a desired capacity here")
    elif rule.desired > MAX_INSTANCES:
        reasons.append(f"SET takes 0-{MAX_INSTANCES} instances")
    if rule.timezone != "UTC":
        reasons.append("Huawei AS launch times are UTC only")
    if rule.description:
        reasons.append("Huawei AS policies have no description")
    if rule.cron is not None:
        try:
            cron_to_recurrence(rule.cron)
        except Unexpressible as err:
            reasons.append(str(err))
    for when in (rule.at, rule.start, rule.end):
        if when is not None and (when.second or when.microsecond):
            reasons.append("Huawei AS times have minute precision")
            break
    return reasons


# --- cron <-> RECURRENCE -------------------------------------------------------------------------


def _numbers(field: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    for part in field.split(","):
        start, _, end = part.partition("-")
        if not start.isdigit() or (end and not end.isdigit()):
            raise Unexpressible(
                f"cron field {field!r}: only numbers, lists and ranges map to Huawei recurrences"
            )
        first, last = int(start), int(end or start)
        if not low <= first <= last <= high:
            raise Unexpressible(f"cron field {field!r} is out of range")
        values.update(range(first, last + 1))
    return sorted(values)


def _compact(values: list[int]) -> str:
    """1,2,3,5 -> "1-3,5": runs of three or more become ranges, as people write them."""
    parts: list[str] = []
    run: list[int] = []
    for value in [*values, -2]:
        if run and value == run[-1] + 1:
            run.append(value)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)))
        run = [value]
    return ",".join(parts)


def cron_to_recurrence(cron: str) -> tuple[str, str, str | None]:
    """(recurrence_type, launch_time "hh:mm", recurrence_value) for a five-field cron."""
    fields = cron.split()
    if len(fields) != 5:
        raise Unexpressible(f"cron {cron!r} must have five fields")
    minute, hour, day, month, weekday = fields
    if not (minute.isdigit() and hour.isdigit()) or int(minute) > 59 or int(hour) > 23:
        raise Unexpressible(
            "Huawei recurrences fire once a day at a fixed hh:mm; cron minute "
            "and hour must be single numbers"
        )
    launch = f"{int(hour):02d}:{int(minute):02d}"
    if month != "*":
        raise Unexpressible("Huawei recurrences cannot select months")
    if day == "*" and weekday == "*":
        return "Daily", launch, None
    if day == "*":
        # Huawei weekly values are 1-7 with 1 = Sunday; cron uses 0-7 with 0 and 7 = Sunday.
        days = sorted({(d % 7) + 1 for d in _numbers(weekday, 0, 7)})
        return "Weekly", launch, ",".join(map(str, days))
    if weekday == "*":
        return "Monthly", launch, ",".join(map(str, _numbers(day, 1, 31)))
    raise Unexpressible("Huawei recurrences cannot combine days of month and days of week")


def recurrence_to_cron(kind: str, launch: str, value: str | None) -> str:
    hour, _, minute = launch.partition(":")
    prefix = f"{int(minute)} {int(hour)}"
    if kind == "Daily":
        return f"{prefix} * * *"
    numbers = sorted(int(v) for v in (value or "").split(",") if v.strip())
    if kind == "Weekly":
        return f"{prefix} * * {_compact(sorted(d - 1 for d in numbers))}"
    if kind == "Monthly":
        return f"{prefix} {_compact(numbers)} * *"
    raise Unexpressible(f"unknown recurrence_type {kind!r}")


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime(LAUNCH_FMT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, LAUNCH_FMT).replace(tzinfo=UTC)


# --- rule -> wire ---------------------------------------------------------------------------------


def action_of(adjustment_type: AdjustmentType, adjustment: int) -> dict[str, Any]:
    if adjustment_type is AdjustmentType.EXACT:
        return {"operation": "SET", "instance_number": adjustment}
    operation = "ADD" if adjustment > 0 else "REMOVE"
    key = "instance_percentage" if adjustment_type is AdjustmentType.PERCENT else "instance_number"
    return {"operation": operation, key: abs(adjustment)}


def alarm_body(rule: SimpleRule, group_id: str) -> dict[str, Any]:
    """The CES v1 alarm rule (CreateAlarm body) that triggers ``rule``'s policy."""
    problems = simple_problems(rule)
    if problems:
        raise Unexpressible("; ".join(problems))
    namespace, metric_name, _unit = METRICS[rule.metric]
    return {
        "alarm_name": f"{rule.group}-{rule.name}"[:128],
        "alarm_description": rule.description,
        "metric": {
            "namespace": namespace,
            "metric_name": metric_name,
            "dimensions": [{"name": GROUP_DIMENSION, "value": group_id}],
        },
        "condition": condition_of(rule),
        "alarm_enabled": True,
        "alarm_action_enabled": True,
        "alarm_level": 2,
        "alarm_actions": [{"type": "autoscaling", "notification_list": []}],
    }


def condition_of(rule: SimpleRule) -> dict[str, Any]:
    return {
        "period": PERIODS[rule.period_s],
        "filter": FILTERS[rule.statistic],
        "comparison_operator": rule.comparison.value,
        "value": rule.threshold,
        "unit": METRICS[rule.metric][2],
        "count": rule.evaluation_periods,
        "suppress_duration": 0,
    }


def policy_body(rule: SimpleRule | ScheduledRule, alarm_id: str | None = None) -> dict[str, Any]:
    """The CreateScalingPolicy/UpdateScalingPolicy fields for ``rule`` (without group id)."""
    body: dict[str, Any] = {"scaling_policy_name": rule.name}
    if isinstance(rule, SimpleRule):
        problems = simple_problems(rule)
        if problems:
            raise Unexpressible("; ".join(problems))
        body["scaling_policy_type"] = "ALARM"
        body["alarm_id"] = alarm_id
        body["scaling_policy_action"] = action_of(rule.adjustment_type, rule.adjustment)
        if rule.cooldown_s is not None:
            body["cool_down_time"] = rule.cooldown_s
        return body
    problems = scheduled_problems(rule)
    if problems:
        raise Unexpressible("; ".join(problems))
    assert rule.desired is not None  # checked above
    body["scaling_policy_action"] = {"operation": "SET", "instance_number": rule.desired}
    if rule.at is not None:
        body["scaling_policy_type"] = "SCHEDULED"
        body["scheduled_policy"] = {"launch_time": format_time(rule.at)}
        return body
    assert rule.cron is not None
    kind, launch, value = cron_to_recurrence(rule.cron)
    scheduled: dict[str, Any] = {"launch_time": launch, "recurrence_type": kind}
    if value is not None:
        scheduled["recurrence_value"] = value
    if rule.start is not None:
        scheduled["start_time"] = format_time(rule.start)
    if rule.end is not None:
        scheduled["end_time"] = format_time(rule.end)
    body["scaling_policy_type"] = "RECURRENCE"
    body["scheduled_policy"] = scheduled
    return body


# --- wire -> rule ---------------------------------------------------------------------------------


def _adjustment(action: dict[str, Any]) -> tuple[AdjustmentType, int]:
    operation = str(action.get("operation") or "ADD")
    percent = action.get("instance_percentage")
    number = action.get("instance_number")
    if operation == "SET":
        return AdjustmentType.EXACT, int(number or 0)
    sign = -1 if operation in ("REMOVE", "REDUCE") else 1
    if percent is not None:
        return AdjustmentType.PERCENT, sign * int(percent)
    return AdjustmentType.CHANGE, sign * int(number if number is not None else 1)


def metric_of(namespace: str, metric_name: str) -> str | None:
    for portable, (ns, name, _unit) in (METRICS | DISPLAY_ONLY_METRICS).items():
        if (ns, name) == (namespace, metric_name):
            return portable
    return None


def rule_of(
    group: str, policy: dict[str, Any], alarm: dict[str, Any] | None
) -> SimpleRule | ScheduledRule:
    """The portable rule for a policy (and its alarm, for ALARM policies); Unexpressible if none."""
    name = str(policy["scaling_policy_name"])
    kind = policy.get("scaling_policy_type")
    enabled = policy.get("policy_status", "INSERVICE") != "PAUSED"
    action = policy.get("scaling_policy_action") or {}
    if kind == "ALARM":
        if alarm is None:
            raise Unexpressible(f"policy {name!r}: its alarm {policy.get('alarm_id')!r} is gone")
        metric = alarm.get("metric") or {}
        portable = metric_of(str(metric.get("namespace")), str(metric.get("metric_name")))
        if portable is None:
            raise Unexpressible(
                f"policy {name!r}: metric {metric.get('metric_name')!r} has no portable name"
            )
        condition = alarm.get("condition") or {}
        adjustment_type, adjustment = _adjustment(action)
        cooldown = policy.get("cool_down_time")
        return SimpleRule(
            name=name,
            group=group,
            enabled=enabled,
            description=str(alarm.get("alarm_description") or ""),
            metric=portable,
            comparison=COMPARISONS[str(condition["comparison_operator"])],
            threshold=float(condition["value"]),
            statistic=STATISTICS[str(condition.get("filter", "average"))],
            period_s=SECONDS[int(condition.get("period", 1))],
            evaluation_periods=int(condition.get("count", 1)),
            adjustment_type=adjustment_type,
            adjustment=adjustment,
            cooldown_s=None if cooldown is None else int(cooldown),
        )
    if kind in ("SCHEDULED", "RECURRENCE"):
        adjustment_type, adjustment = _adjustment(action)
        if adjustment_type is not AdjustmentType.EXACT:
            raise Unexpressible(f"policy {name!r}: scheduled ADD/REMOVE has no portable form")
        scheduled = policy.get("scheduled_policy") or {}
        start, end = scheduled.get("start_time"), scheduled.get("end_time")
        common: dict[str, Any] = {
            "name": name,
            "group": group,
            "enabled": enabled,
            "desired": adjustment,
            "start": parse_time(start) if start else None,
            "end": parse_time(end) if end else None,
        }
        if kind == "SCHEDULED":
            return ScheduledRule(at=parse_time(str(scheduled["launch_time"])), **common)
        cron = recurrence_to_cron(
            str(scheduled.get("recurrence_type")),
            str(scheduled["launch_time"]),
            scheduled.get("recurrence_value"),
        )
        return ScheduledRule(cron=cron, **common)
    raise Unexpressible(f"policy {name!r}: type {kind!r} has no portable form")
