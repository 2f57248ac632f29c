"""Decisions: pure functions from (group state, rules, metric history, now) to a capacity decision.

CONTRACT (other modules are being written against these signatures; keep them):

- ``GroupSnapshot``: the group as the autoscaler sees it.
- ``RuleState``: per-rule memory the caller keeps between ticks (alarm states, last fire time).
- ``decide(...) -> Decision``: one evaluation tick (the sim calls it every simulated minute).
- ``apply_adjustment``, ``clamp``, ``select_step``: the arithmetic, exposed for tests and the guard.
- ``preview_after_manual(...) -> list[str]``: what the group's rules will do after a manual change
  ("target tracking will scale back to ~6 within ~15 min"), for the Console's conflict preview.

One tick, per reference/autoscaling-semantics.md: scheduled actions apply first (bounds, desired;
no cooldown); every alarm-driven rule evaluates its alarms (alarms.py); the largest scale-out
wins; a scale-in happens only when nothing wants out, target tracking rules all agree, and Azure's
anti-flapping projection allows it, and never below a forecast-and-scale predictive rule's capacity
for the hour (AWS takes the largest capacity any policy wants); the result is clamped to
[min, max], which only a predictive rule with IncreaseMaxCapacity may raise. Cooldown gates
simple rules only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfoNotFoundError

from scalectl.core.alarms import AlarmResult, AlarmSpec, evaluate_detail
from scalectl.core.model import AlarmState, Comparison, MissingData, Statistic
from scalectl.core.provider import AnyRule
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
from scalectl.core.schedule import next_fire

DecisionKind = Literal["none", "scale_out", "scale_in", "scheduled", "predictive"]

# Target tracking scales in below this fraction of the target (the low alarm's threshold):
# AWS 0.9 [obs], Tencent 0.8 [doc]; Alibaba unverified, assumed AWS-like (reference §5 and §7).
TT_LOW_FRACTION: Mapping[str, float] = {"aws": 0.9, "alibaba": 0.9, "tencent": 0.8, "sim": 0.9}


@dataclass(frozen=True)
class GroupSnapshot:
    name: str
    min: int
    max: int
    desired: int
    in_service: int  # in service and warmed up: these instances make the metric
    warming: int = 0  # in service but still warming up (excluded from the metric)
    pending: int = 0  # launched, not yet in service (counted in capacity for scale-out)
    default_cooldown_s: int = 300
    warmup_s: int = 300  # group default instance warm-up
    # When the last scaling activity ended (last instance launched/terminated): cooldown anchor.
    last_activity_end: datetime | None = None
    activity_in_progress: bool = False
    suspended: frozenset[str] = frozenset()  # e.g. {"AlarmNotification", "ScheduledActions"}


@dataclass(frozen=True)
class RuleState:
    """What the caller remembers for one rule between ticks."""

    alarm_states: Mapping[str, AlarmState] = field(default_factory=dict)  # "high"/"low"/"main"
    last_fired: datetime | None = None
    last_scheduled_run: datetime | None = None


@dataclass(frozen=True)
class Decision:
    group: str
    current: int
    desired: int
    kind: DecisionKind = "none"
    rule: str | None = None
    reason: str = ""
    new_min: int | None = None
    new_max: int | None = None
    # Updated per-rule state for the caller to keep (rule name -> state).
    rule_states: Mapping[str, RuleState] = field(default_factory=dict)
    # Why a wanted change did not happen (cooldown, warming, anti-flapping), if it did not.
    blocked: str | None = None

    @property
    def changed(self) -> bool:
        return self.desired != self.current or self.new_min is not None or self.new_max is not None


# --- arithmetic ----------------------------------------------------------------------------------


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _round_percent(raw: Fraction, rounding: PercentRounding) -> int:
    if rounding is PercentRounding.NEAREST:
        # Alibaba: "rounds ... to a nearest integer" (halves away from zero, not banker's rounding).
        magnitude = math.floor(abs(raw) + Fraction(1, 2))
        return magnitude if raw >= 0 else -magnitude
    # AWS: (0, 1) -> 1, (-1, 0) -> -1, otherwise truncated toward zero (12.7 -> 12, -6.67 -> -6).
    if 0 < raw < 1:
        return 1
    if -1 < raw < 0:
        return -1
    return math.trunc(raw)


def apply_adjustment(
    current: int,
    adjustment_type: AdjustmentType,
    value: int,
    *,
    min_adjustment_magnitude: int | None = None,
    rounding: PercentRounding = PercentRounding.AWS,
) -> int:
    """The new capacity (unclamped) after an adjustment of ``value``."""
    if adjustment_type is AdjustmentType.CHANGE:
        return current + value
    if adjustment_type is AdjustmentType.EXACT:
        return value
    raw = Fraction(current * value, 100)  # exact: 11 x 30 % is 3.3, not 3.2999...
    delta = _round_percent(raw, rounding)
    if raw != 0 and min_adjustment_magnitude is not None and abs(delta) < min_adjustment_magnitude:
        delta = min_adjustment_magnitude if raw > 0 else -min_adjustment_magnitude
    return current + delta


def _contains(step: Step, delta: float, *, above: bool) -> bool:
    lower = -math.inf if step.lower is None else step.lower
    upper = math.inf if step.upper is None else step.upper
    if above:
        return lower <= delta < upper
    return lower < delta <= upper


def select_step(steps: Sequence[Step], delta: float) -> Step | None:
    """The step whose interval holds ``delta`` = metric - threshold (inclusivity per AWS docs)."""
    above = delta >= 0
    for step in steps:
        if _contains(step, delta, above=above):
            return step
    if delta == 0:  # exactly at the threshold: a scale-in step set ends with an inclusive upper 0
        for step in steps:
            if _contains(step, delta, above=False):
                return step
    return None


def _ceil(value: float) -> int:
    # 3 x 70 / 70 must stay 3 despite float noise.
    return math.ceil(round(value, 9))


# --- metric helpers ------------------------------------------------------------------------------


def _latest(values: Sequence[float | None]) -> float | None:
    for value in reversed(values):
        if value is not None:
            return value
    return None


def _aggregate(values: Sequence[float], statistic: Statistic) -> float:
    if statistic is Statistic.MINIMUM:
        return min(values)
    if statistic is Statistic.MAXIMUM:
        return max(values)
    if statistic is Statistic.SUM:
        return sum(values)
    if statistic is Statistic.SAMPLE_COUNT:
        return float(len(values))
    return sum(values) / len(values)


def _periods(
    minutes: Sequence[float | None], period_s: int, statistic: Statistic, count: int
) -> list[float | None]:
    """The newest ``count`` alarm periods built from one-minute points (a period of 5 min is the
    statistic over 5 one-minute points); a period with no real point is missing."""
    size = max(1, period_s // 60)
    if size == 1:
        return list(minutes[-count:])
    tail = minutes[-count * size :]
    out: list[float | None] = []
    for end in range(len(tail), 0, -size):
        chunk = [v for v in tail[max(0, end - size) : end] if v is not None]
        out.append(_aggregate(chunk, statistic) if chunk else None)
    out.reverse()
    return out


def _fmt(value: float) -> str:
    return f"{value:.1f}"


# --- per-rule evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Want:
    """What one rule wants this tick."""

    rule: str
    kind: DecisionKind
    desired: int
    reason: str
    raise_max_to: int | None = None  # predictive IncreaseMaxCapacity


@dataclass
class _Tick:
    """Everything the rules of one group said during one tick."""

    outs: list[_Want] = field(default_factory=list)
    ins: list[_Want] = field(default_factory=list)
    # Target tracking scale-in votes: every rule with scale-in enabled must agree.
    tt_in: list[_Want | None] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    states: dict[str, RuleState] = field(default_factory=dict)
    # Forecast-and-scale capacity for this hour: AWS sets the desired capacity to the largest of
    # what each policy wants, so no other rule scales in below it (rule name, capacity).
    floor: tuple[str, int] | None = None


def _capacity(group: GroupSnapshot) -> int:
    """Capacity counted for scale-out: warming and pending instances included."""
    return max(group.desired, group.in_service + group.warming + group.pending)


def _scale_in_blocked(group: GroupSnapshot) -> bool:
    """AWS: scale-ins by step and target tracking policies wait until new instances are warm."""
    return group.warming > 0 or group.pending > 0 or group.activity_in_progress


def _busy(group: GroupSnapshot) -> str:
    if group.warming or group.pending:
        return f"{group.warming + group.pending} instances are warming up or pending"
    return "a scaling activity is in progress"


def _alarm_cause(
    name: str, result: AlarmResult, metric: str, value: float | None, sign: str, threshold: float
) -> str:
    shown = "no data" if value is None else f"{metric} {_fmt(value)} {sign} {_fmt(threshold)}"
    return f"alarm {name} in ALARM for {result.breaching} of {result.evaluated} periods ({shown})"


# Alarm specs are immutable and few (one per rule and threshold): built once, not every tick.
@lru_cache(maxsize=16384)
def _spec(
    comparison: Comparison,
    threshold: float,
    periods: int,
    datapoints: int | None = None,
    missing: MissingData = MissingData.MISSING,
    consecutive: bool = False,
) -> AlarmSpec:
    return AlarmSpec(comparison, threshold, periods, datapoints, missing, consecutive)


# dataclasses.replace, spelled out: these run for every rule every tick.
def _with_alarms(state: RuleState, alarm_states: Mapping[str, AlarmState]) -> RuleState:
    return RuleState(alarm_states, state.last_fired, state.last_scheduled_run)


def _fired(state: RuleState, now: datetime) -> RuleState:
    return RuleState(state.alarm_states, now, state.last_scheduled_run)


def _target_tracking(
    rule: TargetTrackingRule,
    group: GroupSnapshot,
    values: Sequence[float | None],
    state: RuleState,
    tick: _Tick,
    *,
    consecutive: bool,
    low_fraction: float,
) -> None:
    previous = state.alarm_states
    high = _spec(Comparison.GT, rule.target, 3, consecutive=consecutive)
    high_result = evaluate_detail(high, values, previous.get("high", AlarmState.INSUFFICIENT_DATA))
    alarm_states = {"high": high_result.state}
    low_threshold = low_fraction * rule.target
    low_result: AlarmResult | None = None
    if not rule.disable_scale_in:
        low = _spec(Comparison.LT, low_threshold, 15, consecutive=consecutive)
        low_result = evaluate_detail(low, values, previous.get("low", AlarmState.INSUFFICIENT_DATA))
        alarm_states["low"] = low_result.state
    tick.states[rule.name] = _with_alarms(state, alarm_states)

    metric = _latest(values)
    suspended = "AlarmNotification" in group.suspended
    current = group.desired
    if high_result.state is AlarmState.ALARM and metric is not None:
        cause = _alarm_cause(
            f"{rule.name}-high", high_result, rule.metric, metric, ">", rule.target
        )
        # The metric comes from warmed-up instances only: their load, spread at the target.
        want = _ceil(group.in_service * metric / rule.target)
        formula = f"ceil({group.in_service} x {_fmt(metric)} / {_fmt(rule.target)}) = {want}"
        counted = _capacity(group)
        if suspended:
            tick.blocked.append(
                f"{cause}; target tracking {rule.name}: AlarmNotification suspended"
            )
        elif want > counted:
            tick.outs.append(
                _Want(
                    rule.name,
                    "scale_out",
                    want,
                    f"{cause}; target tracking {rule.name} wants {formula}",
                )
            )
        elif counted > group.in_service:
            tick.blocked.append(
                f"target tracking {rule.name} wants {formula}; "
                f"{counted - group.in_service} warming or pending instances already count toward it"
            )
    if low_result is None:
        return
    if low_result.state is not AlarmState.ALARM or metric is None or suspended:
        tick.tt_in.append(None)
        return
    cause = _alarm_cause(f"{rule.name}-low", low_result, rule.metric, metric, "<", low_threshold)
    if _scale_in_blocked(group):
        tick.tt_in.append(None)
        tick.blocked.append(
            f"{cause}; target tracking {rule.name}: no scale-in while {_busy(group)}"
        )
        return
    want = max(1, _ceil(group.in_service * metric / rule.target)) if metric > 0 else 0
    # Conservative: never remove capacity that would push the metric above the target.
    while 0 < want < current and group.in_service * metric / want > rule.target:
        want += 1
    if want >= current:
        tick.tt_in.append(None)
        return
    formula = f"ceil({group.in_service} x {_fmt(metric)} / {_fmt(rule.target)}) = {want}"
    tick.tt_in.append(
        _Want(rule.name, "scale_in", want, f"{cause}; target tracking {rule.name} wants {formula}")
    )


def _alarm_spec(rule: StepRule | SimpleRule, consecutive: bool) -> AlarmSpec:
    return _spec(
        rule.comparison,
        rule.threshold,
        rule.evaluation_periods,
        rule.datapoints_to_alarm,
        rule.missing_data,
        consecutive,
    )


def _evaluate_main(
    rule: StepRule | SimpleRule,
    values: Sequence[float | None],
    state: RuleState,
    tick: _Tick,
    consecutive: bool,
) -> AlarmResult:
    spec = _alarm_spec(rule, consecutive)
    series = _periods(values, rule.period_s, rule.statistic, spec.evaluation_range)
    result = evaluate_detail(
        spec, series, state.alarm_states.get("main", AlarmState.INSUFFICIENT_DATA)
    )
    tick.states[rule.name] = _with_alarms(state, {"main": result.state})
    return result


def _step(
    rule: StepRule,
    group: GroupSnapshot,
    values: Sequence[float | None],
    state: RuleState,
    tick: _Tick,
    *,
    consecutive: bool,
    rounding: PercentRounding,
) -> None:
    result = _evaluate_main(rule, values, state, tick, consecutive)
    if result.state is not AlarmState.ALARM:
        return
    # AWS applies the aggregation to the alarm's most recent datapoints, then picks the step.
    metric = _aggregate(result.values, rule.statistic) if result.values else None
    cause = _alarm_cause(
        rule.name, result, rule.metric, metric, rule.comparison.value, rule.threshold
    )
    if "AlarmNotification" in group.suspended:
        tick.blocked.append(f"{cause}; step rule {rule.name}: AlarmNotification suspended")
        return
    if metric is None:
        tick.blocked.append(f"{cause}; step rule {rule.name}: no datapoint to pick a step from")
        return
    delta = metric - rule.threshold
    step = select_step(rule.steps, delta)
    if step is None:
        tick.blocked.append(f"{cause}; step rule {rule.name}: no step holds {delta:+.1f}")
        return
    current = group.desired
    label = _adjustment_label(rule.adjustment_type, step.adjustment)
    outward = (
        step.adjustment > current
        if rule.adjustment_type is AdjustmentType.EXACT
        else step.adjustment > 0
    )
    if outward:
        # Warming instances count in capacity: repeated breaches in one step make one activity.
        base = group.in_service
        want = apply_adjustment(
            base,
            rule.adjustment_type,
            step.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
            rounding=rounding,
        )
        counted = _capacity(group)
        text = f"{cause}; step rule {rule.name} step {_step_label(step)} {label}"
        if base != current:
            text += f" of {base} warmed-up instances = {want}"
        if want > counted:
            tick.outs.append(_Want(rule.name, "scale_out", want, text))
        elif counted > base:
            tick.blocked.append(f"{text}; warming or pending instances already count toward it")
        return
    want = apply_adjustment(
        current,
        rule.adjustment_type,
        step.adjustment,
        min_adjustment_magnitude=rule.min_adjustment_magnitude,
        rounding=rounding,
    )
    if want >= current:
        return
    text = f"{cause}; step rule {rule.name} step {_step_label(step)} {label}"
    if _scale_in_blocked(group):
        tick.blocked.append(f"{text}: no scale-in while {_busy(group)}")
        return
    tick.ins.append(_Want(rule.name, "scale_in", want, text))


def _simple(
    rule: SimpleRule,
    group: GroupSnapshot,
    values: Sequence[float | None],
    state: RuleState,
    tick: _Tick,
    now: datetime,
    *,
    consecutive: bool,
    rounding: PercentRounding,
) -> None:
    result = _evaluate_main(rule, values, state, tick, consecutive)
    if result.state is not AlarmState.ALARM:
        return
    metric = _latest(result.values)
    cause = _alarm_cause(
        rule.name, result, rule.metric, metric, rule.comparison.value, rule.threshold
    )
    label = _adjustment_label(rule.adjustment_type, rule.adjustment)
    if "AlarmNotification" in group.suspended:
        tick.blocked.append(f"{cause}; simple rule {rule.name}: AlarmNotification suspended")
        return
    if group.activity_in_progress:
        tick.blocked.append(f"{cause}; simple rule {rule.name} waits for the activity in progress")
        return
    left = cooldown_left(group, now, rule.cooldown_s)
    if left > 0:
        tick.blocked.append(f"{cause}; simple rule {rule.name} {label}: cooldown {left} s left")
        return
    current = group.desired
    want = apply_adjustment(
        current,
        rule.adjustment_type,
        rule.adjustment,
        min_adjustment_magnitude=rule.min_adjustment_magnitude,
        rounding=rounding,
    )
    text = f"{cause}; simple rule {rule.name} {label}"
    if want > current:
        tick.outs.append(_Want(rule.name, "scale_out", want, text))
    elif want < current:
        tick.ins.append(_Want(rule.name, "scale_in", want, text))


def cooldown_left(group: GroupSnapshot, now: datetime, cooldown_s: int | None = None) -> int:
    """Seconds of cooldown left (0 when none): the policy's cooldown overrides the group's, and it
    runs from the end of the last scaling activity."""
    if group.last_activity_end is None:
        return 0
    seconds = group.default_cooldown_s if cooldown_s is None else cooldown_s
    left = (group.last_activity_end + timedelta(seconds=seconds) - now).total_seconds()
    return max(0, math.ceil(left))


def _adjustment_label(adjustment_type: AdjustmentType, value: int) -> str:
    if adjustment_type is AdjustmentType.EXACT:
        return f"sets capacity to {value}"
    if adjustment_type is AdjustmentType.PERCENT:
        return f"changes capacity by {value:+d} %"
    return f"changes capacity by {value:+d}"


def _step_label(step: Step) -> str:
    lower = "-inf" if step.lower is None else _fmt(step.lower)
    upper = "+inf" if step.upper is None else _fmt(step.upper)
    return f"[{lower}, {upper}]"


# --- scheduled and predictive --------------------------------------------------------------------


def scheduled_fire_time(rule: ScheduledRule, after: datetime, until: datetime) -> datetime | None:
    """When ``rule`` fired in (after, until], or None. Missed older runs are not replayed one by
    one: every run of a rule sets the same bounds, so one run stands for all."""
    fire = next_fire(rule, after)
    return fire if fire is not None and fire <= until else None


def _scheduled(
    rules: Sequence[tuple[ScheduledRule, RuleState]],
    group: GroupSnapshot,
    now: datetime,
    tick: _Tick,
) -> list[tuple[datetime, ScheduledRule]]:
    fired: list[tuple[datetime, ScheduledRule]] = []
    for rule, state in rules:
        tick.states[rule.name] = RuleState(state.alarm_states, state.last_fired, now)
        # A first tick looks back one minute only: old runs of a recurring action are not replayed.
        after = state.last_scheduled_run or now - timedelta(minutes=1)
        try:
            at = scheduled_fire_time(rule, after, now)
        except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
            tick.blocked.append(f"scheduled action {rule.name}: {exc}")
            continue
        if at is None:
            continue
        if "ScheduledActions" in group.suspended:
            tick.blocked.append(f"scheduled action {rule.name}: ScheduledActions suspended")
            continue
        fired.append((at, rule))
        tick.states[rule.name] = _fired(tick.states[rule.name], now)
    fired.sort(key=lambda item: (item[0], item[1].name))  # actions run in order within a group
    return fired


def _predictive(
    rule: PredictiveRule,
    group: GroupSnapshot,
    forecast: Mapping[str, Sequence[float]] | None,
    state: RuleState,
    now: datetime,
    tick: _Tick,
    high: int,
) -> None:
    tick.states[rule.name] = state
    hourly = (forecast or {}).get(rule.metric)
    if not hourly:
        return
    # Capacity for an hour is launched SchedulingBufferTime before it starts.
    hour = now.replace(minute=0, second=0, microsecond=0)
    target_time = now + timedelta(seconds=rule.buffer_s)
    index = int((target_time - hour).total_seconds() // 3600)
    if index >= len(hourly):
        return
    load = hourly[index]
    want = _ceil(load / rule.target) if load > 0 else 0
    slot = (hour + timedelta(hours=index)).strftime("%H:%M")
    formula = f"ceil({_fmt(load)} / {_fmt(rule.target)}) = {want}"
    raise_max_to: int | None = None
    if want > high:
        if rule.max_capacity_behavior is MaxCapacityBehavior.INCREASE:
            buffer = rule.max_capacity_buffer or 0
            raise_max_to = _ceil(want * (1 + buffer / 100))
        else:
            formula += f", held at max {high}"
            want = high
    text = f"predictive {rule.name}: forecast {rule.metric} load for {slot} wants {formula}"
    if rule.mode is PredictiveMode.FORECAST_ONLY:
        if want > group.desired:
            tick.notes.append(f"{text}; forecast only, would scale {group.desired} -> {want}")
        return
    if tick.floor is None or want > tick.floor[1]:
        tick.floor = (rule.name, want)
    if want > _capacity(group):  # predictive never scales in
        tick.outs.append(_Want(rule.name, "predictive", want, text, raise_max_to))


# --- the tick ------------------------------------------------------------------------------------


def _scale_out_trips(
    rules: Sequence[AnyRule],
    history: Mapping[str, Sequence[float | None]],
    load_base: int,
    count: int,
) -> str | None:
    """Which scale-out rule a capacity of ``count`` would trip, assuming constant load (Azure)."""
    for rule in rules:
        if not rule.enabled or isinstance(rule, ScheduledRule | PredictiveRule):
            continue
        metric = _latest(history.get(rule.metric, ()))
        if metric is None or count <= 0:
            continue
        projected = metric * load_base / count
        if isinstance(rule, TargetTrackingRule):
            if projected > rule.target:
                return (
                    f"{rule.metric} would be ~{_fmt(projected)}, "
                    f"above {rule.name}'s {_fmt(rule.target)}"
                )
        elif _scales_out(rule) and rule.comparison.breaches(projected, rule.threshold):
            return (
                f"{rule.metric} would be ~{_fmt(projected)}, tripping {rule.name} "
                f"({rule.comparison.value} {_fmt(rule.threshold)})"
            )
    return None


def _scales_out(rule: StepRule | SimpleRule) -> bool:
    adjustments = (
        [s.adjustment for s in rule.steps] if isinstance(rule, StepRule) else [rule.adjustment]
    )
    if rule.adjustment_type is AdjustmentType.EXACT:
        return False  # direction depends on the capacity; not a scale-out rule for anti-flapping
    return any(a > 0 for a in adjustments)


def _anti_flap(
    want: _Want,
    current: int,
    rules: Sequence[AnyRule],
    history: Mapping[str, Sequence[float | None]],
    load_base: int,
) -> tuple[_Want | None, str | None]:
    """Azure's flapping protection: raise the scale-in target until no scale-out rule would trip."""
    first_trip = _scale_out_trips(rules, history, load_base, want.desired)
    if first_trip is None:
        return want, None
    for count in range(want.desired + 1, current):
        if _scale_out_trips(rules, history, load_base, count) is None:
            reason = (
                f"{want.reason}; anti-flapping: {count} instead of {want.desired} ({first_trip})"
            )
            return replace(want, desired=count, reason=reason), None
    return None, f"anti-flapping: scaling in to {want.desired} skipped ({first_trip})"


