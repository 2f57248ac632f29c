"""Decision functions against the worked numbers of reference/autoscaling-semantics.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scalectl.core.decide import (
    Decision,
    GroupSnapshot,
    RuleState,
    apply_adjustment,
    clamp,
    cooldown_left,
    decide,
    preview_after_manual,
    select_step,
)
from scalectl.core.model import AlarmState, Comparison
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

NOW = datetime(2026, 3, 16, 9, 0, 30, tzinfo=UTC)
AWS, NEAREST = PercentRounding.AWS, PercentRounding.NEAREST
PERCENT, CHANGE, EXACT = AdjustmentType.PERCENT, AdjustmentType.CHANGE, AdjustmentType.EXACT


def group(desired: int, **kw: Any) -> GroupSnapshot:
    base: dict[str, Any] = {
        "name": "web",
        "min": 1,
        "max": 20,
        "desired": desired,
        "in_service": desired,
    }
    base.update(kw)
    return GroupSnapshot(**base)


def cpu(*values: float | None, minutes: int = 1) -> dict[str, list[float | None]]:
    return {"cpu": [v for v in values for _ in range(minutes)]}


def tt(name: str = "web-cpu", target: float = 50.0, **kw: Any) -> TargetTrackingRule:
    return TargetTrackingRule(name=name, group="web", target=target, **kw)


# --- arithmetic ----------------------------------------------------------------------------------


def test_clamp() -> None:
    assert (clamp(0, 1, 5), clamp(3, 1, 5), clamp(9, 1, 5)) == (1, 3, 5)


@pytest.mark.parametrize(
    ("current", "percent", "rounding", "expected"),
    [
        (10, 10, AWS, 11),  # +1.0
        (11, 30, AWS, 14),  # +3.3 -> 3
        (14, -10, AWS, 13),  # -1.4 -> -1
        (13, -30, AWS, 10),  # -3.9 -> -3
        (127, 10, AWS, 139),  # 12.7 -> 12
        (667, -1, AWS, 661),  # -6.67 -> -6 (toward zero)
        (3, 10, AWS, 4),  # 0.3 -> 1
        (3, -10, AWS, 2),  # -0.3 -> -1
        (0, 50, AWS, 0),  # nothing to take a percentage of
        (14, -10, NEAREST, 13),  # -1.4 -> -1
        (13, -30, NEAREST, 9),  # -3.9 -> -4
        (10, 25, NEAREST, 13),  # 2.5 -> 3 (halves away from zero)
        (10, -25, NEAREST, 7),  # -2.5 -> -3
        (3, 10, NEAREST, 3),  # 0.3 -> 0
    ],
)
def test_percent_rounding(
    current: int, percent: int, rounding: PercentRounding, expected: int
) -> None:
    assert apply_adjustment(current, PERCENT, percent, rounding=rounding) == expected


def test_min_adjustment_magnitude() -> None:
    # "25 % of 4 = 1, but MinAdjustmentMagnitude = 2 gives +2."
    assert apply_adjustment(4, PERCENT, 25) == 5
    assert apply_adjustment(4, PERCENT, 25, min_adjustment_magnitude=2) == 6
    assert apply_adjustment(4, PERCENT, -25, min_adjustment_magnitude=2) == 2
    assert apply_adjustment(10, PERCENT, 1, min_adjustment_magnitude=2, rounding=NEAREST) == 12
    # Larger changes are not affected; change and exact ignore it.
    assert apply_adjustment(40, PERCENT, 25, min_adjustment_magnitude=2) == 50
    assert apply_adjustment(4, CHANGE, 1, min_adjustment_magnitude=3) == 5
    assert apply_adjustment(4, EXACT, 9) == 9


OUT_STEPS = [
    Step(lower=0, upper=10, adjustment=0),
    Step(lower=10, upper=20, adjustment=10),
    Step(lower=20, adjustment=30),
]
IN_STEPS = [
    Step(lower=-10, upper=0, adjustment=0),
    Step(lower=-20, upper=-10, adjustment=-10),
    Step(upper=-20, adjustment=-30),
]


@pytest.mark.parametrize(
    ("steps", "delta", "expected"),
    [
        (OUT_STEPS, 0.0, 0),
        (OUT_STEPS, 9.99, 0),
        (OUT_STEPS, 10.0, 10),  # above: lower bound inclusive
        (OUT_STEPS, 19.99, 10),
        (OUT_STEPS, 20.0, 30),
        (OUT_STEPS, 500.0, 30),
        (IN_STEPS, -10.0, -10),  # below: upper bound inclusive
        (IN_STEPS, -9.99, 0),
        (IN_STEPS, -20.0, -30),
        (IN_STEPS, 0.0, 0),  # exactly at the threshold of a scale-in set
        (OUT_STEPS, -1.0, None),
    ],
)
def test_select_step(steps: list[Step], delta: float, expected: int | None) -> None:
    step = select_step(steps, delta)
    assert (None if step is None else step.adjustment) == expected


# --- step rules: the AWS worked example ----------------------------------------------------------


def step_rules() -> list[StepRule]:
    common: dict[str, Any] = {"group": "web", "threshold": 50.0, "adjustment_type": PERCENT}
    return [
        StepRule(name="web-out", comparison=Comparison.GT, steps=OUT_STEPS, **common),
        StepRule(name="web-in", comparison=Comparison.LT, steps=IN_STEPS, **common),
    ]


def test_aws_step_example_10_11_14_13_10() -> None:
    capacity = 10
    seen = [capacity]
    for metric in (60.0, 70.0, 40.0, 30.0):
        d = decide(group(capacity), step_rules(), cpu(metric), NOW)
        capacity = d.desired
        seen.append(capacity)
    assert seen == [10, 11, 14, 13, 10]


def test_step_reason_names_alarm_step_and_change() -> None:
    d = decide(group(10), step_rules(), cpu(60.0), NOW)
    assert d.kind == "scale_out" and d.rule == "web-out"
    assert d.reason == (
        "alarm web-out in ALARM for 1 of 1 periods (cpu 60.0 > 50.0); step rule web-out "
        "step [10.0, 20.0] changes capacity by +10 %: 10 -> 11"
    )


def test_step_breaches_in_the_same_step_make_one_activity_while_warming() -> None:
    warming = group(11, in_service=10, warming=1)
    same_step = decide(warming, step_rules(), cpu(60.0), NOW)
    assert same_step.desired == 11 and not same_step.changed
    assert same_step.blocked is not None and "warming" in same_step.blocked
    assert "+10 % of 10 warmed-up instances = 11" in same_step.blocked
    higher_step = decide(warming, step_rules(), cpu(70.0), NOW)
    assert higher_step.desired == 13  # 10 warmed + 30 % (3), not 11 + 3


def test_step_scale_in_is_blocked_while_warming() -> None:
    d = decide(group(14, in_service=13, warming=1), step_rules(), cpu(40.0), NOW)
    assert d.desired == 14 and d.blocked is not None and "warming" in d.blocked


def test_step_m_of_n_and_consecutive() -> None:
    rule = StepRule(
        name="s",
        group="web",
        comparison=Comparison.GT,
        threshold=50.0,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        steps=[Step(lower=0, adjustment=2)],
    )
    assert decide(group(4), [rule], cpu(60.0, 40.0, 60.0), NOW).desired == 6
    assert (
        decide(group(4), [rule], cpu(60.0, 40.0, 60.0), NOW, consecutive_alarms=True).desired == 4
    )
    assert decide(group(4), [rule], cpu(40.0, 40.0, 60.0), NOW).desired == 4


def test_step_periods_are_built_from_minutes() -> None:
    rule = StepRule(
        name="s",
        group="web",
        comparison=Comparison.GT,
        threshold=50.0,
        period_s=300,
        evaluation_periods=2,
        steps=[Step(lower=0, adjustment=1)],
    )
    # Two 5-minute periods averaging 60 and 55 breach; one minute at 90 alone does not.
    assert (
        decide(group(4), [rule], {"cpu": [50, 70, 60, 60, 60, 40, 70, 55, 55, 55]}, NOW).desired
        == 5
    )
    assert (
        decide(group(4), [rule], {"cpu": [40, 40, 40, 40, 40, 40, 40, 40, 40, 90]}, NOW).desired
        == 4
    )


# --- target tracking -----------------------------------------------------------------------------


def test_tt_scale_out_reason_in_aws_style() -> None:
    d = decide(group(4), [tt()], cpu(78.0, minutes=3), NOW)
    assert (d.current, d.desired, d.kind, d.rule) == (4, 7, "scale_out", "web-cpu")
    assert d.reason == (
        "alarm web-cpu-high in ALARM for 3 of 3 periods (cpu 78.0 > 50.0); "
        "target tracking web-cpu wants ceil(4 x 78.0 / 50.0) = 7: 4 -> 7"
    )
    assert d.rule_states["web-cpu"].alarm_states["high"] is AlarmState.ALARM
    assert d.rule_states["web-cpu"].last_fired == NOW


def test_tt_needs_three_breaching_minutes() -> None:
    assert decide(group(4), [tt()], cpu(40.0, 78.0, 78.0), NOW).desired == 4


@pytest.mark.parametrize(
    ("capacity", "metric", "target", "expected"),
    [(4, 75.0, 50.0, 6), (3, 70.1, 70.0, 4), (10, 51.0, 50.0, 11), (2, 100.0, 40.0, 5)],
)
def test_tt_ceil(capacity: int, metric: float, target: float, expected: int) -> None:
    d = decide(group(capacity), [tt(target=target)], cpu(metric, minutes=3), NOW)
    assert d.desired == expected


def test_tt_warming_instances_count_in_capacity_but_not_in_metric() -> None:
    # 4 warmed instances at 78 % carry a load that 7 instances hold at 50 %: 3 already warming.
    d = decide(group(7, in_service=4, warming=3), [tt()], cpu(78.0, minutes=3), NOW)
    assert d.desired == 7 and not d.changed
    assert d.blocked is not None and "3 warming or pending" in d.blocked
    more = decide(group(7, in_service=4, warming=2, pending=1), [tt()], cpu(95.0, minutes=3), NOW)
    assert more.desired == 8


def test_tt_scale_in_after_15_low_minutes() -> None:
    assert decide(group(10), [tt()], cpu(20.0, minutes=14), NOW).desired == 10
    d = decide(group(10), [tt()], cpu(20.0, minutes=15), NOW)
    assert (d.desired, d.kind) == (4, "scale_in")
    assert d.reason.startswith("alarm web-cpu-low in ALARM for 15 of 15 periods (cpu 20.0 < 45.0)")


def test_tt_low_fraction_per_provider() -> None:
    # 42 % is below 0.9 x 50 (AWS) but not below 0.8 x 50 (Tencent).
    assert decide(group(10), [tt()], cpu(42.0, minutes=15), NOW).desired == 9
    assert decide(group(10), [tt()], cpu(42.0, minutes=15), NOW, tt_low_fraction=0.8).desired == 10


def test_tt_no_scale_in_while_warming_or_pending() -> None:
    for kw in ({"warming": 1}, {"pending": 1}):
        d = decide(group(10, in_service=9, **kw), [tt()], cpu(20.0, minutes=15), NOW)
        assert d.desired == 10 and d.blocked is not None and "warming" in d.blocked


def test_tt_disable_scale_in() -> None:
    d = decide(group(10), [tt(disable_scale_in=True)], cpu(20.0, minutes=15), NOW)
    assert d.desired == 10 and "low" not in d.rule_states["web-cpu"].alarm_states


def test_several_tt_rules_out_if_any_in_only_if_all() -> None:
    history = {"cpu": [20.0] * 15, "memory": [65.0] * 15}
    rules = [tt(), tt("web-mem", metric="memory", target=70.0)]
    assert decide(group(10), rules, history, NOW).desired == 10  # memory does not agree
    history["memory"] = [30.0] * 15
    d = decide(group(10), rules, history, NOW)
    assert (d.desired, d.rule) == (5, "web-mem")  # both agree; the larger capacity wins
    history["memory"] = [90.0] * 15
    assert decide(group(10), rules, history, NOW).desired == 13  # any wants out


def test_tt_never_scales_in_past_the_target() -> None:
    # 3 x 44 / 50 = 2.64 -> 3: removing one of 3 would put the metric at 66 > 50.
    d = decide(group(3), [tt()], cpu(44.0, minutes=15), NOW)
    assert d.desired == 3


def test_scale_out_wins_over_scale_in_and_result_is_clamped() -> None:
    rules = [
        tt(),
        SimpleRule(
            name="shrink", group="web", comparison=Comparison.LT, threshold=90.0, adjustment=-2
        ),
    ]
    d = decide(group(8, max=10), rules, cpu(99.0, minutes=3), NOW)
    assert d.desired == 10 and d.rule == "web-cpu" and "held within [1, 10]" in d.reason
    at_max = decide(group(10, max=10), rules, cpu(99.0, minutes=3), NOW)
    assert not at_max.changed and at_max.kind == "none"
    assert at_max.blocked is not None and "already at 10" in at_max.blocked


def test_suspended_alarm_notification_blocks_alarm_rules() -> None:
    d = decide(
        group(4, suspended=frozenset({"AlarmNotification"})), [tt()], cpu(78.0, minutes=3), NOW
    )
    assert d.desired == 4 and d.blocked is not None and "AlarmNotification suspended" in d.blocked


def test_alarm_states_round_trip_through_rule_state() -> None:
    first = decide(group(4), [tt()], {"cpu": []}, NOW)
    assert first.rule_states["web-cpu"].alarm_states["high"] is AlarmState.INSUFFICIENT_DATA
    state = {"web-cpu": RuleState(alarm_states={"high": AlarmState.ALARM})}
    second = decide(group(4), [tt()], cpu(60.0, minutes=3), NOW, states=state)
    assert second.desired == 5


# --- simple rules and cooldown -------------------------------------------------------------------


def simple(**kw: Any) -> SimpleRule:
    base: dict[str, Any] = {
        "name": "add2",
        "group": "web",
        "comparison": Comparison.GT,
        "threshold": 70.0,
        "adjustment": 2,
    }
    base.update(kw)
    return SimpleRule(**base)


def test_cooldown_gates_simple_rules_only() -> None:
    cooling = group(4, last_activity_end=NOW - timedelta(seconds=100), default_cooldown_s=300)
    d = decide(cooling, [simple()], cpu(80.0), NOW)
    assert d.desired == 4 and d.blocked is not None and "cooldown 200 s left" in d.blocked
    step = StepRule(
        name="s",
        group="web",
        comparison=Comparison.GT,
        threshold=70.0,
        steps=[Step(lower=0, adjustment=2)],
    )
    assert decide(cooling, [step], cpu(80.0), NOW).desired == 6
    assert decide(cooling, [tt(target=70.0)], cpu(80.0, minutes=3), NOW).desired == 5


def test_policy_cooldown_overrides_group_default() -> None:
    cooling = group(4, last_activity_end=NOW - timedelta(seconds=100), default_cooldown_s=300)
    assert decide(cooling, [simple(cooldown_s=60)], cpu(80.0), NOW).desired == 6
    assert cooldown_left(cooling, NOW) == 200
    assert cooldown_left(cooling, NOW, 60) == 0
    assert cooldown_left(group(4), NOW) == 0


def test_simple_rules_wait_for_the_activity_in_progress() -> None:
    d = decide(group(4, activity_in_progress=True), [simple()], cpu(80.0), NOW)
    assert d.desired == 4 and d.blocked is not None and "activity in progress" in d.blocked


def test_simple_percent_with_alibaba_rounding() -> None:
    rule = simple(adjustment_type=PERCENT, adjustment=25)
    assert decide(group(10), [rule], cpu(80.0), NOW).desired == 12
    assert decide(group(10), [rule], cpu(80.0), NOW, rounding=NEAREST).desired == 13


# --- scheduled -----------------------------------------------------------------------------------


def test_scheduled_action_bypasses_cooldown_and_sets_bounds() -> None:
    rule = ScheduledRule(name="morning", group="web", cron="0 9 * * *", min=5, max=30, desired=10)
    cooling = group(4, last_activity_end=NOW - timedelta(seconds=10))
    state = {"morning": RuleState(last_scheduled_run=NOW - timedelta(minutes=1))}
    d = decide(cooling, [rule], {}, NOW, states=state)
    assert (d.desired, d.new_min, d.new_max, d.kind, d.rule) == (10, 5, 30, "scheduled", "morning")
    assert d.reason == "scheduled action morning set min 5, max 30, desired 10: 4 -> 10"
    assert d.rule_states["morning"].last_scheduled_run == NOW
    again = decide(cooling, [rule], {}, NOW + timedelta(minutes=1), states=d.rule_states)
    assert not again.changed


def test_scheduled_action_in_its_timezone() -> None:
    rule = ScheduledRule(
        name="cn", group="web", cron="0 9 * * *", timezone="Asia/Shanghai", desired=8
    )
    at_utc_1 = datetime(2026, 3, 16, 1, 0, 30, tzinfo=UTC)
    assert decide(group(4), [rule], {}, at_utc_1).desired == 8
    assert decide(group(4), [rule], {}, NOW).desired == 4


def test_one_off_scheduled_action_and_suspension() -> None:
    rule = ScheduledRule(name="sale", group="web", at=NOW - timedelta(seconds=20), desired=12)
    assert decide(group(4), [rule], {}, NOW).desired == 12
    suspended = group(4, suspended=frozenset({"ScheduledActions"}))
    d = decide(suspended, [rule], {}, NOW)
    assert d.desired == 4 and d.blocked is not None and "ScheduledActions suspended" in d.blocked


def test_scheduled_bounds_then_largest_scale_out() -> None:
    rule = ScheduledRule(name="cap", group="web", at=NOW, max=6)
    d = decide(group(4), [rule, tt()], cpu(78.0, minutes=3), NOW)
    assert (d.desired, d.new_max) == (6, 6)  # TT wants 7; the scheduled max applies first


# --- predictive ----------------------------------------------------------------------------------


def predictive(**kw: Any) -> PredictiveRule:
    base: dict[str, Any] = {
        "name": "pred",
        "group": "web",
        "target": 50.0,
        "mode": PredictiveMode.FORECAST_AND_SCALE,
    }
    base.update(kw)
    return PredictiveRule(**base)


def test_predictive_raises_capacity_before_the_hour() -> None:
    forecast = {"cpu": [100.0, 500.0, 100.0]}  # 09:00, 10:00, 11:00
    early = datetime(2026, 3, 16, 9, 50, tzinfo=UTC)
    assert decide(group(4), [predictive()], {}, early, forecast=forecast).desired == 4
    d = decide(group(4), [predictive()], {}, early + timedelta(minutes=5), forecast=forecast)
    assert (d.desired, d.kind) == (10, "predictive")
    assert "ceil(500.0 / 50.0) = 10" in d.reason and "for 10:00" in d.reason


def test_predictive_forecast_only_says_what_it_would_do() -> None:
    d = decide(
        group(4),
        [predictive(mode=PredictiveMode.FORECAST_ONLY)],
        {},
        NOW,
        forecast={"cpu": [500.0]},
    )
    assert not d.changed and "forecast only, would scale 4 -> 10" in d.reason


def test_predictive_never_scales_in() -> None:
    d = decide(group(8), [predictive()], {}, NOW, forecast={"cpu": [100.0]})
    assert d.desired == 8


def test_predictive_honor_or_increase_max() -> None:
    forecast = {"cpu": [50 * 50.0]}  # 50 instances at the target
    honor = decide(group(4, max=40), [predictive()], {}, NOW, forecast=forecast)
    assert (honor.desired, honor.new_max) == (40, None)
    increase = predictive(
        max_capacity_behavior=MaxCapacityBehavior.INCREASE, max_capacity_buffer=10
    )
    d = decide(group(4, max=40), [increase], {}, NOW, forecast=forecast)
    assert (d.desired, d.new_max) == (50, 55)


def test_predictive_capacity_is_a_floor_for_target_tracking_scale_in() -> None:
    # The sim's flap: predictive 6 -> 15 at 15:50, target tracking 15 -> 4 at 16:00, predictive
    # 4 -> 15 at 16:01. AWS sets the desired capacity to the largest any policy wants.
    rules = [tt(), predictive()]
    low_cpu = cpu(10.0, minutes=15)  # target tracking alone wants ceil(15 x 10 / 50) = 3
    assert decide(group(15), [tt()], low_cpu, NOW).desired == 3
    d = decide(group(15), rules, low_cpu, NOW, forecast={"cpu": [750.0]})  # floor 15
    assert (d.desired, d.kind) == (15, "none")
    assert d.blocked is not None and "no scale-in: predictive pred holds a floor of 15" in d.blocked
    d = decide(group(15), rules, low_cpu, NOW, forecast={"cpu": [500.0]})  # floor 10
    assert (d.desired, d.kind, d.rule) == (10, "scale_in", "web-cpu")
    assert "predictive pred holds a floor of 10 for this hour: 15 -> 10" in d.reason


def test_predictive_floor_holds_every_minute_of_its_hour() -> None:
    rules = [tt(), predictive()]
    for minute in (0, 20, 54):  # from 09:55 the buffer already looks at 10:00 (also 15)
        now = datetime(2026, 3, 16, 9, minute, tzinfo=UTC)
        d = decide(group(15), rules, cpu(10.0, minutes=15), now, forecast={"cpu": [750.0, 750.0]})
        assert d.desired == 15, minute
    # The next hour's forecast is low: from then on target tracking scales in.
    late = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    d = decide(group(15), rules, cpu(10.0, minutes=15), late, forecast={"cpu": [100.0]})
    assert (d.desired, d.kind) == (3, "scale_in")


def test_forecast_only_sets_no_floor_and_floor_spares_step_scale_in() -> None:
    only = predictive(mode=PredictiveMode.FORECAST_ONLY)
    d = decide(group(15), [tt(), only], cpu(10.0, minutes=15), NOW, forecast={"cpu": [750.0]})
    assert d.desired == 3
    shrink = simple(name="shrink", comparison=Comparison.LT, threshold=35.0, adjustment=-6)
    d = decide(group(15), [shrink, predictive()], cpu(10.0), NOW, forecast={"cpu": [600.0]})
    assert (d.desired, d.rule) == (12, "shrink") and "holds a floor of 12" in d.reason


# --- anti-flapping -------------------------------------------------------------------------------


def test_anti_flapping_finds_a_count_that_does_not_trip_scale_out() -> None:
    out = StepRule(
        name="out",
        group="web",
        comparison=Comparison.GT,
        threshold=60.0,
        steps=[Step(lower=0, adjustment=2)],
    )
    shrink = simple(name="shrink", comparison=Comparison.LT, threshold=35.0, adjustment=-6)
    d = decide(group(10), [out, shrink], cpu(30.0), NOW)
    # 10 -> 4 would put cpu at 75 and trip "out"; 5 gives 60, which does not.
    assert d.desired == 5 and "anti-flapping: 5 instead of 4" in d.reason


def test_anti_flapping_skips_when_no_count_is_safe() -> None:
    out = StepRule(
        name="out",
        group="web",
        comparison=Comparison.GT,
        threshold=31.0,
        steps=[Step(lower=0, adjustment=2)],
    )
    shrink = simple(name="shrink", comparison=Comparison.LT, threshold=35.0, adjustment=-6)
    d = decide(group(10), [out, shrink], cpu(30.0), NOW)
    assert d.desired == 10
    assert d.blocked is not None and d.blocked.startswith("anti-flapping: scaling in to 4 skipped")


# --- preview after a manual change ---------------------------------------------------------------


def test_preview_scale_back_after_manual_scale_out() -> None:
    lines = preview_after_manual(group(4), 12, [tt()], cpu(75.0, minutes=3), NOW)
    assert lines == [
        "target tracking web-cpu will scale back to ~6 within ~15 min "
        "(cpu would be ~25.0, below 45.0 for 15 periods)"
    ]


def test_preview_scale_out_after_manual_scale_in() -> None:
    lines = preview_after_manual(group(4), 2, [tt()], cpu(75.0), NOW)
    assert lines == [
        "target tracking web-cpu will scale out to ~6 within ~3 min "
        "(cpu would be ~150.0, above 50.0 for 3 periods)"
    ]


def test_preview_nothing_to_say() -> None:
    assert preview_after_manual(group(4), 6, [tt()], cpu(75.0), NOW) == []
    assert preview_after_manual(group(4), 12, [tt(disable_scale_in=True)], cpu(75.0), NOW) == []
    assert preview_after_manual(group(4), 12, [tt()], {}, NOW) == []


def test_preview_step_rule() -> None:
    lines = preview_after_manual(group(10), 5, step_rules(), cpu(35.0), NOW)
    # cpu would be 70: the [20, +inf) step adds 30 % of 5 -> 6.
    assert lines == [
        "step rule web-out will scale out to ~6 within ~1 min (cpu would be ~70.0, > 50.0)"
    ]


def test_decision_changed_property() -> None:
    assert not Decision(group="web", current=3, desired=3).changed
    assert Decision(group="web", current=3, desired=3, new_min=1).changed


def test_capacity_outside_bounds_is_brought_back() -> None:
    d = decide(group(25, max=20), [], {}, NOW)
    assert (d.desired, d.kind, d.reason) == (20, "scale_in", "held within [1, 20]: 25 -> 20")
    assert not decide(group(5), [], {}, NOW).changed
