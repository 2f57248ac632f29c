"""The alarms panel's rows for each alarm kind (pure rendering of model objects)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scalectl.core.model import Alarm, AlarmState, Comparison
from scalectl.tui import fmt
from scalectl.tui.app import alarm_rows

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _alarm(name: str, state: AlarmState, **extra: object) -> Alarm:
    values: dict[str, object] = {
        "id": name,
        "name": name,
        "provider": "sim",
        "state": state,
        "metric": "cpu",
        "comparison": Comparison.GT,
        "threshold": 80.0,
        "group": "web",
        "since": NOW - timedelta(minutes=5),
    }
    values.update(extra)
    return Alarm(**values)  # type: ignore[arg-type]


def test_composite_shows_its_rule_with_each_part_in_its_state_colour() -> None:
    fmt.set_palette({"error": "#ff0000", "success": "#00ff00"})
    alarms = [
        _alarm("web-cpu-high", AlarmState.ALARM, value=91.0),
        _alarm("web-5xx", AlarmState.OK, value=0.2),
        _alarm(
            "web-overload",
            AlarmState.ALARM,
            kind="composite",
            rule='ALARM("web-cpu-high") AND NOT OK("web-5xx")',
            parts=("web-cpu-high", "web-5xx"),
        ),
    ]
    rows = dict(alarm_rows(alarms, "web", NOW))
    value = rows["web-overload"][2]
    assert value.plain == "ALARM(web-cpu-high) AND NOT OK(web-5xx)"
    colours = {value.plain[s.start : s.end]: str(s.style) for s in value.spans}
    assert "#ff0000" in colours["web-cpu-high"] and "#00ff00" in colours["web-5xx"]
    assert rows["web-cpu-high"][2].plain == "91.0 > 80"


def test_predictive_shows_the_expected_time_of_the_breach() -> None:
    soon = _alarm(
        "web-cpu-forecast",
        AlarmState.ALARM,
        kind="predictive",
        horizon_s=3600,
        expected_at=NOW + timedelta(minutes=25),
    )
    calm = _alarm("web-cpu-forecast-calm", AlarmState.OK, kind="predictive", horizon_s=1800)
    rows = dict(alarm_rows([soon, calm], None, NOW))
    assert rows["web-cpu-forecast"][2].plain == "cpu > 80 in ~25 min"
    assert rows["web-cpu-forecast-calm"][2].plain == "cpu > 80: not within 30 min"


def test_long_names_are_elided_and_times_are_short() -> None:
    long = "TargetTracking-web-AlarmHigh-6f1c1b1e-8c7d-4a52-9d0e-3b9a8c1d2e3f"
    rows = dict(alarm_rows([_alarm(long, AlarmState.OK)], None, NOW))
    name = rows[long][1].plain
    assert name.endswith("…") and len(name) == 24 and long.startswith(name[:-1])
    assert rows[long][4].plain == "11:55"
    assert fmt.when(NOW - timedelta(days=2), NOW) == "11-24"
