"""A small seasonal load forecaster for predictive rules (pure Python).

Like AWS predictive scaling it needs at least 24 h of history, uses at most the last 14 days and
produces one value per hour for the next 48 h. The model is deliberately plain: the average of the
same hour of the day (and, with a week or more of history, of the same hour of the week), scaled by
how the last 24 h compare with that profile (the level).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

MIN_HISTORY = timedelta(hours=24)
MAX_HISTORY = timedelta(days=14)
# The level follows recent load, but a quiet or busy day must not rescale the profile wildly.
LEVEL_LIMITS = (0.5, 2.0)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _hourly_means(
    points: Sequence[tuple[datetime, float | None]], start: datetime, now: datetime
) -> dict[datetime, float]:
    sums: dict[datetime, float] = defaultdict(float)
    counts: dict[datetime, int] = defaultdict(int)
    for at, value in points:
        if value is None or not start <= at <= now:
            continue
        key = _hour(at)
        sums[key] += value
        counts[key] += 1
    return {key: sums[key] / counts[key] for key in sums}


def _profile(hourly: dict[datetime, float], key: str) -> dict[int, float]:
    """Mean per hour of day (``key="day"``) or per hour of week (``key="week"``)."""
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for at, value in hourly.items():
        slot = at.hour if key == "day" else at.weekday() * 24 + at.hour
        sums[slot] += value
        counts[slot] += 1
    return {slot: sums[slot] / counts[slot] for slot in sums}


def forecast_hourly(
    points: Sequence[tuple[datetime, float | None]], now: datetime, hours: int = 48
) -> list[float] | None:
    """Hourly forecasts starting at the hour holding ``now``; None with under 24 h of history.

    ``points`` are per-minute (or any period) samples, oldest first; None marks a missing one.
    """
    start = now - MAX_HISTORY
    real = [at for at, value in points if value is not None and start <= at <= now]
    if not real or now - min(real) < MIN_HISTORY:
        return None
    hourly = _hourly_means(points, start, now)
    span = now - min(real)
    daily = _profile(hourly, "day")
    weekly = _profile(hourly, "week") if span >= timedelta(days=7) else {}
    # Two weeks give every hour of the week two samples: trust the weekly shape more then.
    weekly_weight = 0.75 if span >= MAX_HISTORY - timedelta(hours=1) else 0.5

    def seasonal(at: datetime) -> float:
        day = daily.get(at.hour)
        week = weekly.get(at.weekday() * 24 + at.hour)
        if day is None:
            day = sum(daily.values()) / len(daily)
        if week is None:
            return day
        return weekly_weight * week + (1 - weekly_weight) * day

    recent = [(at, v) for at, v in hourly.items() if at > now - MIN_HISTORY]
    expected = sum(seasonal(at) for at, _ in recent)
    actual = sum(v for _, v in recent)
    level = actual / expected if expected > 0 else 1.0
    level = min(max(level, LEVEL_LIMITS[0]), LEVEL_LIMITS[1])

    first = _hour(now)
    return [max(0.0, seasonal(first + timedelta(hours=i)) * level) for i in range(hours)]


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute percentage error (in %) over the pairs whose actual value is not zero."""
    if len(actual) != len(predicted):
        raise ValueError(f"mape: {len(actual)} actual values but {len(predicted)} predicted")
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        raise ValueError("mape: no non-zero actual value to compare against")
    return 100.0 * sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)
