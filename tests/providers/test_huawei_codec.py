"""Portable rules <-> Huawei AS v1 policies and CES alarms (pure; no SDK, no server).

Facts: autoscaling-semantics.md §5 (RECURRENCE Weekly values 1-7 with 1 = Sunday; CES count 1-5
consecutive periods; condition periods 1 (raw), 300, 1200, 3600, 14400, 86400; scheduled times
YYYY-MM-DDThh:mmZ in UTC) and §6 (no target tracking, step only in the V2 API, no predictive).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scalectl_huawei import codec
from scalectl_huawei.capabilities import CAPABILITIES

from scalectl.core.model import Comparison, MissingData, Statistic
from scalectl.core.rules import AdjustmentType, ScheduledRule, SimpleRule


def simple(**extra: object) -> SimpleRule:
    values: dict[str, object] = {
        "name": "cpu-high",
        "group": "web",
        "comparison": Comparison.GT,
        "threshold": 70,
        "evaluation_periods": 3,
        "adjustment": 2,
    }
    values.update(extra)
    return SimpleRule.model_validate(values)


@pytest.mark.parametrize(
    ("cron", "kind", "launch", "value"),
    [
        ("0 2 * * *", "Daily", "02:00", None),
        ("30 1 * * 1-5", "Weekly", "01:30", "2,3,4,5,6"),  # Monday..Friday; 1 = Sunday
        ("15 23 * * 0,6", "Weekly", "23:15", "1,7"),
        ("0 4 * * 7", "Weekly", "04:00", "1"),  # cron 7 is Sunday too
        ("5 6 1,15 * *", "Monthly", "06:05", "1,15"),
    ],
)
def test_cron_to_recurrence(cron: str, kind: str, launch: str, value: str | None) -> None:
    assert codec.cron_to_recurrence(cron) == (kind, launch, value)


@pytest.mark.parametrize("cron", ["*/5 * * * *", "0 9 * 1 *", "0 9 1 * 1", "0 9-17 * * *"])
def test_crons_huawei_cannot_express(cron: str) -> None:
    with pytest.raises(codec.Unexpressible):
        codec.cron_to_recurrence(cron)


@given(st.sets(st.integers(0, 6), min_size=1), st.integers(0, 23), st.integers(0, 59))
def test_weekly_round_trip_keeps_the_days(days: set[int], hour: int, minute: int) -> None:
    cron = f"{minute} {hour} * * {','.join(map(str, sorted(days)))}"
    back = codec.recurrence_to_cron(*codec.cron_to_recurrence(cron))
    assert codec.cron_to_recurrence(back) == codec.cron_to_recurrence(cron)


def test_simple_rule_round_trips_through_policy_and_alarm() -> None:
    rule = simple(
        metric="memory",
        comparison=Comparison.LE,
        statistic=Statistic.MAXIMUM,
        period_s=1200,
        adjustment_type=AdjustmentType.PERCENT,
        adjustment=-20,
        cooldown_s=600,
        enabled=False,
        description="shrink when idle",
    )
    alarm = codec.alarm_body(rule, "gid")
    assert alarm["metric"] == {
        "namespace": "SYS.AS",
        "metric_name": "mem_util",
        "dimensions": [{"name": "AutoScalingGroup", "value": "gid"}],
    }
    assert alarm["condition"]["period"] == 1200 and alarm["condition"]["filter"] == "max"
    policy = codec.policy_body(rule, "al0123456789012345678901")
    assert policy["scaling_policy_action"] == {"operation": "REMOVE", "instance_percentage": 20}
    policy["policy_status"] = "PAUSED"
    assert codec.rule_of("web", policy, alarm) == rule


def test_one_minute_period_is_ces_raw_period() -> None:
    rule = simple()
    assert codec.alarm_body(rule, "g")["condition"]["period"] == 1
    assert codec.rule_of("web", codec.policy_body(rule, "a"), codec.alarm_body(rule, "g")) == rule


def test_scheduled_rules_round_trip() -> None:
    at = ScheduledRule(
        name="once", group="web", at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC), desired=4
    )
    policy = codec.policy_body(at)
    assert policy["scheduled_policy"] == {"launch_time": "2026-12-01T08:30Z"}
    assert policy["scaling_policy_type"] == "SCHEDULED"
    assert codec.rule_of("web", policy, None) == at
    weekly = ScheduledRule(
        name="wk",
        group="web",
        cron="0 8 * * 1-5",
        desired=6,
        start=datetime(2026, 12, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
    )
    policy = codec.policy_body(weekly)
    assert policy["scheduled_policy"]["recurrence_type"] == "Weekly"
    assert policy["scheduled_policy"]["end_time"] == "2027-01-01T00:00Z"
    assert codec.rule_of("web", policy, None) == weekly


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (simple(evaluation_periods=10), "1-5"),
        (simple(datapoints_to_alarm=2), "consecutive"),
        (simple(period_s=120), "period"),
        (simple(missing_data=MissingData.BREACHING), "missing-data"),
        (simple(statistic=Statistic.SAMPLE_COUNT), "statistic"),
        (simple(min_adjustment_magnitude=2), "magnitude"),
        (simple(metric="requests_per_target"), "metric"),
        (ScheduledRule(name="s", group="web", cron="0 19 * * *", min=8), "min or max"),
        (
            ScheduledRule(
                name="s", group="web", cron="0 19 * * *", desired=3, timezone="Asia/Shanghai"
            ),
            "UTC",
        ),
    ],
)
def test_capability_problems_name_the_reason(rule: SimpleRule | ScheduledRule, reason: str) -> None:
    problems = CAPABILITIES.problems(rule)
    assert problems and any(reason in p for p in problems), problems


def test_capability_table_says_what_huawei_lacks() -> None:
    table = CAPABILITIES.to_dict()
    assert table["rule_kinds"] == ["scheduled", "simple"]
    assert not table["m_of_n_alarms"]
    for kind in ("target_tracking", "step", "predictive"):
        assert table["unsupported"][kind]
