"""Hypothesis strategies for the backtest's equality tests: random rules of every kind, with every
adjustment type, cooldowns and alarm shapes, around thresholds a random load crosses often."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import strategies as st

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

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
THRESHOLDS = (20.0, 35.0, 45.0, 50.0, 55.0, 62.5, 80.0, 90.0)
thresholds = st.sampled_from(THRESHOLDS) | st.floats(5.0, 120.0, allow_nan=False)
metrics = st.sampled_from(["cpu", "cpu", "requests_per_target"])
TT_METRICS = ("cpu", "requests_per_target")


def adjustments(kind: AdjustmentType) -> st.SearchStrategy[int]:
    if kind is AdjustmentType.EXACT:
        return st.integers(0, 15)
    if kind is AdjustmentType.PERCENT:
        return st.integers(-80, 150)
    return st.integers(-4, 4)


@st.composite
def target_tracking(draw: st.DrawFn, name: str) -> TargetTrackingRule:
    return TargetTrackingRule(
        name=name,
        group="web",
        metric=draw(metrics),
        target=draw(st.sampled_from((40.0, 50.0, 55.0, 70.0)) | st.floats(10.0, 95.0)),
        disable_scale_in=draw(st.booleans()),
    )


@st.composite
def alarmed(
    draw: st.DrawFn, name: str, *, ignore: bool = True, one_minute: bool = False
) -> StepRule | SimpleRule:
    """A step or simple rule; ``ignore``: may treat missing data as ignore."""
    periods = draw(st.integers(1, 4))
    missing = [MissingData.MISSING] * 3 + [MissingData.BREACHING, MissingData.NOT_BREACHING]
    if ignore:
        missing.append(MissingData.IGNORE)
    kind = draw(st.sampled_from(list(AdjustmentType)))
    alarm = {
        "name": name,
        "group": "web",
        "metric": draw(metrics),
        "comparison": draw(st.sampled_from(list(Comparison))),
        "threshold": draw(thresholds),
        "statistic": draw(st.sampled_from(list(Statistic))),
        "period_s": 60 if one_minute else draw(st.sampled_from([60, 60, 60, 90, 120, 300])),
        "evaluation_periods": periods,
        "datapoints_to_alarm": draw(st.none() | st.integers(1, periods)),
        "missing_data": draw(st.sampled_from(missing)),
        "adjustment_type": kind,
        "min_adjustment_magnitude": draw(st.none() | st.integers(1, 3))
        if kind is AdjustmentType.PERCENT
        else None,
    }
    if draw(st.booleans()):
        return SimpleRule(
            **alarm,
            adjustment=draw(adjustments(kind)),
            cooldown_s=draw(st.none() | st.sampled_from([0, 60, 90, 240, 600])),
        )
    cuts = sorted(draw(st.sets(st.integers(-30, 30), max_size=3)))
    bounds: list[float | None] = [None, *map(float, cuts), None]
    steps = [
        Step(lower=lower, upper=upper, adjustment=draw(adjustments(kind)))
        for lower, upper in itertools.pairwise(bounds)
    ]
    if draw(st.booleans()):  # a step set that starts at the threshold (leaves a gap)
        steps = [Step(lower=0.0, adjustment=draw(adjustments(kind)))]
    return StepRule(**alarm, steps=steps)


@st.composite
def scheduled(draw: st.DrawFn, name: str) -> ScheduledRule:
    low = draw(st.none() | st.integers(0, 6))
    high = draw(st.none() | st.integers(0, 20))
    return ScheduledRule(
        name=name,
        group="web",
        cron=draw(st.sampled_from(["*/20 * * * *", "5 * * * *", "0 */3 * * *", "*/7 * * * *"])),
        min=low,
        max=high,
        desired=draw(st.none() | st.integers(0, 12)),
    )


@st.composite
def predictive(draw: st.DrawFn, name: str) -> PredictiveRule:
    return PredictiveRule(
        name=name,
        group="web",
        metric=draw(metrics),
        target=draw(st.sampled_from((40.0, 50.0, 70.0))),
        mode=draw(st.sampled_from(list(PredictiveMode))),
        buffer_s=draw(st.sampled_from([0, 300, 600])),
        max_capacity_behavior=draw(st.sampled_from(list(MaxCapacityBehavior))),
        max_capacity_buffer=draw(st.none() | st.integers(0, 50)),
    )


@st.composite
def compilable_rules(draw: st.DrawFn) -> list[AnyRule]:
    """Target tracking, step and simple rules (what the compiled decision covers)."""
    rules: list[AnyRule] = []
    for i in range(draw(st.integers(1, 4))):
        name = f"r{i}"
        rule: AnyRule = draw(target_tracking(name) | alarmed(name, ignore=False))
        if draw(st.integers(0, 9)) == 0:
            rule = rule.model_copy(update={"enabled": False})
        rules.append(rule)
    return rules


@st.composite
def rule_sets(draw: st.DrawFn, *, with_predictive: bool = False) -> list[AnyRule]:
    """Any mix of rules, scheduled ones included; a predictive one when asked."""
    rules = draw(compilable_rules())
    for i in range(draw(st.integers(0, 2))):
        rules.append(draw(alarmed(f"a{i}")))
    for i in range(draw(st.integers(0, 2))):
        rules.append(draw(scheduled(f"s{i}")))
    if with_predictive:
        rules.append(draw(predictive("p")))
    return draw(st.permutations(rules))
