"""decide(), compiled for backtests: the same decision from a group's state in plain integers,
without building snapshots, alarm results, rule states or reasons on ticks where nothing changes.

A backtest asks on thousands of ticks whether a group's rules change its capacity. On a tick
where every datapoint the alarms read is real and no scheduled action is due, decide() reduces to
comparing the newest datapoints with thresholds: that is what ``CompiledRules.decide`` does.
The arithmetic (rounding, steps, percentages, anti-flapping) is decide's own helpers; a reason is
only built for a rule that wants a change, in decide's words (target tracking's from templates
cut out of them once per rule, since it speaks on most changes).

Covered: target tracking, step and simple rules (scheduled rules only act on their own ticks,
which the caller hands to decide()). Not compiled: predictive rules, and alarms treating missing
data as ``ignore`` (their state carries over between ticks). ``CompiledRules.watches`` says, per
alarm, which minutes must breach for it to act: the backtest looks for those in bulk.
tests/unit/test_fastdecide.py checks the compiled decision against decide() itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from scalectl.core.alarms import AlarmResult, evaluate_detail

# decide's own arithmetic and wording: the compiled path must not drift from it.
from scalectl.core.decide import (
    DecisionKind,
    _adjustment_label,
    _aggregate,
    _alarm_cause,
    _alarm_spec,
    _anti_flap,
    _ceil,
    _fmt,
    _periods,
    _scales_out,
    _step_label,
    _Want,
    apply_adjustment,
    select_step,
)
from scalectl.core.model import AlarmState, Comparison, MissingData, Statistic
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    PredictiveRule,
    SimpleRule,
    StepRule,
    TargetTrackingRule,
)

EPS = 1e-9  # relative margin: "nearly breaching" covers float noise in period averages
TT_HIGH_PERIODS = 3  # target tracking's managed alarms: high 3 of 3, low 15 of 15, range N + 2
TT_LOW_PERIODS = 15
EXTRA_RANGE = 2

# One value per minute, oldest first. Compiled ticks read only real points (the caller sends
# ticks whose windows hold a missing point to decide()).
Values = Sequence[float]
# A change: (new desired capacity, kind, rule, reason), as decide()'s Decision would say it.
Change = tuple[int, DecisionKind, str | None, str]
# What one rule wants (decide's _Want): (capacity, rule, kind, reason).
Wish = tuple[int, str, DecisionKind, str]
_RANK = itemgetter(0, 1)  # decide ranks wants by (capacity, rule); the first of equals wins
_DESIRED = itemgetter(0)


_OPS: dict[Comparison, str] = {
    Comparison.GT: "__lt__",  # v > t is t.__lt__(v)
    Comparison.GE: "__le__",
    Comparison.LT: "__gt__",
    Comparison.LE: "__ge__",
}


def breaches(comparison: Comparison, threshold: float) -> Callable[[float], bool]:
    """``comparison.breaches(v, threshold)`` as a C-level predicate of v."""
    # float.__lt__ must not meet an int threshold: int.__lt__(float) says NotImplemented.
    predicate: Callable[[float], bool] = getattr(float(threshold), _OPS[comparison])
    return predicate


@dataclass(frozen=True)
class Watch:
    """One alarm of one rule, reduced to what says "on this tick it cannot act": it acts only
    when ``needed`` of the ``recent`` minutes before the tick are hot (``comparison`` holds
    against ``threshold``)."""

    metric: str
    comparison: Comparison
    threshold: float
    recent: int
    needed: int  # 0: no minute rules it out (a sum or a count over several minutes)
    out: bool  # may scale out
    inward: bool  # may scale in
    busy_blocks: bool = False  # scale-in only: nothing while instances warm up or pend
    waits: bool = False  # simple rule: nothing while instances pend, nor during its cooldown
    cooldown_s: int | None = None  # the simple rule's own cooldown (None: the group's)
    target: float | None = None  # target tracking: the newest minute must call for a change

    def newest(self, desired: int, warm: int, counted: int) -> float | None:
        """Target tracking acts on the newest datapoint m only when ceil(warm x m / target)
        passes the capacity: a bound m must pass (above it for a scale-out, at most it for a
        scale-in), with a margin for _ceil's rounding. None: no such bound."""
        if self.target is None or warm <= 0:
            return None
        if self.out:  # ceil(w m / T) > counted
            return (counted - 1e-6) * self.target / warm * (1 - 1e-12)
        return (desired - 1 + 1e-6) * self.target / warm * (1 + 1e-12)  # ceil(w m / T) < desired


