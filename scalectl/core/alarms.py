"""Alarm evaluation: CloudWatch's M-of-N with TreatMissingData, or N consecutive periods.

CloudWatch (``AlarmThatSendsEmail.md``, "How alarm state is evaluated when data is missing"):

- it fetches an *evaluation range* wider than N (5 points for N = 3);
- with >= N real points in the range it evaluates the most recent N real points and ignores
  TreatMissingData;
- otherwise it fills missing points per TreatMissingData "as few times as possible";
- under ``missing`` an alarm goes to ALARM early when the oldest breaching point is at least
  M periods old and no real point is non-breaching (the premature-alarm rule), and to
  INSUFFICIENT_DATA when nothing decides it; ``ignore`` keeps the previous state in those cases.
  The guide's tables for N = 3 with M = 3 and M = 2 are reproduced in tests/unit/test_alarms.py.

Alibaba, Tencent and Huawei count N *consecutive* breaching periods instead (``consecutive=True``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scalectl.core.model import AlarmState, Comparison, MissingData

# How many extra periods CloudWatch looks back beyond N (its tables show 5 points for N = 3).
EXTRA_RANGE = 2

# Comparison.breaches as plain operators: alarms are evaluated for every rule every minute.
_BREACHES: dict[Comparison, Callable[[float, float], bool]] = {
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
}


@dataclass(frozen=True)
class AlarmSpec:
    comparison: Comparison
    threshold: float
    evaluation_periods: int  # N
    datapoints_to_alarm: int | None = None  # M; None means N
    missing_data: MissingData = MissingData.MISSING
    consecutive: bool = False

    def __post_init__(self) -> None:
        if self.evaluation_periods < 1:
            raise ValueError(f"evaluation_periods must be >= 1, got {self.evaluation_periods}")
        if not 1 <= self.m <= self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm must be in 1..{self.evaluation_periods}, "
                f"got {self.datapoints_to_alarm}"
            )

    @property
    def m(self) -> int:
        return (
            self.evaluation_periods
            if self.datapoints_to_alarm is None
            else self.datapoints_to_alarm
        )

    @property
    def evaluation_range(self) -> int:
        return self.evaluation_periods + EXTRA_RANGE


@dataclass(frozen=True)
class AlarmResult:
    """The new state and what decided it (for human-readable causes)."""

    state: AlarmState
    breaching: int  # breaching points among those evaluated (fills included)
    evaluated: int  # points evaluated (N, or fewer real points under missing/ignore)
    values: tuple[float, ...]  # the real values evaluated, oldest first


def evaluate(
    spec: AlarmSpec, datapoints: Sequence[float | None], previous: AlarmState
) -> AlarmState:
    """The alarm's state after one evaluation over ``datapoints`` (oldest first, newest last)."""
    return evaluate_detail(spec, datapoints, previous).state


def evaluate_detail(
    spec: AlarmSpec, datapoints: Sequence[float | None], previous: AlarmState
) -> AlarmResult:
    if spec.consecutive:
        return _evaluate_consecutive(spec, datapoints, previous)
    n, m = spec.evaluation_periods, spec.m
    breaches, threshold = _BREACHES[spec.comparison], spec.threshold
    window = _window(datapoints, spec.evaluation_range)
    real = [v for v in window if v is not None]

    if len(real) >= n:
        recent = real[-n:]
        breaching = sum(1 for v in recent if breaches(v, threshold))
        state = AlarmState.ALARM if breaching >= m else AlarmState.OK
        return AlarmResult(state, breaching, n, tuple(recent))

    real_breaching = sum(1 for v in real if breaches(v, threshold))
    fills = n - len(real)  # missing points used "as few times as possible"
    values = tuple(real)

    if spec.missing_data is MissingData.BREACHING:
        breaching = real_breaching + fills
        state = AlarmState.ALARM if breaching >= m else AlarmState.OK
        return AlarmResult(state, breaching, n, values)
    if spec.missing_data is MissingData.NOT_BREACHING:
        state = AlarmState.ALARM if real_breaching >= m else AlarmState.OK
        return AlarmResult(state, real_breaching, n, values)

    # missing / ignore: only the real points count.
    if real_breaching >= m:
        return AlarmResult(AlarmState.ALARM, real_breaching, len(real), values)
    if spec.missing_data is MissingData.MISSING and _premature_alarm(spec, window):
        return AlarmResult(AlarmState.ALARM, real_breaching, len(real), values)
    if len(real) > real_breaching:  # a real non-breaching point: the alarm cannot be in ALARM
        return AlarmResult(AlarmState.OK, real_breaching, len(real), values)
    if spec.missing_data is MissingData.IGNORE:
        return AlarmResult(previous, real_breaching, len(real), values)
    return AlarmResult(AlarmState.INSUFFICIENT_DATA, real_breaching, len(real), values)


def _window(datapoints: Sequence[float | None], size: int) -> list[float | None]:
    """The last ``size`` points, padded at the old end with missing points when history is short."""
    tail = list(datapoints[-size:])
    if len(tail) == size:
        return tail
    return [None] * (size - len(tail)) + tail


def _premature_alarm(spec: AlarmSpec, window: Sequence[float | None]) -> bool:
    """CloudWatch's premature alarm under ``missing``: the oldest breaching point is at least
    M periods old and no real point in the range is non-breaching (its tables: ``X - - - -``
    and ``- - X - -`` alarm for 3 of 3, ``0 - X - -`` stays OK for 2 of 3)."""
    oldest_breach_age: int | None = None
    breaches = _BREACHES[spec.comparison]
    for age, value in enumerate(reversed(window), start=1):  # age 1 = newest
        if value is None:
            continue
        if not breaches(value, spec.threshold):
            return False
        oldest_breach_age = age
    return oldest_breach_age is not None and oldest_breach_age >= spec.m


def _evaluate_consecutive(
    spec: AlarmSpec, datapoints: Sequence[float | None], previous: AlarmState
) -> AlarmResult:
    """ALARM when the last N periods all breach; missing points are filled only under
    breaching/not_breaching (the Chinese clouds have no TreatMissingData: they act as missing)."""
    n = spec.evaluation_periods
    window = _window(datapoints, n)
    real = [v for v in window if v is not None]
    fill_breaching = spec.missing_data is MissingData.BREACHING
    if not real and spec.missing_data in (MissingData.MISSING, MissingData.IGNORE):
        state = (
            previous if spec.missing_data is MissingData.IGNORE else AlarmState.INSUFFICIENT_DATA
        )
        return AlarmResult(state, 0, 0, ())
    breaches = _BREACHES[spec.comparison]
    breaching = sum((fill_breaching if v is None else breaches(v, spec.threshold)) for v in window)
    state = AlarmState.ALARM if breaching == n else AlarmState.OK
    return AlarmResult(state, breaching, n, tuple(real))
