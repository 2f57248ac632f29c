"""Backtests: replay a per-minute load through a group's rules with the core's own decisions.

The capacity model is deliberately small. Load is in *load units* per minute (requests, or
instance-percent for utilization traces) and one warm instance serves ``capacity`` units at 100 %:

    utilization(minute) = 100 x load / (instances in service x capacity)

An instance launched at minute t is in service at t + boot and warm at t + boot + warm-up (whole
minutes, as in the sim). As in the sim, the load spreads evenly over the instances in service, and
only warm ones report the metric (AWS leaves warming instances out of it): the metric is missing
while none is warm. A scale-in removes instances at once: pending ones first, then
warming ones, then warm ones. Every minute follows the sim's order: instances move along their
lifecycle, the autoscaler decides (``scalectl.core.decide.decide``: alarms M-of-N, cooldown,
warm-up, bounds, scheduled and predictive rules), the change is applied, then the minute is
measured.

Speed: ``decide()`` costs tens of microseconds, and 30 days is 43,200 minutes per group. Most
minutes provably change nothing: every alarm of every rule looks at a window of recent minutes and
can only be in ALARM when enough of them are (nearly) breaching. Target tracking, step, simple and
scheduled rules replay event by event (``backtest_fast``): breaching minutes are found in bulk and
only the ticks where a rule could act are decided, by the rules compiled for it (``fastdecide``)
or by ``decide()`` itself (first minutes, scheduled actions, missing datapoints). Groups with a
predictive rule or an alarm that ignores missing data replay here, calling ``decide()`` on the
minutes where some alarm could be in ALARM, where a scheduled or predictive rule may act, right
after a change, and whenever a datapoint is missing. Either way skipped minutes are exactly the
ones where ``decide()`` returns no change; ``exhaustive=True`` calls it every minute, and the
tests compare them. A replay is pure Python and runs on one core: ``backtest_many`` runs several
(groups, rule files) on every core this process may use, with the same results.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from itertools import accumulate, chain, compress, count, islice, pairwise
from operator import and_, itemgetter, sub
from typing import Any, Literal, cast

from scalectl.core.backtest_fast import Event as EventRow
from scalectl.core.backtest_fast import EventReplay, Outcome, Setup
from scalectl.core.backtest_fast import Point as PointRow
from scalectl.core.decide import (
    Decision,
    GroupSnapshot,
    RuleState,
    _predictive,
    _Tick,
    decide,
)
from scalectl.core.errors import InputError
from scalectl.core.fastdecide import compile_rules
from scalectl.core.forecast import forecast_hourly
from scalectl.core.model import Comparison, Statistic, iso
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    GroupBounds,
    PredictiveRule,
    RuleSet,
    ScheduledRule,
    SimpleRule,
    StepRule,
    TargetTrackingRule,
)
from scalectl.core.schedule import next_fire
from scalectl.core.trace import Trace

MINUTE = timedelta(minutes=1)
# Metrics the capacity model can produce: utilization, and requests per warm instance.
MODELLED_METRICS = ("cpu", "requests_per_target")
CHUNK = 240  # minutes computed ahead at a time: work thrown away after a change stays small
FORECAST_REFRESH_H = 6  # AWS refreshes predictive forecasts every 6 hours
EPS = 1e-9  # relative margin: "nearly breaching" covers float noise in period averages


@dataclass(frozen=True)
class CapacityModel:
    capacity: float  # load units one warm instance serves at 100 % utilization
    boot_s: int = 120
    warmup_s: int = 180
    requests: bool = True  # load is in requests (requests_per_target can be modelled)

    @property
    def boot_min(self) -> int:
        return max(1, math.ceil(self.boot_s / 60))

    @property
    def warmup_min(self) -> int:
        return math.ceil(self.warmup_s / 60)


@dataclass(frozen=True)
class Load:
    """A per-minute load in the units of a capacity model."""

    start: datetime
    values: Sequence[float]
    capacity: float
    requests: bool
    first_instances: int | None = None  # instances in service at the first minute, when known


def load_of(trace: Trace, *, capacity: float | None, instances: int | None = None) -> Load:
    """Turn a trace into load units: requests need ``capacity`` (requests per minute one instance
    serves at 100 %); utilization x instances is in instance-percent, so one instance serves 100."""
    if trace.kind == "requests":
        if capacity is None or capacity <= 0:
            raise InputError(
                "a requests trace needs the capacity of one instance (requests per minute at "
                "100 % utilization)",
                field="--capacity",
            )
        first = trace.instances[0] if trace.instances else None
        return Load(trace.start, trace.values, float(capacity), True, first)
    if trace.instances is not None:
        values = [u * n for u, n in zip(trace.values, trace.instances, strict=True)]
        return Load(trace.start, values, 100.0, False, trace.instances[0])
    if instances is None:
        raise InputError(
            f"{trace.source}: a utilization trace needs an 'instances' column, or the number of "
            "instances it was measured at",
            field="--instances",
        )
    return Load(trace.start, [u * instances for u in trace.values], 100.0, False, instances)


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleEvent:
    at: datetime
    kind: str
    before: int
    after: int
    rule: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "kind": self.kind,
            "from": self.before,
            "to": self.after,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TimelinePoint:
    """From ``at`` until the next point: ``desired`` launched, ``in_service`` of them carrying
    load, ``warm`` of those past their warm-up (reporting the metric)."""

    at: datetime
    desired: int
    in_service: int
    warm: int

    @property
    def counts(self) -> tuple[int, int, int]:
        return (self.desired, self.in_service, self.warm)


@dataclass(frozen=True)
class BacktestResult:
    name: str
    group: str
    start: datetime
    minutes: int
    target: float
    saturation: float
    price: float | None
    instance_minutes: int
    minutes_above_target: int
    minutes_above_saturation: int
    unserved_minutes: int  # load arrived and no instance was warm
    peak_utilization: float | None
    # The events and the timeline as the replay found them, in minutes from ``start``: tuples of
    # ints and strings, which the garbage collector stops tracking (thousands a month).
    event_rows: tuple[EventRow, ...]
    timeline_rows: tuple[PointRow, ...]
    decide_calls: int  # ticks decided, by decide() or the rules compiled for the replay

    @cached_property
    def events(self) -> tuple[ScaleEvent, ...]:
        """The scale events (built on first use: a month of a busy group holds thousands)."""
        start = self.start
        return tuple(
            ScaleEvent(start + minute * MINUTE, kind, before, after, rule, reason)
            for minute, kind, before, after, rule, reason in self.event_rows
        )

    @cached_property
    def timeline(self) -> tuple[TimelinePoint, ...]:
        start = self.start
        return tuple(
            TimelinePoint(start + minute * MINUTE, desired, serving, warm)
            for minute, desired, serving, warm in self.timeline_rows
        )

    @property
    def instance_hours(self) -> float:
        return self.instance_minutes / 60

    @property
    def cost(self) -> float | None:
        return None if self.price is None else self.instance_hours * self.price

    @property
    def scale_outs(self) -> int:
        return sum(1 for e in self.event_rows if e[3] > e[2])

    @property
    def scale_ins(self) -> int:
        return sum(1 for e in self.event_rows if e[3] < e[2])

    def capacity_at(self, minute: int) -> tuple[int, int, int]:
        """(desired, in service, warm) during ``minute`` (0 = the trace's first minute)."""
        rows = self.timeline_rows
        index = bisect_right(rows, minute, key=itemgetter(0)) - 1
        return rows[max(index, 0)][1:]

    def desired_per_minute(self) -> list[int]:
        out: list[int] = []
        rows = self.timeline_rows
        ends = [row[0] for row in rows[1:]] + [self.minutes]
        for (begin, desired, _, _), end in zip(rows, ends, strict=True):
            out.extend([desired] * (end - begin))
        return out

    def summary(self) -> dict[str, Any]:
        cost = self.cost
        return {
            "name": self.name,
            "group": self.group,
            "minutes": self.minutes,
            "instance_hours": round(self.instance_hours, 3),
            "cost": None if cost is None else round(cost, 2),
            "target": self.target,
            "saturation": self.saturation,
            "minutes_above_target": self.minutes_above_target,
            "minutes_above_saturation": self.minutes_above_saturation,
            "unserved_minutes": self.unserved_minutes,
            "peak_utilization": None
            if self.peak_utilization is None
            else round(self.peak_utilization, 2),
            "scale_outs": self.scale_outs,
            "scale_ins": self.scale_ins,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "start": iso(self.start),
            "events": [e.to_dict() for e in self.events],
            "timeline": [
                {"at": iso(p.at), "desired": p.desired, "in_service": p.in_service, "warm": p.warm}
                for p in self.timeline
            ],
        }


# --- which rules, which bounds -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRules:
    group: str
    rules: tuple[AnyRule, ...]
    min: int
    max: int
    desired: int | None = None


def rules_for(
    ruleset: RuleSet, group: str, *, source: str, fallback: GroupBounds | None = None
) -> GroupRules:
    """The rule file's rules and bounds for ``group`` (``fallback`` bounds if it has none)."""
    rules = tuple(r for r in ruleset.rules if r.group == group)
    if not rules:
        known = sorted({r.group for r in ruleset.rules})
        raise InputError(
            f"no rules for group {group!r} (the file has rules for: {', '.join(known) or 'none'})",
            source=source,
        )
    bounds = next((b for b in ruleset.bounds if b.group == group), fallback)
    if bounds is None:
        raise InputError(
            f"no bounds for group {group!r}: add [[bounds]] group = {group!r}, min = ..., "
            "max = ... to the rules file",
            source=source,
        )
    for rule in rules:
        metric = getattr(rule, "metric", None)
        if rule.enabled and metric is not None and metric not in MODELLED_METRICS:
            raise InputError(
                f"rule {rule.name!r} scales on {metric!r}, which a backtest cannot model "
                f"(it models {', '.join(MODELLED_METRICS)})",
                source=source,
            )
    return GroupRules(group, rules, bounds.min, bounds.max, bounds.desired)


def default_target(rules: Sequence[AnyRule]) -> float | None:
    """The utilization the rules aim at: a target tracking (or predictive) target on cpu, else
    the threshold of a cpu scale-out alarm."""
    for kinds in ((TargetTrackingRule,), (PredictiveRule,), (StepRule, SimpleRule)):
        for rule in rules:
            if rule.enabled and isinstance(rule, kinds) and getattr(rule, "metric", "") == "cpu":
                if isinstance(rule, StepRule | SimpleRule):
                    if _direction(rule) == "out":
                        return rule.threshold
                    continue
                return float(rule.target)
    return None


# --- the watch list: when could decide() act? ----------------------------------------------------

Direction = Literal["out", "in", "any", "none"]


@dataclass(frozen=True)
class _Watch:
    """One alarm of one rule, reduced to what says "at this minute it cannot act"."""

    metric: str
    above: bool  # GT/GE: breaching means high
    threshold: float
    span: int  # minutes the alarm reads (evaluation range N + 2 periods)
    recent: int  # minutes of the N most recent periods (what decides with complete data)
    needed: int  # nearly-breaching minutes those need for ALARM (0: always look)
    direction: Direction
    target: float | None = None  # target tracking: also the newest value must call for a change
    cooldown_s: int | None = None  # simple rules: quiet during the activity and its cooldown
    simple: bool = False


def _hot(threshold: float, above: bool) -> Any:
    """A C-level predicate: True for a value at or nearly past ``threshold``."""
    margin = EPS * max(1.0, abs(threshold))
    if above:
        return (threshold - margin).__le__
    return (threshold + margin).__ge__


def _direction(rule: StepRule | SimpleRule) -> Direction:
    if rule.adjustment_type is AdjustmentType.EXACT:
        return "any"
    values = [s.adjustment for s in rule.steps] if isinstance(rule, StepRule) else [rule.adjustment]
    if all(v == 0 for v in values):
        return "none"
    if all(v >= 0 for v in values):
        return "out"
    if all(v <= 0 for v in values):
        return "in"
    return "any"


def _watches(rules: Sequence[AnyRule], low_fraction: float) -> list[_Watch]:
    found: list[_Watch] = []
    for rule in rules:
        if not rule.enabled:
            continue
        if isinstance(rule, TargetTrackingRule):
            # Managed alarms: high > target 3 of 3, low < k x target 15 of 15 (range N + 2).
            found.append(_Watch(rule.metric, True, rule.target, 5, 3, 3, "out", rule.target))
            if not rule.disable_scale_in:
                low = low_fraction * rule.target
                found.append(_Watch(rule.metric, False, low, 17, 15, 15, "in", rule.target))
        elif isinstance(rule, StepRule | SimpleRule):
            size = max(1, rule.period_s // 60)
            m = rule.datapoints_to_alarm or rule.evaluation_periods
            # An average, minimum or maximum of a period breaches only if one of its minutes does;
            # a sum or a count can breach with none: always look.
            exact = rule.statistic in (Statistic.AVERAGE, Statistic.MINIMUM, Statistic.MAXIMUM)
            found.append(
                _Watch(
                    rule.metric,
                    rule.comparison in (Comparison.GT, Comparison.GE),
                    rule.threshold,
                    (rule.evaluation_periods + 2) * size,
                    rule.evaluation_periods * size,
                    m if exact else 0,
                    _direction(rule),
                    cooldown_s=rule.cooldown_s if isinstance(rule, SimpleRule) else None,
                    simple=isinstance(rule, SimpleRule),
                )
            )
    return found


# --- the replay ----------------------------------------------------------------------------------


@dataclass
class _Cohort:
    count: int
    in_service: int  # minute it goes in service
    warm: int  # minute it is warm


@dataclass
class _Group:
    """The replayed group: instances by lifecycle stage and the autoscaler's memory."""

    min: int
    max: int
    desired: int
    warm: int
    cohorts: list[_Cohort] = field(default_factory=list)
    last_activity_end: int | None = None
    states: dict[str, RuleState] = field(default_factory=dict)

    def lifecycle(self, minute: int) -> None:
        arrived = any(c.in_service == minute for c in self.cohorts)
        if arrived and not any(c.in_service > minute for c in self.cohorts):
            self.last_activity_end = minute  # the cooldown runs from the last launch's end
        for cohort in [c for c in self.cohorts if c.warm <= minute]:
            self.warm += cohort.count
            self.cohorts.remove(cohort)

    def counts(self, minute: int) -> tuple[int, int]:
        """(warming, pending) at ``minute``."""
        warming = sum(c.count for c in self.cohorts if c.in_service <= minute)
        pending = sum(c.count for c in self.cohorts if c.in_service > minute)
        return warming, pending

    def next_event(self, minute: int) -> int | None:
        upcoming = [m for c in self.cohorts for m in (c.in_service, c.warm) if m > minute]
        return min(upcoming) if upcoming else None

    def resize(self, desired: int, minute: int, model: CapacityModel) -> None:
        change = desired - self.desired
        self.desired = desired
        if change > 0:
            start = minute + model.boot_min
            self.cohorts.append(_Cohort(change, start, start + model.warmup_min))
            return
        remove = -change
        # Pending first, then warming (newest first), then warm instances.
        for cohort in sorted(self.cohorts, key=lambda c: -c.in_service):
            taken = min(cohort.count, remove)
            cohort.count -= taken
            remove -= taken
        self.cohorts = [c for c in self.cohorts if c.count > 0]
        self.warm -= remove
        self.last_activity_end = minute


@dataclass
class _Stats:
    instance_minutes: int = 0
    above_target: int = 0
    above_saturation: int = 0
    unserved: int = 0
    peak: float | None = None


class _Replay:
    def __init__(
        self,
        name: str,
        group: GroupRules,
        load: Load,
        model: CapacityModel,
        *,
        target: float,
        saturation: float,
        price: float | None,
        default_cooldown_s: int,
        tt_low_fraction: float,
        exhaustive: bool,
    ) -> None:
        self.name = name
        self.spec = group
        self.load = load.values
        self.start = load.start
        self.n = len(load.values)
        self.model = model
        self.target = target
        self.saturation = saturation
        self.price = price
        self.cooldown_s = default_cooldown_s
        self.low_fraction = tt_low_fraction
        self.exhaustive = exhaustive
        self.rules = [r for r in group.rules if r.enabled]
        initial = group.desired if group.desired is not None else load.first_instances
        desired = min(max(initial if initial is not None else group.min, group.min), group.max)
        self.g = _Group(group.min, group.max, desired, desired)
        self.watches = _watches(self.rules, tt_low_fraction)
        self.history_len = max([w.span for w in self.watches] + [20]) + 1
        metrics = {"cpu"} | {w.metric for w in self.watches}
        metrics |= {r.metric for r in self.rules if isinstance(r, PredictiveRule)}
        self.series: dict[str, list[float | None]] = {m: [None] * self.n for m in metrics}
        self.factor = {
            "cpu": 100.0 / model.capacity,
            "requests_per_target": 1.0,
        }
        self.predictive = [r for r in self.rules if isinstance(r, PredictiveRule)]
        self.forced = self._forced_ticks()
        self.stats = _Stats()
        self.events: list[EventRow] = []
        self.timeline: list[PointRow] = []
        self.calls = 0
        self._forecasts: dict[int, list[float] | None] = {}
        self._hourly: list[float] | None = None
        self._first_hour = load.start

    # -- when decide() must be asked regardless of alarms --

    def _forced_ticks(self) -> list[int]:
        ticks = set(range(1, min(self.n, self.history_len + 1)))  # short history
        end = self.start + self.n * MINUTE
        for rule in self.rules:
            if isinstance(rule, ScheduledRule):
                after = self.start - MINUTE
                while (fire := next_fire(rule, after)) is not None and fire < end:
                    ticks.add(max(1, math.ceil((fire - self.start) / MINUTE)))
                    after = fire
        if self.predictive:
            base = self.start.replace(minute=0, second=0, microsecond=0)
            hours = self.n // 60 + 3
            for rule in self.predictive:
                for h in range(hours):  # the hour whose capacity is launched buffer_s ahead
                    at = base + timedelta(hours=h, seconds=-rule.buffer_s)
                    ticks.add(math.ceil((at - self.start) / MINUTE))
            for h in range(hours):  # a forecast refresh may change what it wants
                ticks.add(math.ceil((base + timedelta(hours=h) - self.start) / MINUTE))
        return sorted(t for t in ticks if 1 <= t < self.n)

    # -- forecasts for predictive rules --

    def _forecast(self, tick: int) -> Mapping[str, Sequence[float]] | None:
        if not self.predictive:
            return None
        now = self.start + tick * MINUTE
        hour = now.replace(minute=0, second=0, microsecond=0)
        refreshed = hour - timedelta(hours=hour.hour % FORECAST_REFRESH_H)
        key = int((refreshed - self.start).total_seconds() // 60)
        if key not in self._forecasts:
            self._forecasts[key] = self._fit(refreshed)
        hourly = self._forecasts[key]
        if hourly is None:
            return None
        skip = int((hour - refreshed).total_seconds() // 3600)
        return {r.metric: hourly[skip:] for r in self.predictive}

    def _fit(self, at: datetime) -> list[float] | None:
        """The forecast made at ``at`` from the whole hours before it, as total load in the
        predictive metric's units (cpu percent x instances, or requests)."""
        if self._hourly is None:
            offset = (60 - self.start.minute) % 60  # the first whole hour
            self._first_hour = self.start + offset * MINUTE
            self._hourly = [sum(self.load[i : i + 60]) / 60 for i in range(offset, self.n - 59, 60)]
        done = min(len(self._hourly), int((at - self._first_hour) / timedelta(hours=1)))
        if done < 24:
            return None
        factor = self.factor[self.predictive[0].metric]
        points: list[tuple[datetime, float | None]] = [
            (self._first_hour + timedelta(hours=h), self._hourly[h] * factor)
            for h in range(max(0, done - 14 * 24), done)
        ]
        return forecast_hourly(points, at, hours=48 + FORECAST_REFRESH_H)

    # -- one decision --

    def _snapshot(self, tick: int) -> GroupSnapshot:
        g = self.g
        warming, pending = g.counts(tick)
        return GroupSnapshot(
            name=self.spec.group,
            min=g.min,
            max=g.max,
            desired=g.desired,
            in_service=g.warm,
            warming=warming,
            pending=pending,
            default_cooldown_s=self.cooldown_s,
            warmup_s=self.model.warmup_s,
            last_activity_end=None
            if g.last_activity_end is None
            else self.start + g.last_activity_end * MINUTE,
            activity_in_progress=pending > 0,
        )

    def _decide(self, tick: int) -> Decision:
        self.calls += 1
        g = self.g
        low = max(0, tick - self.history_len)
        history = {m: s[low:tick] for m, s in self.series.items()}
        decision = decide(
            self._snapshot(tick),
            self.rules,
            history,
            self.start + tick * MINUTE,
            states=g.states,
            tt_low_fraction=self.low_fraction,
            forecast=self._forecast(tick),
        )
        g.states = {**g.states, **decision.rule_states}
        return decision

    def _apply(self, tick: int, decision: Decision) -> None:
        g = self.g
        if decision.new_min is not None:
            g.min = decision.new_min
        if decision.new_max is not None:
            g.max = decision.new_max
        if decision.desired == g.desired:
            return
        self.events.append(
            (tick, decision.kind, g.desired, decision.desired, decision.rule, decision.reason)
        )
        g.resize(decision.desired, tick, self.model)

    # -- measuring --

    def _serving(self, minute: int) -> int:
        warming, _ = self.g.counts(minute)
        return self.g.warm + warming

    def _measure(self, begin: int, end: int) -> None:
        """Fill the metric series for minutes [begin, end) (no lifecycle event in between).

        Load spreads over every instance in service; only warm ones report the metric."""
        serving = self._serving(begin)
        segment = self.load[begin:end]
        for metric, series in self.series.items():
            if self.g.warm > 0:
                scale = self.factor[metric] / serving
                series[begin:end] = map(scale.__mul__, segment)
            else:
                series[begin:end] = [None] * (end - begin)

    def _account(self, begin: int, end: int) -> None:
        """Add minutes [begin, end) (final, no lifecycle event in between) to the statistics."""
        if end <= begin:
            return
        stats = self.stats
        stats.instance_minutes += self.g.desired * (end - begin)
        serving = self._serving(begin)
        if serving > 0:
            scale = self.factor["cpu"] / serving  # the very values the metric holds
            cpu = list(map(scale.__mul__, self.load[begin:end]))
            stats.above_target += sum(map(self.target.__lt__, cpu))
            stats.above_saturation += sum(map(self.saturation.__lt__, cpu))
            peak = max(cpu)
            if stats.peak is None or peak > stats.peak:
                stats.peak = peak
        else:
            unserved = sum(1 for v in self.load[begin:end] if v > 0)
            stats.unserved += unserved
            stats.above_target += unserved
            stats.above_saturation += unserved

    def _mark(self, tick: int) -> None:
        point = (tick, self.g.desired, self._serving(tick), self.g.warm)
        if self.timeline and self.timeline[-1][0] == tick:
            self.timeline[-1] = point
        elif not self.timeline or self.timeline[-1][1:] != point[1:]:
            self.timeline.append(point)

    # -- which ticks in (begin, end) need decide() --

    def _candidates(self, begin: int, end: int) -> Iterator[int]:
        """Ticks t in (begin, end) where decide() may act, in order.

        Tick t reads minutes [t - span, t); minutes [begin, end - 1) are measured, at a constant
        warm count. With every datapoint real, an alarm decides on its N most recent periods,
        so it can be in ALARM only if ``needed`` of those minutes nearly breach."""
        if self.exhaustive:
            return iter(range(begin + 1, end))
        every = range(begin + 1, end)
        streams: list[Iterator[int]] = []
        lo_f = bisect_right(self.forced, begin)
        hi_f = bisect_right(self.forced, end - 1)
        streams.append(iter(self.forced[lo_f:hi_f]))
        if self.predictive:
            streams.append(self._predictive_ticks(begin, end))
        g = self.g
        warming, pending = g.counts(begin)
        for watch in self.watches:
            if watch.direction == "none":
                continue
            if watch.direction == "out" and g.desired >= g.max:
                continue  # already at max: a scale-out alarm can change nothing
            if watch.direction == "in" and g.desired <= g.min:
                continue  # already at min: a scale-in alarm can change nothing
            if watch.simple and pending:
                continue  # a simple rule waits for the activity in progress
            first = begin + 1 - watch.recent
            series = self.series[watch.metric]
            if begin + 1 - watch.span < 0 or watch.needed == 0 or g.warm == 0:
                streams.append(iter(every))
                continue
            if None in series[begin + 1 - watch.span : begin + 1]:
                streams.append(iter(every))
                continue
            values = cast(list[float], series[first : end - 1])
            hot = bytes(map(_hot(watch.threshold, watch.above), values))
            sums = list(accumulate(hot, initial=0))
            alarmed = map(watch.needed.__le__, map(sub, islice(sums, watch.recent, None), sums))
            if watch.target is not None:
                # Target tracking acts on the newest value v: out when ceil(w v / T) exceeds the
                # counted capacity, in only when it is below the desired capacity.
                if watch.direction == "out":
                    level = watch.target * max(g.desired, g.warm + warming + pending) / g.warm
                    acts = map(_hot(level, True), islice(values, watch.recent - 1, None))
                else:
                    level = watch.target * (g.desired - 1) / g.warm
                    acts = map(_hot(level, False), islice(values, watch.recent - 1, None))
                alarmed = map(and_, alarmed, acts)
            ticks: Iterator[int] = compress(count(begin + 1), alarmed)
            if watch.simple and g.last_activity_end is not None:
                wait = self.cooldown_s if watch.cooldown_s is None else watch.cooldown_s
                ready = g.last_activity_end + math.ceil(wait / 60)
                if ready > begin + 1:
                    ticks = filter(ready.__le__, ticks)  # binds ready now, unlike a closure
            streams.append(ticks)
        # Chunks are short (CHUNK minutes): sorting the union in C beats a lazy heap merge.
        return iter(sorted(set(chain.from_iterable(streams))))

    def _predictive_ticks(self, begin: int, end: int) -> Iterator[int]:
        """Ticks in (begin, end) where a forecast-and-scale rule wants more than the capacity.

        decide() takes the largest scale-out, so such a rule acts on the first tick no other
        rule outbids it (an alarm clears), which may be any tick. What it wants changes only on
        forced ticks (the hour its capacity is for, a forecast refresh), the capacity only with
        a change: ask decide's own _predictive once per stretch between forced ticks."""
        lo_f = bisect_right(self.forced, begin + 1)
        hi_f = bisect_right(self.forced, end - 1)
        cuts = [begin + 1, *self.forced[lo_f:hi_f], end]
        for first, stop in pairwise(cuts):
            forecast = self._forecast(first)
            if first >= stop or forecast is None:
                continue
            wants = _Tick()
            now = self.start + first * MINUTE
            for rule in self.predictive:
                _predictive(
                    rule, self._snapshot(first), forecast, RuleState(), now, wants, self.g.max
                )
            if wants.outs:
                yield from range(first, stop)

    # -- the loop --

    def run(self) -> BacktestResult:
        if not self.exhaustive:
            compiled = compile_rules(
                self.rules,
                tt_low_fraction=self.low_fraction,
                default_cooldown_s=self.cooldown_s,
            )
            if compiled is not None:
                return self._outcome(EventReplay(self._setup(), compiled).run())
        g = self.g
        tick = 0
        self._mark(0)
        while tick < self.n:
            # The state holds from ``tick`` (already decided) until the next lifecycle event.
            event = g.next_event(tick)
            end = min(self.n, tick + CHUNK, event if event is not None else self.n)
            self._measure(tick, end)
            changed_at: int | None = None
            last = tick
            for t in self._candidates(tick, end):
                if t <= last:
                    continue
                last = t
                decision = self._decide(t)
                if decision.changed:
                    self._account(tick, t)  # before the change: it counts the old capacity
                    self._apply(t, decision)
                    changed_at = t
                    break
            if changed_at is not None:
                tick = self._settle(changed_at)
                continue
            self._account(tick, end)
            if end >= self.n:
                break
            tick = end
            g.lifecycle(tick)
            self._mark(tick)
            decision = self._decide(tick)
            if decision.changed:
                self._apply(tick, decision)
                tick = self._settle(tick)
        return self._result()

    def _settle(self, tick: int) -> int:
        """After a change at ``tick``, the tick to go on from. Alarms see the change through
        their datapoints; a predictive rule looks at capacity instead, so with one decide()
        runs at every following tick until one changes nothing."""
        if self.predictive:
            return self._after_change(tick)
        self._mark(tick)
        return tick

    def _after_change(self, tick: int) -> int:
        """After a change at ``tick``: decide at every following tick until one changes nothing
        (a predictive rule looks at capacity, not at alarms). Returns the first quiet tick."""
        while True:
            self._mark(tick)
            self._measure(tick, tick + 1)
            nxt = tick + 1
            if nxt >= self.n:
                self._account(tick, self.n)
                return self.n
            self._account(tick, nxt)
            self.g.lifecycle(nxt)
            self._mark(nxt)
            decision = self._decide(nxt)
            if not decision.changed:
                return nxt
            self._apply(nxt, decision)
            tick = nxt

    def _setup(self) -> Setup:
        return Setup(
            group=self.spec.group,
            rules=self.rules,
            load=self.load,
            start=self.start,
            min=self.g.min,
            max=self.g.max,
            desired=self.g.desired,
            boot_min=self.model.boot_min,
            warmup_min=self.model.warmup_min,
            warmup_s=self.model.warmup_s,
            default_cooldown_s=self.cooldown_s,
            tt_low_fraction=self.low_fraction,
            factor=self.factor,
            metrics=list(self.series),
            target=self.target,
            saturation=self.saturation,
            forced=self.forced,
            history_len=self.history_len,
        )

    def _outcome(self, out: Outcome) -> BacktestResult:
        """A replay's figures (event-driven, or this minute-by-minute one's) as a result."""
        return BacktestResult(
            name=self.name,
            group=self.spec.group,
            start=self.start,
            minutes=self.n,
            target=self.target,
            saturation=self.saturation,
            price=self.price,
            instance_minutes=out.instance_minutes,
            minutes_above_target=out.above_target,
            minutes_above_saturation=out.above_saturation,
            unserved_minutes=out.unserved,
            peak_utilization=out.peak,
            event_rows=tuple(out.events),
            timeline_rows=tuple(out.points),
            decide_calls=out.calls,
        )

    def _result(self) -> BacktestResult:
        s = self.stats
        return self._outcome(
            Outcome(
                events=self.events,
                points=self.timeline,
                instance_minutes=s.instance_minutes,
                above_target=s.above_target,
                above_saturation=s.above_saturation,
                unserved=s.unserved,
                peak=s.peak,
                calls=self.calls,
            )
        )


def backtest(
    group: GroupRules,
    load: Load,
    model: CapacityModel,
    *,
    name: str = "rules",
    target: float | None = None,
    saturation: float = 90.0,
    price: float | None = None,
    default_cooldown_s: int = 300,
    tt_low_fraction: float = 0.9,
    exhaustive: bool = False,
) -> BacktestResult:
    """Replay ``load`` through ``group``'s rules; see the module docstring for the model."""
    aim = _checked(group, load, model, target)
    return _Replay(
        name,
        group,
        load,
        model,
        target=aim,
        saturation=float(saturation),
        price=price,
        default_cooldown_s=default_cooldown_s,
        tt_low_fraction=tt_low_fraction,
        exhaustive=exhaustive,
    ).run()


def _checked(group: GroupRules, load: Load, model: CapacityModel, target: float | None) -> float:
    """The target to measure against, once the inputs are known to be replayable."""
    if not load.values:
        raise InputError("the trace holds no minute to replay")
    if model.capacity <= 0:
        raise InputError(f"capacity must be > 0, got {model.capacity:g}", field="--capacity")
    if not model.requests and any(
        getattr(r, "metric", "") == "requests_per_target" for r in group.rules if r.enabled
    ):
        raise InputError(
            "rules on requests_per_target need a trace of requests, not of utilization"
        )
    aim = target if target is not None else default_target(group.rules)
    if aim is None:
        raise InputError(
            "the rules have no cpu target to measure against: give one", field="--target"
        )
    return float(aim)  # float.__lt__ must not meet an int: it would say NotImplemented


# --- several backtests at once -------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestJob:
    """One backtest: ``backtest()``'s arguments."""

    group: GroupRules
    load: Load
    model: CapacityModel
    name: str = "rules"
    target: float | None = None
    saturation: float = 90.0
    price: float | None = None
    default_cooldown_s: int = 300
    tt_low_fraction: float = 0.9

    def check(self) -> None:
        """InputError when ``run`` would refuse these inputs."""
        _checked(self.group, self.load, self.model, self.target)

    def run(self) -> BacktestResult:
        return backtest(
            self.group,
            self.load,
            self.model,
            name=self.name,
            target=self.target,
            saturation=self.saturation,
            price=self.price,
            default_cooldown_s=self.default_cooldown_s,
            tt_low_fraction=self.tt_low_fraction,
        )


def backtest_many(
    jobs: Sequence[BacktestJob], *, processes: int | None = None
) -> list[BacktestResult]:
    """``[job.run() for job in jobs]`` on several cores: the same results, in the same order.

    A replay is pure Python and holds the GIL, so the jobs are shared out between this process
    and ``processes - 1`` worker processes (default: one per core this process may run on), job
    i to share i mod processes. Bad input raises here, before any worker starts. Workers are
    forked where the platform can (they inherit the jobs: no trace is copied through a pipe),
    else spawned and sent the jobs."""
    jobs = list(jobs)
    for job in jobs:
        _checked(job.group, job.load, job.model, job.target)
    shares = min(len(jobs), processes or usable_cores())
    if shares <= 1:
        return [job.run() for job in jobs]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    results: list[BacktestResult | None] = [None] * len(jobs)
    with ProcessPoolExecutor(
        shares - 1, mp_context=context, initializer=_adopt, initargs=(jobs,)
    ) as pool:
        futures = {k: pool.submit(_run_share, k, shares) for k in range(1, shares)}
        results[0::shares] = [job.run() for job in jobs[0::shares]]
        for k, future in futures.items():
            results[k::shares] = future.result()
    return cast(list[BacktestResult], results)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_ADOPTED: list[BacktestJob] = []  # in a worker process: the jobs of the backtest_many call


def _adopt(jobs: list[BacktestJob]) -> None:
    global _ADOPTED
    _ADOPTED = jobs


def _run_share(first: int, step: int) -> list[BacktestResult]:
    return [job.run() for job in _ADOPTED[first::step]]
