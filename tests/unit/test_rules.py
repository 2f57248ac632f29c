"""Meaning checks of the portable rule schema (scalectl.core.rules)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from scalectl.core.rules import (
    GroupBounds,
    PredictiveRule,
    Problem,
    RuleSet,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
    canonical,
    format_path,
    rule_problems,
    ruleset_problems,
)


def step_rule(
    comparison: str, steps: list[tuple[float | None, float | None, int]], **kw: Any
) -> StepRule:
    return StepRule(
        name="s",
        group="web",
        comparison=comparison,  # type: ignore[arg-type]
        threshold=50.0,
        steps=[Step(lower=lo, upper=hi, adjustment=adj) for lo, hi, adj in steps],
        **kw,
    )


def only(problems: list[Problem]) -> tuple[str, str]:
    assert len(problems) == 1, problems
    return format_path(problems[0].path), problems[0].message


def test_format_path() -> None:
    assert format_path(("rules", 2, "steps", 1)) == "rules[2].steps[1]"
    assert format_path(("version",)) == "version"
    assert format_path(()) == ""


@pytest.mark.parametrize(
    ("comparison", "steps"),
    [
        (">", [(0, 10, 1), (10, 20, 2), (20, None, 3)]),
        (">=", [(0, None, 1)]),
        (">", [(5, None, 1)]),  # AWS accepts a first step that starts above the threshold
        ("<", [(None, -10, -2), (-10, 0, -1)]),
        ("<=", [(None, 0, -1)]),
    ],
)
def test_valid_steps(comparison: str, steps: list[tuple[float | None, float | None, int]]) -> None:
    assert rule_problems(step_rule(comparison, steps)) == []


@pytest.mark.parametrize(
    ("comparison", "steps", "path", "message"),
    [
        (">", [(0, 20, 1), (15, None, 2)], "steps[1]", "steps overlap: [0, 20) and [15, +inf)"),
        (">", [(0, 10, 1), (15, None, 2)], "steps[1]", "gap between steps: [0, 10) and [15, +inf)"),
        (">", [(0, 10, 1), (10, 20, 2)], "steps[1]", "the last step must have no upper bound"),
        (">", [(None, 0, -1), (0, None, 1)], "steps[0]", "lie above the threshold"),
        ("<", [(None, -5, -1), (-5, 5, 1)], "steps[1]", "lie below the threshold"),
        ("<", [(-10, 0, -1)], "steps[0]", "the first step must have no lower bound"),
        (
            "<",
            [(None, -10, -2), (None, 0, -1)],
            "steps[1]",
            "at most one step may have no lower bound",
        ),
        (">", [(0, None, 1), (5, None, 1)], "steps[1]", "at most one step may have no upper bound"),
        (">", [(None, None, 1)], "steps[0]", "needs a lower or an upper bound"),
        (">", [(10, 10, 1)], "steps[0]", "lower bound 10 must be below upper bound 10"),
        ("<", [(None, -0.5, 1), (-0.5, 0, 1)], None, None),
    ],
)
def test_step_problems(
    comparison: str,
    steps: list[tuple[float | None, float | None, int]],
    path: str | None,
    message: str | None,
) -> None:
    problems = rule_problems(step_rule(comparison, steps))
    if path is None:
        assert problems == []
        return
    where, text = only(problems)
    assert where == path
    assert message is not None and message in text


def test_below_threshold_intervals_are_open_at_the_lower_end() -> None:
    where, text = only(rule_problems(step_rule("<", [(None, -5, -2), (-10, 0, -1)])))
    assert (where, text) == ("steps[1]", "steps overlap: (-inf, -5] and (-10, 0]")


@pytest.mark.parametrize(
    ("kw", "path", "message"),
    [
        ({"period_s": 45}, "period_s", "10, 20, 30 or a multiple of 60"),
        ({"period_s": 20}, None, None),
        ({"period_s": 120}, None, None),
        (
            {"period_s": 3600, "evaluation_periods": 25},
            "evaluation_periods",
            "must not exceed one day",
        ),
        ({"period_s": 3600, "evaluation_periods": 24}, None, None),
        (
            {"evaluation_periods": 3, "datapoints_to_alarm": 4},
            "datapoints_to_alarm",
            "must not exceed evaluation_periods (3)",
        ),
        ({"evaluation_periods": 3, "datapoints_to_alarm": 3}, None, None),
        (
            {"min_adjustment_magnitude": 2},
            "min_adjustment_magnitude",
            "only with adjustment_type = 'percent'",
        ),
        ({"min_adjustment_magnitude": 2, "adjustment_type": "percent"}, None, None),
        (
            {"adjustment_type": "exact", "adjustment": -1},
            "adjustment",
            "an exact capacity cannot be negative",
        ),
        ({"metric": "disk"}, "metric", "unknown metric 'disk' (known: cpu, memory,"),
    ],
)
def test_simple_rule_problems(kw: dict[str, Any], path: str | None, message: str | None) -> None:
    fields: dict[str, Any] = {
        "name": "s",
        "group": "g",
        "comparison": ">",
        "threshold": 1.0,
        "adjustment": 1,
    }
    problems = rule_problems(SimpleRule(**(fields | kw)))
    if path is None:
        assert problems == []
        return
    where, text = only(problems)
    assert where == path
    assert message is not None and message in text


def test_exact_step_adjustments_cannot_be_negative() -> None:
    rule = step_rule(">", [(0, None, -1)], adjustment_type="exact")
    assert only(rule_problems(rule))[0] == "steps[0].adjustment"


def scheduled(**kw: Any) -> ScheduledRule:
    fields: dict[str, Any] = {"name": "s", "group": "g", "cron": "0 8 * * *", "desired": 2}
    return ScheduledRule(**{k: v for k, v in (fields | kw).items() if v is not None})


T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kw", "path", "message"),
    [
        ({}, None, None),
        ({"cron": None, "at": T0}, None, None),
        ({"at": T0}, "at", "set either cron (recurring) or at (one-off), not both"),
        ({"cron": None}, "", "needs cron (recurring) or at (one-off)"),
        ({"cron": "0 8 * *"}, "cron", "five fields"),
        ({"cron": "0 25 * * *"}, "cron", "not a valid cron expression"),
        ({"cron": "0 0 31 2 *"}, "cron", "never fires"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown IANA time zone 'Mars/Olympus'"),
        ({"timezone": "Europe/Paris"}, None, None),
        ({"start": T1, "end": T0}, "end", "must be after start"),
        ({"start": T0, "end": T1}, None, None),
        ({"start": datetime(2026, 1, 1)}, "start", "needs a UTC offset"),
        ({"cron": None, "at": T0, "end": T1}, "end", "applies only to recurring (cron) rules"),
        ({"desired": None}, "", "at least one of min, max, desired"),
        ({"desired": None, "min": 5, "max": 3}, "min", "min (5) must not exceed max (3)"),
        ({"desired": 1, "min": 2}, "desired", "below min (2)"),
        ({"desired": 9, "max": 8}, "desired", "above max (8)"),
        ({"desired": None, "max": 0}, None, None),
    ],
)
def test_scheduled_problems(kw: dict[str, Any], path: str | None, message: str | None) -> None:
    problems = rule_problems(scheduled(**kw))
    if path is None:
        assert problems == []
        return
    where, text = only(problems)
    assert where == path
    assert message is not None and message in text


@pytest.mark.parametrize(
    ("kw", "path"),
    [
        ({}, None),
        ({"max_capacity_behavior": "increase", "max_capacity_buffer": 10}, None),
        ({"max_capacity_buffer": 10}, "max_capacity_buffer"),
        ({"max_capacity_behavior": "increase"}, "max_capacity_behavior"),
        ({"metric": "gpu"}, "metric"),
    ],
)
def test_predictive_problems(kw: dict[str, Any], path: str | None) -> None:
    problems = rule_problems(PredictiveRule(name="p", group="g", target=50.0, **kw))
    assert [format_path(p.path) for p in problems] == ([] if path is None else [path])


def test_ruleset_duplicates_and_bounds() -> None:
    tt = TargetTrackingRule(name="cpu", group="web", target=50.0)
    ruleset = RuleSet(
        bounds=[
            GroupBounds(group="web", min=1, max=5),
            GroupBounds(group="api", min=3, max=2),
            GroupBounds(group="web", min=1, max=6),
            GroupBounds(group="db", min=1, max=3, desired=4),
        ],
        rules=[tt, TargetTrackingRule(name="cpu", group="api", target=50.0), tt],
    )
    assert [(format_path(p.path), p.message) for p in ruleset_problems(ruleset)] == [
        ("bounds[1].min", "min (3) must not exceed max (2)"),
        ("bounds[3].desired", "desired (4) must be within [min, max], above max (3)"),
        ("bounds[2].group", "duplicate bounds for group 'web' (first at bounds[0])"),
        ("rules[2].name", "duplicate rule 'cpu' in group 'web' (first at rules[0])"),
    ]


def test_nan_and_infinity_are_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError, match="finite number"):
        TargetTrackingRule(name="cpu", group="web", target=float("inf"))
    with pytest.raises(ValidationError, match="finite number"):
        Step(lower=float("nan"), adjustment=1)


def test_canonical_sorts_bounds_and_rules() -> None:
    a = TargetTrackingRule(name="b", group="web", target=50.0)
    b = TargetTrackingRule(name="a", group="web", target=50.0)
    c = TargetTrackingRule(name="z", group="api", target=50.0)
    ruleset = RuleSet(
        bounds=[GroupBounds(group="web", min=1, max=2), GroupBounds(group="api", min=1, max=2)],
        rules=[a, b, c],
    )
    ordered = canonical(ruleset)
    assert [r.name for r in ordered.rules] == ["z", "a", "b"]
    assert [b.group for b in ordered.bounds] == ["api", "web"]
    assert canonical(ordered) == ordered


def test_steps_are_kept_sorted_whatever_the_input_order() -> None:
    shuffled = step_rule(">", [(10, None, 2), (0, 10, 1)])
    ordered = step_rule(">", [(0, 10, 1), (10, None, 2)])
    assert shuffled == ordered
    assert rule_problems(shuffled) == []