def _nearly(rule: StepRule | SimpleRule) -> tuple[Comparison, float]:
    """A minute at or nearly past the threshold: an average, minimum or maximum of several
    minutes breaches only if one of its minutes nearly does."""
    margin = EPS * max(1.0, abs(rule.threshold))
    if rule.comparison in (Comparison.GT, Comparison.GE):
        return Comparison.GE, rule.threshold - margin
    return Comparison.LE, rule.threshold + margin


class _Target:
    def __init__(self, rule: TargetTrackingRule, low_fraction: float) -> None:
        self.name = rule.name
        self.metric = rule.metric
        self.target = rule.target
        self.low = None if rule.disable_scale_in else low_fraction * rule.target
        self.span = (TT_HIGH_PERIODS if self.low is None else TT_LOW_PERIODS) + EXTRA_RANGE
        # decide's reasons, cut around the numbers that change (_alarm_cause and the formula).
        high, low, name = TT_HIGH_PERIODS, TT_LOW_PERIODS, self.name
        self._high = f"alarm {name}-high in ALARM for {high} of {high} periods ({self.metric} "
        self._low = f"alarm {name}-low in ALARM for {low} of {low} periods ({self.metric} "
        wants = f"); target tracking {name} wants ceil("
        self._out = f" > {_fmt(self.target)}{wants}"
        self._in = "" if self.low is None else f" < {_fmt(self.low)}{wants}"
        self._of = f" / {_fmt(self.target)}) = "

    def watches(self) -> list[Watch]:
        metric, target, high, low = self.metric, self.target, TT_HIGH_PERIODS, TT_LOW_PERIODS
        found = [Watch(metric, Comparison.GT, target, high, high, True, False, target=target)]
        if self.low is not None:
            found.append(
                Watch(metric, Comparison.LT, self.low, low, low, False, True, True, target=target)
            )
        return found

    def scale_out(self, values: Values, t: int, warm: int, counted: int) -> Wish | None:
        target = self.target
        metric = values[t - 1]
        # The high alarm: 3 of 3 above the target (every point real: the newest 3 decide).
        if not (metric > target and values[t - 2] > target and values[t - 3] > target):
            return None
        want = _ceil(warm * metric / target)
        if want <= counted:
            return None
        m = _fmt(metric)
        return (
            want,
            self.name,
            "scale_out",
            f"{self._high}{m}{self._out}{warm} x {m}{self._of}{want}",
        )

    def scale_in(self, values: Values, t: int, warm: int, desired: int) -> Wish | None:
        """The rule's scale-in vote when no instance warms up or pends."""
        low = self.low
        assert low is not None
        if not max(values[t - TT_LOW_PERIODS : t]) < low:  # the low alarm: 15 of 15 below
            return None
        metric = values[t - 1]
        target = self.target
        want = max(1, _ceil(warm * metric / target)) if metric > 0 else 0
        while 0 < want < desired and warm * metric / want > target:
            want += 1
        if want >= desired:
            return None
        m = _fmt(metric)
        return want, self.name, "scale_in", f"{self._low}{m}{self._in}{warm} x {m}{self._of}{want}"