def decide(
    group: GroupSnapshot,
    rules: Sequence[AnyRule],
    history: Mapping[str, Sequence[float | None]],
    now: datetime,
    *,
    states: Mapping[str, RuleState] | None = None,
    rounding: PercentRounding = PercentRounding.AWS,
    consecutive_alarms: bool = False,
    tt_low_fraction: float = 0.9,
    forecast: Mapping[str, Sequence[float]] | None = None,
) -> Decision:
    """One tick of the autoscaler for one group.

    ``history`` maps a portable metric name to one datapoint per minute, oldest first, the newest
    being the minute that just ended; values exclude warming instances; None is a missing point.
    ``forecast`` maps a metric to hourly forecasts of the group's *total* load (metric x instances)
    starting at the current hour, for predictive rules.
    """
    known = states or {}
    tick = _Tick()
    enabled = [r for r in rules if r.enabled]
    for rule in rules:
        if not rule.enabled and rule.name in known:
            tick.states[rule.name] = known[rule.name]

    # 1. Scheduled actions first: they set the bounds everything else lives in.
    low, high = group.min, group.max
    scheduled_desired: int | None = None
    sched_text: list[str] = []
    sched_rule: str | None = None
    scheduled = [
        (r, known.get(r.name, RuleState())) for r in enabled if isinstance(r, ScheduledRule)
    ]
    for _at, rule in _scheduled(scheduled, group, now, tick):
        new_low = low if rule.min is None else rule.min
        new_high = high if rule.max is None else rule.max
        if new_low > new_high:
            tick.blocked.append(f"scheduled action {rule.name}: min {new_low} > max {new_high}")
            continue
        low, high = new_low, new_high
        if rule.desired is not None:
            scheduled_desired = rule.desired
        parts = [
            f"{k} {v}"
            for k, v in (("min", rule.min), ("max", rule.max), ("desired", rule.desired))
            if v is not None
        ]
        sched_text.append(f"scheduled action {rule.name} set {', '.join(parts)}")
        sched_rule = rule.name

    # 2. Every dynamic rule says what it wants.
    for rule in enabled:
        state = known.get(rule.name, RuleState())
        values = history.get(getattr(rule, "metric", ""), ())
        if isinstance(rule, TargetTrackingRule):
            _target_tracking(
                rule,
                group,
                values,
                state,
                tick,
                consecutive=consecutive_alarms,
                low_fraction=tt_low_fraction,
            )
        elif isinstance(rule, StepRule):
            _step(
                rule, group, values, state, tick, consecutive=consecutive_alarms, rounding=rounding
            )
        elif isinstance(rule, SimpleRule):
            _simple(
                rule,
                group,
                values,
                state,
                tick,
                now,
                consecutive=consecutive_alarms,
                rounding=rounding,
            )
        elif isinstance(rule, PredictiveRule):
            _predictive(rule, group, forecast, state, now, tick, high)

    # 3. Combine: the largest scale-out wins; scale-in only when nothing wants out.
    current = group.desired
    base = current if scheduled_desired is None else scheduled_desired
    kind: DecisionKind = "scheduled" if sched_text else "none"
    winner: _Want | None = None
    if tick.outs:
        winner = max(tick.outs, key=lambda w: (w.desired, w.rule))
        if winner.desired <= base:
            winner = None
    elif scheduled_desired is None:
        winner = _pick_scale_in(tick, current, enabled, history, group)

    raised_high = high
    if winner is not None and winner.raise_max_to is not None:
        raised_high = max(high, winner.raise_max_to)  # the only way past max; the raised max stays
    target = winner.desired if winner is not None else base
    desired = clamp(target, low, raised_high)

    reasons = list(sched_text)
    if winner is not None:
        kind = winner.kind
        reasons.append(winner.reason)
    if desired != target:
        reasons.append(f"held within [{low}, {raised_high}]")
    if desired != current and kind == "none":  # a capacity outside the bounds is brought back in
        kind = "scale_out" if desired > current else "scale_in"
    reason = "; ".join(reasons)
    if desired != current:
        reason += f": {current} -> {desired}"
        if winner is not None:
            tick.states[winner.rule] = _fired(tick.states[winner.rule], now)
    elif winner is not None:
        tick.blocked.append(f"{reason}: already at {current}")
        if not sched_text:
            kind, reason = "none", ""  # wanted a change the bounds do not allow
    reason = "; ".join([reason, *tick.notes]) if reason else "; ".join(tick.notes)

    changed = desired != current or low != group.min or raised_high != group.max
    return Decision(
        group=group.name,
        current=current,
        desired=desired,
        kind=kind,
        rule=winner.rule if winner is not None else sched_rule,
        reason=reason,
        new_min=low if low != group.min else None,
        new_max=raised_high if raised_high != group.max else None,
        rule_states=dict(tick.states),
        blocked="; ".join(tick.blocked) if tick.blocked and not changed else None,
    )


