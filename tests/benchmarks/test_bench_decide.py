"""How long one autoscaler pass takes: 10,000 groups x 3 rules. Records figures, asserts no time.

The baseline in the same run is the alarm evaluation alone (what every rule must do anyway), so
the figure shows what the decision logic adds on top of it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from scalectl.core.alarms import AlarmSpec, evaluate
from scalectl.core.decide import Decision, GroupSnapshot, decide
from scalectl.core.model import AlarmState, Comparison
from scalectl.core.provider import AnyRule
from scalectl.core.rules import SimpleRule, Step, StepRule, TargetTrackingRule

GROUPS = 10_000
NOW = datetime(2026, 3, 16, 9, 0, 30, tzinfo=UTC)


def _world(seed: int) -> list[tuple[GroupSnapshot, list[AnyRule], dict[str, list[float | None]]]]:
    rng = random.Random(seed)
    world = []
    for i in range(GROUPS):
        name = f"g{i}"
        desired = rng.randint(2, 30)
        group = GroupSnapshot(name=name, min=1, max=40, desired=desired, in_service=desired)
        rules: list[AnyRule] = [
            TargetTrackingRule(name="tt", group=name, target=50.0),
            StepRule(
                name="step",
                group=name,
                comparison=Comparison.GT,
                threshold=80.0,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                steps=[Step(lower=0, upper=10, adjustment=1), Step(lower=10, adjustment=3)],
            ),
            SimpleRule(
                name="simple", group=name, comparison=Comparison.LT, threshold=10.0, adjustment=-1
            ),
        ]
        level = rng.uniform(5.0, 95.0)
        cpu: list[float | None] = [
            None if rng.random() < 0.02 else max(0.0, level + rng.gauss(0, 5)) for _ in range(20)
        ]
        world.append((group, rules, {"cpu": cpu}))
    return world


@pytest.mark.benchmark
def test_bench_decide_10k_groups_3_rules(bench: Callable[..., None]) -> None:
    world = _world(seed=7)

    spec = AlarmSpec(Comparison.GT, 50.0, 3)
    start = time.perf_counter()
    for _group, _rules, history in world:
        for _ in range(4):  # TT high + low, step, simple
            evaluate(spec, history["cpu"], AlarmState.OK)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    decisions: list[Decision] = [decide(g, rules, history, NOW) for g, rules, history in world]
    elapsed = time.perf_counter() - start

    changed = sum(d.changed for d in decisions)
    assert len(decisions) == GROUPS  # a correctness check, not a timing
    bench(
        f"decide: {GROUPS} groups x 3 rules ({changed} changed)",
        f"{elapsed:.3f} s",
        "",
        f"alarm evaluation alone {baseline:.3f} s (x{elapsed / baseline:.1f}); "
        f"{elapsed / GROUPS * 1e6:.1f} us/group",
    )
