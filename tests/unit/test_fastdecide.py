"""The compiled rules decide as decide() does, on ticks where every datapoint is real."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from backtest_strategies import START, THRESHOLDS, compilable_rules
from hypothesis import given, settings
from hypothesis import strategies as st

from scalectl.core.decide import GroupSnapshot, _ceil, decide
from scalectl.core.fastdecide import CompiledRules, compile_rules
from scalectl.core.model import Comparison, MissingData
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    PredictiveRule,
    SimpleRule,
    StepRule,
    TargetTrackingRule,
)


@st.composite
def histories(draw: st.DrawFn, minutes: int) -> dict[str, list[float]]:
    """Per metric, ``minutes`` real values around one level, some exactly on a threshold."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    out: dict[str, list[float]] = {}
    for metric in ("cpu", "requests_per_target"):
        level = draw(st.sampled_from(THRESHOLDS) | st.floats(0.0, 150.0))
        noise = draw(st.sampled_from([0.0, 0.02, 0.1, 0.5]))
        on_threshold = draw(st.sampled_from([0.0, 0.2]))
        values = []
        for _ in range(minutes):
            if rng.random() < on_threshold:
                values.append(rng.choice(THRESHOLDS))
            else:
                values.append(max(0.0, level * (1 + rng.gauss(0, noise))))
        out[metric] = values
    return out


@st.composite
def cases(
    draw: st.DrawFn,
) -> tuple[list[AnyRule], dict[str, list[float]], tuple[int, ...], float, int]:
    rules = draw(compilable_rules())
    compiled = CompiledRules(rules, tt_low_fraction=0.9, default_cooldown_s=300)
    tick = compiled.span + draw(st.integers(0, 5))
    history = draw(histories(tick))
    warm = draw(st.integers(1, 12))
    warming = draw(st.sampled_from([0, 0, 1, 3]))
    pending = draw(st.sampled_from([0, 0, 2]))
    desired = warm + warming + pending + draw(st.sampled_from([0, 0, 0, 1, -1]))
    if draw(st.integers(0, 9)) == 0:  # a capacity out of bounds is brought back in
        low = draw(st.integers(0, 4))
        high = draw(st.integers(max(low, 1), 25))
    else:
        low = draw(st.integers(0, max(0, min(4, desired))))
        high = draw(st.integers(max(desired, 1), 25))
    last_end = draw(st.none() | st.integers(tick - 12, tick))
    state = (desired, warm, warming, pending, low, high, -1 if last_end is None else last_end)
    fraction = draw(st.sampled_from([0.9, 0.8]))
    cooldown = draw(st.sampled_from([0, 60, 300]))
    return rules, history, state, fraction, cooldown


@settings(max_examples=400, deadline=None)
@given(case=cases())
def test_compiled_rules_decide_as_decide(
    case: tuple[list[AnyRule], dict[str, list[float]], tuple[int, ...], float, int],
) -> None:
    rules, history, state, fraction, cooldown = case
    desired, warm, warming, pending, low, high, ended = state
    last_end = None if ended < 0 else ended
    tick = len(history["cpu"])
    compiled = compile_rules(rules, tt_low_fraction=fraction, default_cooldown_s=cooldown)
    assert compiled is not None
    got = compiled.decide(history, tick, desired, warm, warming, pending, low, high, last_end)

    now = START + tick * timedelta(minutes=1)
    group = GroupSnapshot(
        name="web",
        min=low,
        max=high,
        desired=desired,
        in_service=warm,
        warming=warming,
        pending=pending,
        default_cooldown_s=cooldown,
        last_activity_end=None if last_end is None else START + timedelta(minutes=last_end),
        activity_in_progress=pending > 0,
    )
    decision = decide(group, rules, history, now, tt_low_fraction=fraction)
    assert decision.new_min is None and decision.new_max is None
    expected = None
    if decision.desired != decision.current:
        expected = (decision.desired, decision.kind, decision.rule, decision.reason)
    assert got == expected