def _pick_scale_in(
    tick: _Tick,
    current: int,
    rules: Sequence[AnyRule],
    history: Mapping[str, Sequence[float | None]],
    group: GroupSnapshot,
) -> _Want | None:
    candidates = list(tick.ins)
    votes = tick.tt_in
    if votes and all(v is not None for v in votes):
        # All target tracking rules agree: the one keeping the most capacity speaks for them.
        candidates.append(max((v for v in votes if v is not None), key=lambda w: w.desired))
    if not candidates:
        return None
    # Like AWS with several policies: the one giving the largest capacity wins.
    want = max(candidates, key=lambda w: (w.desired, w.rule))
    low = group.min
    if tick.floor is not None and tick.floor[1] > low:
        low = tick.floor[1]
    desired = clamp(want.desired, low, current)
    held = ""
    if tick.floor is not None and low > group.min and want.desired < low:
        held = f"predictive {tick.floor[0]} holds a floor of {low} for this hour"
    if desired >= current:
        if held:
            tick.blocked.append(f"{want.reason}; no scale-in: {held}")
        return None
    if desired != want.desired:
        reason = f"{want.reason}; {held}" if held else want.reason
        want = replace(want, desired=desired, reason=reason)
    load_base = group.in_service or current
    checked, blocked = _anti_flap(want, current, rules, history, load_base)
    if blocked is not None:
        tick.blocked.append(blocked)
    return checked


