"""Backtest and forecast speed. Prints figures (bench fixture), asserts no time.

The load follows the sim's shop wave (daily and weekly, scalectl_sim.traffic.wave) with 6 % noise
per minute, 30 days of minutes per group, through a target tracking rule and a simple scale-out
rule. The baseline in the same run is the exhaustive replay (decide() every minute) of one group.
The 100 groups run through backtest_many (one process per core, start-up included), after the
same 100 backtest() calls in this process, whose results they must equal.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from scalectl_sim.traffic import wave

from scalectl.core.backtest import (
    BacktestJob,
    CapacityModel,
    GroupRules,
    Load,
    backtest,
    backtest_many,
    usable_cores,
)
from scalectl.core.forecast import forecast_hourly
from scalectl.core.model import Comparison
from scalectl.core.rules import AdjustmentType, SimpleRule, TargetTrackingRule

DAYS = 30
MINUTES = DAYS * 1440
START = datetime(2026, 3, 2, tzinfo=UTC)
MODEL = CapacityModel(capacity=1000.0, boot_s=120, warmup_s=180)


def _load(seed: int) -> Load:
    rng = random.Random(seed)
    base = rng.uniform(2_000.0, 40_000.0)
    values = [base * wave(m) * max(0.5, 1 + rng.gauss(0, 0.06)) for m in range(MINUTES)]
    return Load(START, values, MODEL.capacity, True)


def _rules(name: str) -> GroupRules:
    return GroupRules(
        name,
        (
            TargetTrackingRule(name="cpu-55", group=name, target=55.0),
            SimpleRule(
                name="panic",
                group=name,
                comparison=Comparison.GT,
                threshold=90.0,
                evaluation_periods=2,
                adjustment=50,
                adjustment_type=AdjustmentType.PERCENT,
                cooldown_s=300,
            ),
        ),
        2,
        200,
        None,
    )


@pytest.mark.benchmark
def test_bench_backtest_30_days(bench: Callable[..., None]) -> None:
    one = _load(0)
    rules = _rules("g0")
    start = time.perf_counter()
    exhaustive = backtest(rules, one, MODEL, exhaustive=True)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    result = backtest(rules, one, MODEL)
    single = time.perf_counter() - start
    assert result.timeline == exhaustive.timeline  # the fast path changes nothing
    bench(
        "backtest 30 d x 1 group (s)",
        f"{single:.3f}",
        "well under 1 s",
        f"decide() every minute: {baseline:.3f} s",
    )
    bench(
        "  decide() calls / scale events",
        f"{result.decide_calls} / {result.scale_outs + result.scale_ins}",
        "",
        f"{exhaustive.decide_calls} calls",
    )

    loads = [_load(seed) for seed in range(100)]
    start = time.perf_counter()
    sequential = [backtest(_rules(f"g{i}"), load, MODEL) for i, load in enumerate(loads)]
    one_process = time.perf_counter() - start
    start = time.perf_counter()  # the worker processes' start-up is part of the figure
    jobs = [BacktestJob(_rules(f"g{i}"), load, MODEL) for i, load in enumerate(loads)]
    results = backtest_many(jobs)
    many = time.perf_counter() - start
    assert [(r.event_rows, r.timeline_rows, r.summary()) for r in results] == [
        (r.event_rows, r.timeline_rows, r.summary()) for r in sequential
    ]
    calls = sum(r.decide_calls for r in results)
    events = sum(r.scale_outs + r.scale_ins for r in results)
    bench(
        "backtest 30 d x 100 groups, one process (s)",
        f"{one_process:.3f}",
        "< 2 s",
        f"{calls} decide() calls, {events} scale events",
    )
    bench(
        f"backtest 30 d x 100 groups, backtest_many on {usable_cores()} cores (s)",
        f"{many:.3f}",
        "< 2 s",
        "worker start-up included; the same results as one process",
    )


@pytest.mark.benchmark
def test_bench_forecast_fit(bench: Callable[..., None]) -> None:
    now = START + timedelta(days=14)
    rng = random.Random(1)
    minutes = [
        (START + timedelta(minutes=m), 500.0 * wave(m) * (1 + rng.gauss(0, 0.06)))
        for m in range(14 * 1440)
    ]
    hourly = [
        (START + timedelta(hours=h), sum(v for _, v in minutes[h * 60 : h * 60 + 60]) / 60)
        for h in range(14 * 24)
    ]
    start = time.perf_counter()
    for _ in range(10):
        forecast = forecast_hourly(minutes, now)
    per_minute = (time.perf_counter() - start) / 10
    start = time.perf_counter()
    for _ in range(100):
        forecast_hourly(hourly, now)
    per_hour = (time.perf_counter() - start) / 100
    assert forecast is not None and len(forecast) == 48
    bench(
        "forecast fit, 14 d of minutes (ms)",
        f"{per_minute * 1000:.1f}",
        "",
        f"14 d of hourly means: {per_hour * 1000:.2f} ms",
    )
