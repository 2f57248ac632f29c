from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from scalectl.core.forecast import forecast_hourly, mape

NOW = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)  # a Monday, midnight


def daily_wave(at: datetime) -> float:
    return 100.0 + 50.0 * math.sin(2 * math.pi * at.hour / 24)


def weekly_wave(at: datetime) -> float:
    weekend = 0.5 if at.weekday() >= 5 else 1.0
    return daily_wave(at) * weekend


def series(
    days: float, shape: object, *, scale: float = 1.0
) -> list[tuple[datetime, float | None]]:
    assert callable(shape)
    minutes = int(days * 24 * 60)
    start = NOW - timedelta(minutes=minutes)
    return [
        (start + timedelta(minutes=i), scale * shape(start + timedelta(minutes=i)))
        for i in range(minutes)
    ]


def test_needs_24_hours_of_history() -> None:
    assert forecast_hourly(series(0.9, daily_wave), NOW) is None
    assert forecast_hourly([], NOW) is None
    assert forecast_hourly([(NOW - timedelta(days=2), None)], NOW) is None
    assert forecast_hourly(series(1.01, daily_wave), NOW) is not None


def test_daily_pattern_is_repeated_for_48_hours() -> None:
    result = forecast_hourly(series(3, daily_wave), NOW)
    assert result is not None and len(result) == 48
    actual = [daily_wave(NOW + timedelta(hours=i, minutes=30)) for i in range(48)]
    assert mape(actual, result) < 3.0


def test_weekly_pattern_with_two_weeks_beats_a_daily_only_view() -> None:
    # Forecast over a weekend, from a Friday midnight.
    friday = NOW - timedelta(days=3)
    history = [(at, v) for at, v in series(17, weekly_wave) if at < friday]
    two_weeks = forecast_hourly(history, friday)
    one_day_only = forecast_hourly(
        [(at, v) for at, v in history if at > friday - timedelta(days=2)], friday
    )
    assert two_weeks is not None and one_day_only is not None
    actual = [weekly_wave(friday + timedelta(hours=i, minutes=30)) for i in range(48)]
    assert mape(actual, two_weeks) < mape(actual, one_day_only)
    assert mape(actual, two_weeks) < 20.0


def test_level_follows_recent_growth() -> None:
    history = series(7, daily_wave)
    grown = [
        (at, v * 1.5 if v is not None and at > NOW - timedelta(days=1) else v) for at, v in history
    ]
    base = forecast_hourly(history, NOW, hours=24)
    boosted = forecast_hourly(grown, NOW, hours=24)
    assert base is not None and boosted is not None
    assert sum(boosted) > 1.2 * sum(base)


def test_uses_at_most_14_days() -> None:
    recent = series(14, daily_wave)
    ancient = [(NOW - timedelta(days=30, minutes=i), 10_000.0) for i in range(2000)]
    assert forecast_hourly(ancient + recent, NOW) == forecast_hourly(recent, NOW)


def test_missing_points_are_skipped() -> None:
    history = [(at, None if i % 3 == 0 else v) for i, (at, v) in enumerate(series(2, daily_wave))]
    result = forecast_hourly(history, NOW, hours=6)
    assert result is not None and len(result) == 6 and all(v > 0 for v in result)


def test_mape() -> None:
    assert mape([100.0, 200.0], [110.0, 180.0]) == pytest.approx(10.0)
    assert mape([0.0, 50.0], [5.0, 50.0]) == 0.0  # zero actuals are skipped
    with pytest.raises(ValueError, match="no non-zero"):
        mape([0.0], [1.0])
    with pytest.raises(ValueError, match="2 actual values but 1"):
        mape([1.0, 2.0], [1.0])