# --- what a manual change will provoke -----------------------------------------------------------


def preview_after_manual(
    group: GroupSnapshot,
    new_desired: int,
    rules: Sequence[AnyRule],
    history: Mapping[str, Sequence[float | None]],
    now: datetime,
    *,
    rounding: PercentRounding = PercentRounding.AWS,
    tt_low_fraction: float = 0.9,
) -> list[str]:
    """Human-readable lines: what the rules will do after a manual change to ``new_desired``.

    Load is assumed constant, so the per-instance metric becomes ``metric x cur / new``."""
    lines: list[str] = []
    load_base = group.in_service or group.desired
    if new_desired <= 0:
        return lines
    for rule in rules:
        if not rule.enabled or isinstance(rule, ScheduledRule):
            continue
        metric = _latest(history.get(rule.metric, ()))
        if metric is None:
            continue
        # Constant load: the per-instance metric spreads over the new count.
        projected = metric * load_base / new_desired
        line: str | None = None
        if isinstance(rule, TargetTrackingRule):
            line = _preview_tt(rule, group, new_desired, projected, tt_low_fraction)
        elif isinstance(rule, StepRule | SimpleRule):
            line = _preview_alarm_rule(rule, group, new_desired, projected, rounding)
        elif isinstance(rule, PredictiveRule):
            line = _preview_predictive(rule, group, new_desired)
        if line:
            lines.append(line)
    return lines