class _Alarmed:
    """A step or simple rule: its alarm, then what it wants."""

    def __init__(self, rule: StepRule | SimpleRule, default_cooldown_s: int) -> None:
        self.rule = rule
        self.name = rule.name
        self.metric = rule.metric
        self.size = max(1, rule.period_s // 60)
        self.periods = rule.evaluation_periods
        self.needed = rule.datapoints_to_alarm or rule.evaluation_periods
        self.breaches = breaches(rule.comparison, rule.threshold)
        self.spec = _alarm_spec(rule, False)
        self.span = (self.periods + EXTRA_RANGE) * self.size
        self.simple = isinstance(rule, SimpleRule)
        self.cooldown_s = default_cooldown_s
        if isinstance(rule, SimpleRule) and rule.cooldown_s is not None:
            self.cooldown_s = rule.cooldown_s

    def watches(self) -> list[Watch]:
        rule = self.rule
        values = (
            [s.adjustment for s in rule.steps] if isinstance(rule, StepRule) else [rule.adjustment]
        )
        exact = rule.adjustment_type is AdjustmentType.EXACT
        out = exact or any(v > 0 for v in values)
        inward = exact or any(v < 0 for v in values)
        if not (out or inward):
            return []  # every adjustment is 0: it never changes anything
        if self.size == 1:  # one-minute periods are the datapoints themselves
            comparison, threshold = rule.comparison, rule.threshold
            recent, needed = self.periods, self.needed
        else:
            comparison, threshold = _nearly(rule)
            recent = self.periods * self.size
            averaged = rule.statistic in (Statistic.AVERAGE, Statistic.MINIMUM, Statistic.MAXIMUM)
            needed = self.needed if averaged else 0  # a sum or a count breaches with no minute
        return [
            Watch(
                self.metric,
                comparison,
                threshold,
                recent,
                needed,
                out,
                inward,
                busy_blocks=not self.simple and not out,
                waits=self.simple,
                cooldown_s=self.cooldown_s if self.simple else None,
            )
        ]

    def alarm(self, values: Values, t: int) -> AlarmResult | None:
        """The alarm's result when it is in ALARM (every datapoint it reads is real)."""
        if self.size == 1:
            if self.needed == self.periods and not self.breaches(values[t - 1]):
                return None  # every point must breach, the newest does not
            window = values[t - self.periods : t]
            breaching = sum(map(self.breaches, window))
            if breaching < self.needed:
                return None
            return AlarmResult(AlarmState.ALARM, breaching, self.periods, tuple(window))
        rule = self.rule
        periods = _periods(
            values[t - self.span : t], rule.period_s, rule.statistic, self.spec.evaluation_range
        )
        result = evaluate_detail(self.spec, periods, AlarmState.INSUFFICIENT_DATA)
        return result if result.state is AlarmState.ALARM else None

    def want(
        self,
        values: Values,
        t: int,
        desired: int,
        warm: int,
        counted: int,
        pending: int,
        busy: bool,
        last_end: int | None,
    ) -> Wish | None:
        rule = self.rule
        if isinstance(rule, SimpleRule):
            if pending:
                return None  # a simple rule waits for the activity in progress
            if last_end is not None and (last_end - t) * 60 + self.cooldown_s > 0:
                return None  # cooldown
        result = self.alarm(values, t)
        if result is None:
            return None
        if isinstance(rule, SimpleRule):
            return self._simple(rule, result, desired)
        return self._step(rule, result, desired, warm, counted, busy)

    def _cause(self, result: AlarmResult, metric: float) -> str:
        rule = self.rule
        return _alarm_cause(
            rule.name, result, rule.metric, metric, rule.comparison.value, rule.threshold
        )

    def _step(
        self,
        rule: StepRule,
        result: AlarmResult,
        desired: int,
        warm: int,
        counted: int,
        busy: bool,
    ) -> Wish | None:
        metric = _aggregate(result.values, rule.statistic)
        step = select_step(rule.steps, metric - rule.threshold)
        if step is None:
            return None
        label = _adjustment_label(rule.adjustment_type, step.adjustment)
        outward = (
            step.adjustment > desired
            if rule.adjustment_type is AdjustmentType.EXACT
            else step.adjustment > 0
        )
        base = warm if outward else desired
        want = apply_adjustment(
            base,
            rule.adjustment_type,
            step.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
        )
        if outward and want <= counted:
            return None
        if not outward and (want >= desired or busy):
            return None
        text = (
            f"{self._cause(result, metric)}; step rule {rule.name} step {_step_label(step)} {label}"
        )
        if outward and base != desired:
            text += f" of {base} warmed-up instances = {want}"
        return want, rule.name, "scale_out" if outward else "scale_in", text

    def _simple(self, rule: SimpleRule, result: AlarmResult, desired: int) -> Wish | None:
        want = apply_adjustment(
            desired,
            rule.adjustment_type,
            rule.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
        )
        if want == desired:
            return None
        label = _adjustment_label(rule.adjustment_type, rule.adjustment)
        text = f"{self._cause(result, result.values[-1])}; simple rule {rule.name} {label}"
        return want, rule.name, "scale_out" if want > desired else "scale_in", text


class CompiledRules:
    """A group's rules, ready to decide on ticks with complete data and no scheduled action."""

    def __init__(
        self,
        rules: Sequence[AnyRule],
        *,
        tt_low_fraction: float,
        default_cooldown_s: int,
    ) -> None:
        self.enabled = [r for r in rules if r.enabled]
        self._rules: list[_Target | _Alarmed] = []
        for rule in self.enabled:
            if isinstance(rule, TargetTrackingRule):
                self._rules.append(_Target(rule, tt_low_fraction))
            elif isinstance(rule, StepRule | SimpleRule):
                self._rules.append(_Alarmed(rule, default_cooldown_s))
        self.watches = [w for r in self._rules for w in r.watches()]
        # What anti-flapping projects (decide's _scale_out_trips): target tracking targets, and
        # the alarms of step and simple rules that add instances.
        self._scale_out_alarms = [
            (r.metric, float(r.target).__lt__)
            if isinstance(r, TargetTrackingRule)
            else (r.metric, breaches(r.comparison, r.threshold))
            for r in self.enabled
            if isinstance(r, TargetTrackingRule)
            or (isinstance(r, StepRule | SimpleRule) and _scales_out(r))
        ]
        spans = [r.span for r in self._rules]
        self.span = max(spans, default=0)  # minutes the alarms read, oldest to newest

    @staticmethod
    def supports(rules: Sequence[AnyRule]) -> bool:
        for rule in rules:
            if not rule.enabled:
                continue
            if isinstance(rule, PredictiveRule):
                return False  # looks at forecasts and capacity, not at datapoints
            if isinstance(rule, StepRule | SimpleRule) and rule.missing_data is MissingData.IGNORE:
                return False  # keeps its previous state when data is missing
        return True

    def decide(
        self,
        series: Mapping[str, Values],
        t: int,
        desired: int,
        warm: int,
        warming: int,
        pending: int,
        low: int,
        high: int,
        last_end: int | None,
    ) -> Change | None:
        """What decide() decides at tick ``t`` (minutes before it in ``series``; all real), as a
        change, or None when the capacity stays. ``last_end`` is the tick the last scaling
        activity ended on."""
        counted = max(desired, warm + warming + pending)
        busy = warming > 0 or pending > 0
        outs: list[Wish] = []
        ins: list[Wish] = []
        votes: list[Wish] = []
        voting = consensus = False  # target tracking scales in only when every such rule agrees
        for rule in self._rules:
            values = series[rule.metric]
            if isinstance(rule, _Target):
                want = rule.scale_out(values, t, warm, counted)
                if want is not None:
                    outs.append(want)
                if rule.low is None:
                    continue
                if not voting:
                    voting = consensus = True
                if consensus and not outs:  # a scale-out wins over any scale-in: no need to ask
                    vote = None if busy else rule.scale_in(values, t, warm, desired)
                    if vote is None:
                        consensus = False
                    else:
                        votes.append(vote)
                continue
            want = rule.want(values, t, desired, warm, counted, pending, busy, last_end)
            if want is not None:
                (outs if want[2] == "scale_out" else ins).append(want)
        winner: Wish | None = None
        if outs:
            winner = max(outs, key=_RANK)  # the largest scale-out wins
            if winner[0] <= desired:
                winner = None
        elif ins or consensus:
            winner = self._scale_in(series, t, ins, votes if consensus else [], desired, warm, low)
        if winner is None:
            if low <= desired <= high:
                return None
            new = max(low, min(high, desired))  # a capacity out of bounds is brought back in
            kind: DecisionKind = "scale_out" if new > desired else "scale_in"
            return new, kind, None, f"held within [{low}, {high}]: {desired} -> {new}"
        target, rule_name, kind, reason = winner
        new = max(low, min(high, target))
        if new == desired:
            return None
        if new != target:
            reason += f"; held within [{low}, {high}]"
        return new, kind, rule_name, f"{reason}: {desired} -> {new}"

    def _scale_in(
        self,
        series: Mapping[str, Values],
        t: int,
        ins: list[Wish],
        votes: list[Wish],
        desired: int,
        warm: int,
        low: int,
    ) -> Wish | None:
        """decide's _pick_scale_in with no predictive floor (none is compiled)."""
        candidates = list(ins)
        if votes:  # the target tracking rule keeping the most capacity speaks for them all
            candidates.append(max(votes, key=_DESIRED))
        want, rule, kind, reason = max(candidates, key=_RANK)
        new = max(low, min(desired, want))
        if new >= desired:
            return None
        load_base = warm or desired
        if not self._trips(series, t, load_base, new):
            return new, rule, kind, reason
        # A scale-out rule would trip at that capacity: decide's own anti-flapping settles it.
        history = {r.metric: series[r.metric][t - 1 : t] for r in self._rules}
        checked, _ = _anti_flap(
            _Want(rule, kind, new, reason), desired, self.enabled, history, load_base
        )
        if checked is None:
            return None
        return checked.desired, checked.rule, checked.kind, checked.reason

    def _trips(self, series: Mapping[str, Values], t: int, load_base: int, count: int) -> bool:
        """Whether decide's anti-flapping sees a scale-out rule trip at ``count`` instances."""
        if count <= 0:
            return False
        for metric, trips in self._scale_out_alarms:
            if trips(series[metric][t - 1] * load_base / count):
                return True
        return False


def compile_rules(
    rules: Sequence[AnyRule], *, tt_low_fraction: float, default_cooldown_s: int
) -> CompiledRules | None:
    """The compiled rules, or None when one of them needs decide() on every tick."""
    if not CompiledRules.supports(rules):
        return None
    return CompiledRules(
        rules, tt_low_fraction=tt_low_fraction, default_cooldown_s=default_cooldown_s
    )