def test_a_breach_three_minutes_long_scales_out_with_decides_reason() -> None:
    rule = TargetTrackingRule(name="cpu50", group="web", target=50.0)
    compiled = compile_rules([rule], tt_low_fraction=0.9, default_cooldown_s=300)
    assert compiled is not None
    values = [47.0] * 14 + [60.0, 61.0, 70.0]
    got = compiled.decide({"cpu": values}, 17, 4, 4, 0, 0, 1, 10, None)
    assert got == (
        6,
        "scale_out",
        "cpu50",
        "alarm cpu50-high in ALARM for 3 of 3 periods (cpu 70.0 > 50.0); target tracking "
        "cpu50 wants ceil(4 x 70.0 / 50.0) = 6: 4 -> 6",
    )
    # Two points above the target are not an alarm; nor is a breach the group already covers.
    assert compiled.decide({"cpu": [*values[:-1], 50.0]}, 17, 4, 4, 0, 0, 1, 10, None) is None
    assert compiled.decide({"cpu": values}, 17, 6, 4, 0, 2, 1, 10, None) is None


def test_rules_that_remember_state_or_read_forecasts_are_not_compiled() -> None:
    ignore = SimpleRule(
        name="up",
        group="web",
        comparison=Comparison.GT,
        threshold=70,
        adjustment=1,
        missing_data=MissingData.IGNORE,
    )
    forecast = PredictiveRule(name="p", group="web", target=50)
    step = StepRule(
        name="s", group="web", comparison=Comparison.GT, threshold=70, steps=[{"adjustment": 1}]
    )
    kw = {"tt_low_fraction": 0.9, "default_cooldown_s": 300}
    assert compile_rules([ignore], **kw) is None  # type: ignore[arg-type]
    assert compile_rules([forecast], **kw) is None  # type: ignore[arg-type]
    assert compile_rules([forecast.model_copy(update={"enabled": False}), step], **kw) is not None  # type: ignore[arg-type]


def test_scale_in_keeps_decides_anti_flapping() -> None:
    # 10 instances at 40 %: target tracking wants ceil(10 x 40 / 70) = 6, where the simple rule
    # above 55 % would trip (66.7 %, then 57.1 % at 7): anti-flapping stops at 8 (50 %).
    rules: list[AnyRule] = [
        TargetTrackingRule(name="cpu70", group="web", target=70.0),
        SimpleRule(name="up", group="web", comparison=Comparison.GT, threshold=55, adjustment=1),
    ]
    compiled = compile_rules(rules, tt_low_fraction=0.9, default_cooldown_s=300)
    assert compiled is not None
    history = {"cpu": [40.0] * 20}
    got = compiled.decide(history, 20, 10, 10, 0, 0, 1, 20, None)
    group = GroupSnapshot(name="web", min=1, max=20, desired=10, in_service=10)
    decision = decide(group, rules, history, START + timedelta(minutes=20))
    assert got is not None and "anti-flapping: 8 instead of 6" in got[3]
    assert got == (decision.desired, decision.kind, decision.rule, decision.reason)


@settings(max_examples=300, deadline=None)
@given(
    warm=st.integers(1, 300),
    target=st.sampled_from([40.0, 50.0, 55.0, 70.0]) | st.floats(1.0, 100.0),
    capacity=st.integers(1, 300),
    past=st.sampled_from([0.0, 4e-10, 5e-10, 6e-10, 1e-9, 1e-7]),
    ulps=st.integers(-4, 4),
)
def test_the_newest_point_bound_never_hides_a_target_tracking_change(
    warm: int, target: float, capacity: int, past: float, ulps: int
) -> None:
    # Right at the edges where ceil(round(warm x m / target, 9)) steps, to the last bits:
    # wherever target tracking wants a change, the newest point passes the bound the replay
    # filters ticks with.
    rule = TargetTrackingRule(name="tt", group="web", target=target)
    high, low = compile_rules([rule], tt_low_fraction=0.9, default_cooldown_s=0).watches  # type: ignore[union-attr]
    for edge in (capacity - 1, capacity, capacity + 1):
        metric = (edge + past) * target / warm
        for _ in range(abs(ulps)):
            metric = math.nextafter(metric, math.inf if ulps > 0 else -math.inf)
        if _ceil(warm * metric / target) > capacity:  # wants out past the counted capacity
            bound = high.newest(capacity, warm, capacity)
            assert bound is not None and metric > bound
        want = max(1, _ceil(warm * metric / target)) if metric > 0 else 0
        while 0 < want < capacity and warm * metric / want > target:
            want += 1
        if want < capacity:  # wants in below the desired capacity
            bound = low.newest(capacity, warm, capacity)
            assert bound is not None and metric <= bound