def _preview_tt(
    rule: TargetTrackingRule, group: GroupSnapshot, new: int, projected: float, low_fraction: float
) -> str | None:
    want = clamp(_ceil(new * projected / rule.target), group.min, group.max)
    shown = f"{rule.metric} would be ~{_fmt(projected)}"
    if projected > rule.target and want > new:
        return (
            f"target tracking {rule.name} will scale out to ~{want} within ~3 min "
            f"({shown}, above {_fmt(rule.target)} for 3 periods)"
        )
    low = low_fraction * rule.target
    if not rule.disable_scale_in and projected < low and want < new:
        return (
            f"target tracking {rule.name} will scale back to ~{want} within ~15 min "
            f"({shown}, below {_fmt(low)} for 15 periods)"
        )
    return None


def _preview_alarm_rule(
    rule: StepRule | SimpleRule,
    group: GroupSnapshot,
    new: int,
    projected: float,
    rounding: PercentRounding,
) -> str | None:
    if not rule.comparison.breaches(projected, rule.threshold):
        return None
    minutes = rule.evaluation_periods * max(1, rule.period_s // 60)
    shown = (
        f"{rule.metric} would be ~{_fmt(projected)}, {rule.comparison.value} {_fmt(rule.threshold)}"
    )
    if isinstance(rule, StepRule):
        step = select_step(rule.steps, projected - rule.threshold)
        if step is None:
            return None
        want = apply_adjustment(
            new,
            rule.adjustment_type,
            step.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
            rounding=rounding,
        )
        label = "step rule"
    else:
        want = apply_adjustment(
            new,
            rule.adjustment_type,
            rule.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
            rounding=rounding,
        )
        label = "simple rule"
        # A manual change starts an activity; simple rules wait for its cooldown.
        cooldown = group.default_cooldown_s if rule.cooldown_s is None else rule.cooldown_s
        minutes = max(minutes, math.ceil(cooldown / 60))
    want = clamp(want, group.min, group.max)
    if want == new:
        return None
    verb = "scale out" if want > new else "scale in"
    return f"{label} {rule.name} will {verb} to ~{want} within ~{minutes} min ({shown})"


def _preview_predictive(rule: PredictiveRule, group: GroupSnapshot, new: int) -> str | None:
    del group, new  # without a forecast at hand the preview can only warn about the floor it sets
    if rule.mode is PredictiveMode.FORECAST_ONLY:
        return None
    return f"predictive {rule.name} may raise capacity again at the next hour to match its forecast"
