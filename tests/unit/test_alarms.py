"""Alarm evaluation against the CloudWatch user guide's tables (AlarmThatSendsEmail.md,
"How alarm state is evaluated when data is missing"), and the consecutive mode."""

from __future__ import annotations

import pytest

from scalectl.core.alarms import AlarmSpec, evaluate, evaluate_detail
from scalectl.core.model import AlarmState, Comparison, MissingData

OK, ALARM, INSUF = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA
RETAIN = "retain"
COLUMNS = (
    MissingData.MISSING,
    MissingData.IGNORE,
    MissingData.BREACHING,
    MissingData.NOT_BREACHING,
)


def points(text: str) -> list[float | None]:
    """'0 - X' -> non-breaching, missing, breaching (threshold 50, '>')."""
    return [{"0": 10.0, "X": 90.0, "-": None}[c] for c in text.split()]


# Data points | MISSING | IGNORE | BREACHING | NOT BREACHING (M = N = 3)
TABLE_3_OF_3 = [
    ("0 - X - X", OK, OK, OK, OK),
    ("0 - - - -", OK, OK, OK, OK),
    ("- - - - -", INSUF, RETAIN, ALARM, OK),
    ("0 X X - X", ALARM, ALARM, ALARM, ALARM),
    ("- - - - X", INSUF, RETAIN, ALARM, OK),
    ("X - - - -", ALARM, RETAIN, ALARM, OK),
]
# The same with Datapoints to Alarm = 2 (2 out of 3).
TABLE_2_OF_3 = [
    ("0 - X - X", ALARM, ALARM, ALARM, ALARM),
    ("0 0 X 0 X", ALARM, ALARM, ALARM, ALARM),
    ("0 - X - -", OK, OK, ALARM, OK),
    ("- - - - 0", OK, OK, ALARM, OK),
    ("- - - - X", INSUF, RETAIN, ALARM, OK),
]


def _cases(table: list[tuple[str, object, object, object, object]], m: int) -> list[object]:
    cases = []
    for row in table:
        for column, expected in zip(COLUMNS, row[1:], strict=True):
            for previous in (OK, ALARM):
                cases.append(
                    pytest.param(
                        row[0],
                        m,
                        column,
                        previous,
                        previous if expected == RETAIN else expected,
                        id=f"{m}of3[{row[0]}]-{column.value}-prev_{previous.value}",
                    )
                )
    return cases


@pytest.mark.parametrize(
    ("data", "m", "missing", "previous", "expected"),
    _cases(TABLE_3_OF_3, 3) + _cases(TABLE_2_OF_3, 2),
)
def test_cloudwatch_tables(
    data: str, m: int, missing: MissingData, previous: AlarmState, expected: AlarmState
) -> None:
    spec = AlarmSpec(
        Comparison.GT, 50.0, evaluation_periods=3, datapoints_to_alarm=m, missing_data=missing
    )
    assert evaluate(spec, points(data), previous) is expected


def test_premature_alarm_needs_the_breach_to_be_m_periods_old() -> None:
    spec = AlarmSpec(Comparison.GT, 50.0, evaluation_periods=3)
    assert evaluate(spec, points("- - X - -"), OK) is ALARM
    assert evaluate(spec, points("- - - X -"), OK) is INSUF


def test_only_the_most_recent_n_real_points_count() -> None:
    spec = AlarmSpec(Comparison.GT, 50.0, evaluation_periods=3)
    # Older breaches beyond the newest three real points are irrelevant.
    assert evaluate(spec, points("X X X X 0 0 0"), ALARM) is OK
    detail = evaluate_detail(spec, points("0 X - X X"), OK)
    assert (detail.state, detail.breaching, detail.evaluated) == (ALARM, 3, 3)
    assert detail.values == (90.0, 90.0, 90.0)


def test_short_history_is_padded_with_missing() -> None:
    spec = AlarmSpec(Comparison.GT, 50.0, evaluation_periods=3)
    assert evaluate(spec, [], OK) is INSUF
    assert evaluate(spec, [90.0, 90.0, 90.0], INSUF) is ALARM


def test_comparisons_are_inclusive_or_not_as_named() -> None:
    ge = AlarmSpec(Comparison.GE, 50.0, evaluation_periods=1)
    gt = AlarmSpec(Comparison.GT, 50.0, evaluation_periods=1)
    lt = AlarmSpec(Comparison.LT, 45.0, evaluation_periods=1)
    assert evaluate(ge, [50.0], OK) is ALARM
    assert evaluate(gt, [50.0], OK) is OK
    assert evaluate(lt, [44.9], OK) is ALARM


@pytest.mark.parametrize(
    ("data", "missing", "previous", "expected"),
    [
        ("X X X", MissingData.MISSING, OK, ALARM),
        ("0 X X X", MissingData.MISSING, OK, ALARM),
        ("X X 0", MissingData.MISSING, ALARM, OK),
        ("X - X", MissingData.MISSING, OK, OK),  # a gap breaks the consecutive run
        ("X - X", MissingData.BREACHING, OK, ALARM),
        ("- - -", MissingData.MISSING, ALARM, INSUF),
        ("- - -", MissingData.IGNORE, ALARM, ALARM),
        ("- - -", MissingData.NOT_BREACHING, ALARM, OK),
    ],
)
def test_consecutive_mode(
    data: str, missing: MissingData, previous: AlarmState, expected: AlarmState
) -> None:
    spec = AlarmSpec(
        Comparison.GT, 50.0, evaluation_periods=3, missing_data=missing, consecutive=True
    )
    assert evaluate(spec, points(data), previous) is expected


def test_consecutive_ignores_m_of_n() -> None:
    # 2-of-3 would alarm on "X 0 X"; the Chinese clouds' count of consecutive periods does not.
    spec = AlarmSpec(
        Comparison.GT, 50.0, evaluation_periods=3, datapoints_to_alarm=2, consecutive=True
    )
    assert evaluate(spec, points("X 0 X"), OK) is OK


@pytest.mark.parametrize(("n", "m"), [(0, None), (3, 4), (3, 0)])
def test_invalid_specs_are_refused(n: int, m: int | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        AlarmSpec(Comparison.GT, 1.0, evaluation_periods=n, datapoints_to_alarm=m)
