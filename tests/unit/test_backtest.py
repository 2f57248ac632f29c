"""Backtests: a hand-computed replay, flapping, the bookkeeping, and that skipping minutes where
decide() cannot act gives exactly what calling it every minute gives."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from unittest.mock import patch

import backtest_strategies as strategies
import pytest
from backtest_strategies import START
from hypothesis import given, settings
from hypothesis import strategies as st

from scalectl.core import backtest_fast
from scalectl.core.backtest import (
    BacktestJob,
    CapacityModel,
    GroupRules,
    Load,
    backtest,
    backtest_many,
    default_target,
    load_of,
    rules_for,
)
from scalectl.core.errors import InputError
from scalectl.core.model import Comparison
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    GroupBounds,
    PredictiveMode,
    PredictiveRule,
    RuleSet,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
)
from scalectl.core.trace import Trace

# One instance serves 100 requests a minute at 100 %: utilization is load / instances in service.
MODEL = CapacityModel(capacity=100.0, boot_s=60, warmup_s=60)


def group(*rules: AnyRule, low: int = 1, high: int = 10, desired: int = 2) -> GroupRules:
    return GroupRules("web", tuple(rules), low, high, desired)


def tt(target: float = 50.0, **kw: object) -> TargetTrackingRule:
    return TargetTrackingRule(name="cpu50", group="web", target=target, **kw)  # type: ignore[arg-type]


def load(values: list[float], start: datetime = START) -> Load:
    return Load(start, values, 100.0, True)


def test_target_tracking_timeline_matches_hand_computation() -> None:
    # Target 50 %, bounds [1, 10], 2 instances; boot 1 min, warm-up 1 min; low alarm at 45 %.
    trace = [90.0] * 10 + [120.0] * 20 + [40.0] * 30
    result = backtest(group(tt()), load(trace), MODEL)
    # By hand (utilization = load / instances in service; a tick at minute t sees minutes < t):
    # minutes 0-9: 90 / 2 = 45 %: not above 50, not below 45.
    # minutes 10-12: 120 / 2 = 60 % > 50 three times: at tick 13 the high alarm is in ALARM;
    #   ceil(2 x 60 / 50) = ceil(2.4) = 3 -> desired 3; the new instance is in service at 14,
    #   warm at 15. Minute 13 is still served by 2 instances: 60 %.
    # tick 14: 2 warm + 1 warming; ceil(2 x 60 / 50) = 3 = counted capacity -> nothing.
    # minute 14 on: 120 / 3 = 40 %. tick 15: minutes 12-14 are 60, 60, 40 -> high alarm OK.
    # minutes 14-28 are 15 points below 45 %: at tick 29 the low alarm is in ALARM, but
    #   ceil(3 x 40 / 50) = ceil(2.4) = 3 is not below 3 (same at tick 30).
    # minute 30: 40 / 3 = 13.3 %. tick 31: ceil(3 x 13.3 / 50) = ceil(0.8) = 1; at 1 instance
    #   the metric would be 40 %, not above 50 -> desired 1 (scale-in is immediate).
    # minutes 31-59: 40 / 1 = 40 %; ceil(1 x 40 / 50) = 1 and min is 1: no further change.
    timeline = [(int((p.at - START) / timedelta(minutes=1)), p.counts) for p in result.timeline]
    assert timeline == [
        (0, (2, 2, 2)),
        (13, (3, 2, 2)),
        (14, (3, 3, 2)),
        (15, (3, 3, 3)),
        (31, (1, 1, 1)),
    ]
    assert [(e.before, e.after, e.rule) for e in result.events] == [
        (2, 3, "cpu50"),
        (3, 1, "cpu50"),
    ]
    assert [int((e.at - START) / timedelta(minutes=1)) for e in result.events] == [13, 31]
    # 2 x 13 min (0-12) + 3 x 18 min (13-30) + 1 x 29 min (31-59) = 109 instance-minutes.
    assert result.instance_minutes == 2 * 13 + 3 * 18 + 1 * 29
    assert result.minutes_above_target == 4  # minutes 10-13 at 60 %
    assert result.minutes_above_saturation == 0
    assert result.peak_utilization == pytest.approx(60.0)
    assert (result.scale_outs, result.scale_ins) == (1, 1)
    assert result.desired_per_minute() == [2] * 13 + [3] * 18 + [1] * 29


def noisy(minutes: int, seed: int, base: float = 500.0, noise: float = 0.06) -> list[float]:
    rng = random.Random(seed)
    wave = [base * (1 + 0.6 * math.sin(2 * math.pi * i / 1440)) for i in range(minutes)]
    return [max(0.0, w * (1 + rng.gauss(0, noise))) for w in wave]


def test_flapping_rule_scales_more_than_a_tuned_one() -> None:
    trace = noisy(2 * 1440, seed=3)
    flappy = group(
        SimpleRule(
            name="up",
            group="web",
            comparison=Comparison.GT,
            threshold=52,
            adjustment=1,
            cooldown_s=0,
        ),
        SimpleRule(
            name="down",
            group="web",
            comparison=Comparison.LT,
            threshold=48,
            adjustment=-1,
            cooldown_s=0,
        ),
        high=40,
    )
    tuned = group(tt(), high=40)
    a = backtest(flappy, load(trace), MODEL, target=50)
    b = backtest(tuned, load(trace), MODEL, target=50)
    assert a.scale_outs + a.scale_ins > 3 * (b.scale_outs + b.scale_ins) > 0


def test_cost_and_instance_hours_for_a_quiet_trace() -> None:
    # 190 / 4 = 47.5 %: neither above 50 % nor below 45 %.
    result = backtest(group(tt(), desired=4), load([190.0] * 120), MODEL, price=0.096)
    assert result.events == ()
    assert result.instance_hours == pytest.approx(8.0)
    assert result.cost == pytest.approx(8 * 0.096)
    assert result.peak_utilization == pytest.approx(47.5)
    assert result.minutes_above_target == 0


def test_capacity_stays_within_bounds() -> None:
    trace = [5000.0] * 60 + [1.0] * 120
    result = backtest(group(tt(), low=2, high=6, desired=3), load(trace), MODEL, saturation=90)
    assert {p.desired for p in result.timeline} <= set(range(2, 7))
    assert max(p.desired for p in result.timeline) == 6
    assert result.timeline[-1].desired == 2
    assert result.minutes_above_saturation > 0


def test_no_warm_instance_leaves_load_unserved() -> None:
    rules = group(tt(), low=0, high=4, desired=0)
    result = backtest(rules, load([0.0] * 5 + [50.0] * 10), MODEL)
    assert result.unserved_minutes > 0
    assert result.minutes_above_target >= result.unserved_minutes


RULE_SETS: dict[str, tuple[AnyRule, ...]] = {
    "target tracking": (tt(),),
    "two target tracking": (tt(), tt(40.0).model_copy(update={"name": "cpu40"})),
    "step": (
        StepRule(
            name="step-out",
            group="web",
            comparison=Comparison.GT,
            threshold=60,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            steps=[Step(lower=0, upper=15, adjustment=1), Step(lower=15, adjustment=3)],
        ),
        StepRule(
            name="step-in",
            group="web",
            comparison=Comparison.LT,
            threshold=30,
            period_s=300,
            evaluation_periods=2,
            steps=[Step(upper=0, adjustment=-1)],
        ),
    ),
    "simple with cooldown": (
        SimpleRule(
            name="up",
            group="web",
            comparison=Comparison.GE,
            threshold=55,
            adjustment=30,
            adjustment_type=AdjustmentType.PERCENT,
            min_adjustment_magnitude=1,
            cooldown_s=240,
        ),
        SimpleRule(name="down", group="web", comparison=Comparison.LE, threshold=35, adjustment=-1),
    ),
    "scheduled and tt": (
        tt(),
        ScheduledRule(name="morning", group="web", cron="0 8 * * *", min=5),
        ScheduledRule(name="night", group="web", cron="30 22 * * *", min=1, desired=2),
    ),
    "predictive and tt": (
        tt(),
        PredictiveRule(
            name="pred",
            group="web",
            target=50,
            mode=PredictiveMode.FORECAST_AND_SCALE,
            buffer_s=600,
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(RULE_SETS))
@pytest.mark.parametrize(
    ("seed", "model"),
    [(1, MODEL), (2, MODEL), (3, CapacityModel(capacity=80.0, boot_s=30, warmup_s=0))],
)
def test_skipping_quiet_minutes_changes_nothing(name: str, seed: int, model: CapacityModel) -> None:
    days = 3 if "predictive" in name else 1
    trace = noisy(days * 1440 + 200, seed=seed, noise=0.1)
    rules = group(*RULE_SETS[name], high=30, desired=5)
    fast = backtest(rules, load(trace, START + timedelta(minutes=7)), model, price=1.0)
    slow = backtest(
        rules, load(trace, START + timedelta(minutes=7)), model, price=1.0, exhaustive=True
    )
    assert fast.events == slow.events
    assert fast.timeline == slow.timeline
    assert fast.summary() == slow.summary()
    assert slow.scale_outs > 0
    assert fast.decide_calls < slow.decide_calls


def test_backtest_many_gives_each_jobs_own_result_in_order() -> None:
    jobs = [
        BacktestJob(
            group(*RULE_SETS[name], high=30, desired=5),
            load(noisy(600, seed=seed, noise=0.1)),
            MODEL,
            name=f"{name} {seed}",
            price=1.0,
        )
        for name in ("target tracking", "step", "simple with cooldown")
        for seed in (1, 2)
    ]
    alone = [job.run() for job in jobs]
    for processes in (1, 2, 4):
        together = backtest_many(jobs, processes=processes)
        assert [r.name for r in together] == [job.name for job in jobs]
        assert [(r.event_rows, r.timeline_rows, r.summary()) for r in together] == [
            (r.event_rows, r.timeline_rows, r.summary()) for r in alone
        ]
    assert backtest_many([]) == []


def test_backtest_many_refuses_bad_input_before_starting_workers() -> None:
    good = BacktestJob(group(tt()), load([100.0] * 30), MODEL)
    empty = BacktestJob(group(tt()), load([]), MODEL)
    with (
        patch("scalectl.core.backtest.ProcessPoolExecutor") as pool,
        pytest.raises(InputError, match="no minute"),
    ):
        backtest_many([good, empty], processes=2)
    pool.assert_not_called()


def test_utilization_trace_is_load_in_instance_percent() -> None:
    trace = Trace(START, (50.0, 60.0), "utilization", (4, 5))
    converted = load_of(trace, capacity=None)
    assert list(converted.values) == [200.0, 300.0]
    assert converted.capacity == 100.0 and converted.first_instances == 4
    flat = load_of(Trace(START, (50.0,), "utilization"), capacity=None, instances=3)
    assert list(flat.values) == [150.0]


def test_missing_capacity_or_instances_is_bad_input() -> None:
    with pytest.raises(InputError, match="--capacity"):
        load_of(Trace(START, (1.0,), "requests"), capacity=None)
    with pytest.raises(InputError, match="instances"):
        load_of(Trace(START, (1.0,), "utilization"), capacity=None)


def test_rules_for_names_what_is_missing() -> None:
    ruleset = RuleSet(rules=[tt()], bounds=[])
    with pytest.raises(InputError, match=r"no rules for group 'api'.*web"):
        rules_for(ruleset, "api", source="r.toml")
    with pytest.raises(InputError, match=r"no bounds for group 'web'"):
        rules_for(ruleset, "web", source="r.toml")
    fallback = GroupBounds(group="web", min=1, max=3)
    assert rules_for(ruleset, "web", source="r.toml", fallback=fallback).max == 3
    memory = RuleSet(
        rules=[TargetTrackingRule(name="mem", group="web", metric="memory", target=60)],
        bounds=[fallback],
    )
    with pytest.raises(InputError, match=r"'memory'.*cannot model"):
        rules_for(memory, "web", source="r.toml")


def test_default_target_prefers_target_tracking() -> None:
    up = SimpleRule(name="up", group="web", comparison=Comparison.GT, threshold=70, adjustment=1)
    assert default_target([up, tt(55.0)]) == 55.0
    assert default_target([up]) == 70.0
    assert default_target([]) is None


@st.composite
def loads(draw: st.DrawFn, minutes: tuple[int, int]) -> Load:
    """Stretches of steady load with noise, zeros and spikes, starting at any minute of a day."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    length = draw(st.integers(*minutes))
    noise = draw(st.sampled_from([0.0, 0.05, 0.2]))
    values: list[float] = []
    while len(values) < length:
        level = rng.choice([0.0, 50.0, 200.0, 400.0, 800.0, 1500.0])
        for _ in range(rng.randint(5, 120)):
            spike = rng.random() < 0.02
            values.append(0.0 if level == 0 else level * (3 if spike else 1) * rng.gauss(1, noise))
    values = [max(0.0, v) for v in values[:length]]
    start = START + timedelta(minutes=draw(st.integers(0, 1439)))
    return Load(start, values, 100.0, True)


