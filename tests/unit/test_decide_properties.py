"""Properties of decide() over random groups, rules and metric histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scalectl.core.decide import GroupSnapshot, decide
from scalectl.core.model import Comparison
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    PercentRounding,
    PredictiveMode,
    PredictiveRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
)

NOW = datetime(2026, 3, 16, 9, 0, 30, tzinfo=UTC)


@st.composite
def groups(draw: st.DrawFn) -> GroupSnapshot:
    low = draw(st.integers(0, 10))
    high = draw(st.integers(low, 40))
    desired = draw(st.integers(low, high))
    in_service = draw(st.integers(0, desired))
    warming = draw(st.integers(0, desired - in_service))
    ended = draw(st.none() | st.integers(0, 900))
    return GroupSnapshot(
        name="g",
        min=low,
        max=high,
        desired=desired,
        in_service=in_service,
        warming=warming,
        pending=desired - in_service - warming,
        last_activity_end=None if ended is None else NOW - timedelta(seconds=ended),
        activity_in_progress=draw(st.booleans()),
    )


targets = st.floats(min_value=1.0, max_value=100.0, allow_nan=False)
adjustment_types = st.sampled_from(list(AdjustmentType))
comparisons = st.sampled_from(list(Comparison))


@st.composite
def rule_sets(draw: st.DrawFn) -> list[AnyRule]:
    rules: list[AnyRule] = []
    for i in range(draw(st.integers(0, 2))):
        rules.append(
            TargetTrackingRule(
                name=f"tt{i}", group="g", target=draw(targets), disable_scale_in=draw(st.booleans())
            )
        )
    if draw(st.booleans()):
        threshold = draw(targets)
        rules.append(
            StepRule(
                name="step",
                group="g",
                comparison=draw(comparisons),
                threshold=threshold,
                evaluation_periods=draw(st.integers(1, 5)),
                adjustment_type=draw(adjustment_types),
                steps=[
                    Step(upper=0, adjustment=draw(st.integers(-5, 5))),
                    Step(lower=0, adjustment=draw(st.integers(-5, 50))),
                ],
            )
        )
    if draw(st.booleans()):
        rules.append(
            SimpleRule(
                name="simple",
                group="g",
                comparison=draw(comparisons),
                threshold=draw(targets),
                adjustment_type=draw(adjustment_types),
                adjustment=draw(st.integers(-100, 100)),
                cooldown_s=draw(st.none() | st.integers(0, 600)),
            )
        )
    if draw(st.booleans()):
        rules.append(
            PredictiveRule(
                name="pred", group="g", target=draw(targets), mode=PredictiveMode.FORECAST_AND_SCALE
            )
        )
    return rules


values = st.none() | st.floats(min_value=0.0, max_value=300.0, allow_nan=False)
histories = st.fixed_dictionaries({"cpu": st.lists(values, max_size=20)})
forecasts = st.fixed_dictionaries({"cpu": st.lists(st.floats(0.0, 5000.0), min_size=1, max_size=3)})


@settings(max_examples=300, deadline=None)
@given(groups(), rule_sets(), histories, forecasts, st.sampled_from(list(PercentRounding)))
def test_result_always_within_bounds(
    group: GroupSnapshot,
    rules: list[AnyRule],
    history: dict[str, list[float | None]],
    forecast: dict[str, list[float]],
    rounding: PercentRounding,
) -> None:
    d = decide(group, rules, history, NOW, forecast=forecast, rounding=rounding)
    assert group.min <= d.desired <= group.max
    assert d.new_min is None and d.new_max is None  # no scheduled rule, no IncreaseMaxCapacity


@settings(max_examples=200, deadline=None)
@given(groups(), rule_sets(), histories, forecasts, st.booleans())
def test_same_inputs_same_decision(
    group: GroupSnapshot,
    rules: list[AnyRule],
    history: dict[str, list[float | None]],
    forecast: dict[str, list[float]],
    consecutive: bool,
) -> None:
    first = decide(group, rules, history, NOW, forecast=forecast, consecutive_alarms=consecutive)
    second = decide(group, rules, history, NOW, forecast=forecast, consecutive_alarms=consecutive)
    assert first == second
    # Feeding the states back is also deterministic.
    again = decide(group, rules, history, NOW, states=first.rule_states, forecast=forecast)
    assert again == decide(group, rules, history, NOW, states=first.rule_states, forecast=forecast)


@settings(max_examples=300, deadline=None)
@given(groups(), rule_sets(), histories)
def test_no_policy_scale_in_while_instances_warm(
    group: GroupSnapshot, rules: list[AnyRule], history: dict[str, list[float | None]]
) -> None:
    # Simple rules are gated by cooldown and the activity in progress, not by warm-up.
    rules = [r for r in rules if not isinstance(r, SimpleRule)]
    d = decide(group, rules, history, NOW)
    if group.warming or group.pending:
        assert d.desired >= d.current


@settings(max_examples=300, deadline=None)
@given(groups(), targets, st.lists(values, max_size=20), st.booleans())
def test_tt_never_scales_out_below_target(
    group: GroupSnapshot, target: float, raw: list[float | None], disable_in: bool
) -> None:
    history = {"cpu": [None if v is None else min(v, target * 0.999) for v in raw]}
    rule = TargetTrackingRule(name="tt", group="g", target=target, disable_scale_in=disable_in)
    d = decide(group, [rule], history, NOW)
    assert d.desired <= d.current
