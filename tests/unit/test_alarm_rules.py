from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from scalectl.core.alarm_rules import evaluate_composite, parse_rule, parts, predict_breach
from scalectl.core.errors import InputError
from scalectl.core.model import AlarmState, Comparison

A, OK, INS = AlarmState.ALARM, AlarmState.OK, AlarmState.INSUFFICIENT_DATA


@pytest.mark.parametrize(
    ("rule", "states", "expected"),
    [
        ('ALARM("cpu") AND ALARM("latency")', {"cpu": A, "latency": A}, A),
        ('ALARM("cpu") AND ALARM("latency")', {"cpu": A, "latency": OK}, OK),
        ('ALARM("cpu") OR ALARM("latency")', {"cpu": OK, "latency": A}, A),
        ('NOT OK("cpu")', {"cpu": A}, A),
        ('NOT OK("cpu")', {"cpu": OK}, OK),
        # NOT binds tighter than AND, AND tighter than OR.
        ("ALARM(a) OR ALARM(b) AND ALARM(c)", {"a": A, "b": OK, "c": OK}, A),
        ("(ALARM(a) OR ALARM(b)) AND ALARM(c)", {"a": A, "b": OK, "c": OK}, OK),
        ("NOT ALARM(a) AND ALARM(b)", {"a": OK, "b": A}, A),
        ('INSUFFICIENT_DATA("x")', {"x": INS}, A),
        ("TRUE AND NOT FALSE", {}, A),
        # An unknown part decides nothing unless the others already decide.
        ('ALARM("gone") AND ALARM("cpu")', {"cpu": OK}, OK),
        ('ALARM("gone") OR ALARM("cpu")', {"cpu": OK}, INS),
        ('ALARM("gone") OR ALARM("cpu")', {"cpu": A}, A),
    ],
)
def test_composite(rule: str, states: dict[str, AlarmState], expected: AlarmState) -> None:
    assert evaluate_composite(rule, states) is expected


def test_parts_in_order() -> None:
    node = parse_rule('ALARM("b") AND (OK("a") OR NOT ALARM("b"))')
    assert parts(node) == ("b", "a")


@pytest.mark.parametrize(
    "rule",
    ["", "ALARM(", 'ALARM("a") AND', "(ALARM(a)", "ALARM(a) ALARM(b)", "MAYBE(a)", "AND ALARM(a)"],
)
def test_bad_rules_are_input_errors(rule: str) -> None:
    with pytest.raises(InputError):
        evaluate_composite(rule, {})


NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def minutes(values: list[float | None]) -> list[tuple[datetime, float | None]]:
    start = NOW - timedelta(minutes=len(values) - 1)
    return [(start + timedelta(minutes=i), v) for i, v in enumerate(values)]


def test_trend_predicts_the_crossing_time() -> None:
    # cpu rises 1 point a minute and stands at 55 now: 80 is crossed in 26 minutes (81 > 80).
    points = minutes([55.0 - 29 + i for i in range(30)])
    p = predict_breach(
        points, NOW, comparison=Comparison.GT, threshold=80, horizon=timedelta(minutes=60)
    )
    assert p.state is AlarmState.ALARM and p.method == "trend"
    assert p.expected_at == NOW + timedelta(minutes=26)
    assert (
        p.describe("cpu", Comparison.GT, 80, NOW)
        == "cpu will exceed 80 in ~26 min (trend forecast)"
    )


def test_flat_metric_stays_ok_and_short_horizon_misses() -> None:
    flat = minutes([40.0] * 30)
    assert (
        predict_breach(
            flat, NOW, comparison=Comparison.GT, threshold=80, horizon=timedelta(hours=2)
        ).state
        is AlarmState.OK
    )
    rising = minutes([55.0 - 29 + i for i in range(30)])
    assert (
        predict_breach(
            rising, NOW, comparison=Comparison.GT, threshold=80, horizon=timedelta(minutes=20)
        ).state
        is AlarmState.OK
    )


def test_seasonal_forecast_sees_the_daily_peak_coming() -> None:
    # Two days of a daily wave peaking at 13:00: at noon, with cpu at ~70, the forecast sees the
    # peak (~90) within the hour even though the last 30 minutes are nearly flat.
    start = NOW - timedelta(days=2)
    points = []
    at = start
    while at <= NOW:
        hour = at.hour + at.minute / 60
        points.append((at, 60 + 30 * math.cos((hour - 13) / 24 * 2 * math.pi) ** 8))
        at += timedelta(minutes=1)
    p = predict_breach(
        points, NOW, comparison=Comparison.GT, threshold=85, horizon=timedelta(hours=1)
    )
    assert p.method == "seasonal" and p.state is AlarmState.ALARM
    assert p.expected_at is not None and NOW < p.expected_at <= NOW + timedelta(hours=1)


def test_too_little_data_is_insufficient() -> None:
    assert (
        predict_breach(
            minutes([None, 1.0, None]),
            NOW,
            comparison=Comparison.GT,
            threshold=1,
            horizon=timedelta(minutes=5),
        ).state
        is INS
    )