models = st.builds(
    CapacityModel,
    capacity=st.sampled_from([50.0, 100.0, 250.0]),
    boot_s=st.sampled_from([0, 30, 60, 120, 300]),
    warmup_s=st.sampled_from([0, 60, 180, 600]),
)


@st.composite
def replays(draw: st.DrawFn) -> tuple[GroupRules, Load, CapacityModel, dict[str, float], int]:
    with_predictive = draw(st.integers(0, 7)) == 0  # it needs a day of history: long traces
    rules = draw(strategies.rule_sets(with_predictive=with_predictive))
    minutes = (1560, 1900) if with_predictive else (30, 700)
    low = draw(st.integers(0, 4))
    high = draw(st.integers(low + 2, 25))
    spec = GroupRules("web", tuple(rules), low, high, draw(st.none() | st.integers(0, 30)))
    # Targets and saturations on alarm thresholds too (the replay counts those from the alarm's
    # breach marks).
    target = draw(st.sampled_from([50.0, 55.0, 62.5, 90.0]))
    options = {
        "target": target,
        "saturation": draw(st.sampled_from([target, 80.0, 90.0])),
        "tt_low_fraction": draw(st.sampled_from([0.9, 0.8])),
        "default_cooldown_s": draw(st.sampled_from([0, 60, 300])),
    }
    # How far the event-driven replay fills ahead only changes its speed: short stretches put a
    # stretch's end on the ticks where changes happen.
    ahead = draw(st.sampled_from([1, 2, 3, 7, backtest_fast.AHEAD]))
    return spec, draw(loads(minutes)), draw(models), options, ahead


@settings(max_examples=60, deadline=None)
@given(case=replays())
def test_fast_replay_equals_deciding_every_minute(
    case: tuple[GroupRules, Load, CapacityModel, dict[str, float], int],
) -> None:
    """Random loads, rules of every kind and models: the fast replay (event by event with the
    compiled rules, or decide() on candidate minutes with predictive rules and alarms ignoring
    missing data) gives what decide() every minute gives, reasons and statistics included."""
    spec, trace, model, options, ahead = case
    with patch.object(backtest_fast, "AHEAD", ahead):
        fast = backtest(spec, trace, model, price=1.0, **options)  # type: ignore[arg-type]
    slow = backtest(spec, trace, model, price=1.0, exhaustive=True, **options)  # type: ignore[arg-type]
    assert fast.events == slow.events
    assert fast.timeline == slow.timeline
    assert fast.summary() == slow.summary()
    assert (fast.instance_minutes, fast.peak_utilization) == (
        slow.instance_minutes,
        slow.peak_utilization,
    )
