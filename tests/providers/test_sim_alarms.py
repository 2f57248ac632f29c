"""Composite and predictive alarms in the shop world, end to end through the CLI (paused sim)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from scalectl_sim.provider import SimReader

from scalectl.core.alarm_rules import evaluate_composite
from scalectl.core.model import AlarmState
from tests.cli.helpers import run

pytestmark = pytest.mark.usefixtures("paused_sim")

Capsys = pytest.CaptureFixture[str]
DEGRADED = "checkout-degraded"
PARTS = ("checkout-latency-high", "checkout-5xx-rate", "checkout-cpu-high")


def _alarms(capsys: Capsys) -> dict[str, dict[str, Any]]:
    result = run(capsys, "alarms", "list", "-o", "json")
    assert result.code == 0, result.err
    return {a["name"]: a for a in result.json()}


def _clock(capsys: Capsys) -> datetime:
    return datetime.fromisoformat(run(capsys, "sim", "status", "-o", "json").json()["clock"])


def _advance(capsys: Capsys, span: str = "1m") -> None:
    assert run(capsys, "sim", "advance", span).code == 0


def _sale(capsys: Capsys, group: str, multiplier: str, duration: str, ramp: str) -> None:
    args = ("--multiplier", multiplier, "--duration", duration, "--ramp", ramp, "--group", group)
    assert run(capsys, "sim", "flash-sale", *args).code == 0


def test_sim_declares_composite_alarms(capsys: Capsys) -> None:
    reader = SimReader(SimpleNamespace(name="sim", speed=0))
    try:
        assert reader.capabilities().composite_alarms
    finally:
        reader.close()
    alarms = _alarms(capsys)
    degraded = alarms[DEGRADED]
    assert degraded["kind"] == "composite"
    assert degraded["parts"] == list(PARTS)
    assert degraded["rule"].startswith('ALARM("checkout-latency-high") AND')
    forecast = alarms["search-cpu-forecast"]
    assert (forecast["kind"], forecast["horizon_s"], forecast["metric"]) == (
        "predictive",
        1800,
        "cpu",
    )


def test_composite_follows_its_parts_through_a_flash_sale(capsys: Capsys) -> None:
    _sale(capsys, "checkout", "6", "30m", "2m")
    seen: list[str] = []
    first_alarm: datetime | None = None
    for _ in range(45):
        _advance(capsys)
        alarms = _alarms(capsys)
        parts = {name: AlarmState(alarms[name]["state"]) for name in PARTS}
        state = alarms[DEGRADED]["state"]
        # The composite is exactly its rule over the parts' states of the same minute.
        assert state == evaluate_composite(alarms[DEGRADED]["rule"], parts).value, (parts, state)
        if state == "alarm" and first_alarm is None:
            first_alarm = datetime.fromisoformat(alarms[DEGRADED]["since"])
        seen.append(state)
    assert seen[0] == "ok" and first_alarm is not None, seen
    # Long after the sale every part is back to OK, and so is the composite, since a later minute.
    _advance(capsys, "90m")
    alarms = _alarms(capsys)
    assert {alarms[name]["state"] for name in PARTS} == {"ok"}
    assert alarms[DEGRADED]["state"] == "ok"
    assert datetime.fromisoformat(alarms[DEGRADED]["since"]) > first_alarm


def test_predictive_alarm_fires_before_the_metric_alarm(capsys: Capsys) -> None:
    _sale(capsys, "search", "4", "40m", "15m")
    fired: tuple[datetime, datetime] | None = None
    metric_fired: datetime | None = None
    for _ in range(20):
        _advance(capsys)
        now = _clock(capsys)
        alarms = _alarms(capsys)
        forecast, metric = alarms["search-cpu-forecast"], alarms["search-cpu-high"]
        if fired is None and forecast["state"] == "alarm":
            fired = (now, datetime.fromisoformat(forecast["expected_at"]))
            assert metric["state"] != "alarm", "the forecast should warn first"
        if metric["state"] == "alarm":
            metric_fired = now
            break
    assert fired is not None and metric_fired is not None, (fired, metric_fired)
    at, expected = fired
    assert at < metric_fired
    assert at < expected <= at + timedelta(seconds=1800)  # in the future, within the horizon
