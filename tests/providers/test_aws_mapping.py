"""AWS payload <-> model and portable rules, on AWS's own enums and documented shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scalectl_aws import mapping, policies

from scalectl.core.model import Comparison, Health, InstanceState, MissingData, Statistic
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    AdjustmentType,
    MaxCapacityBehavior,
    PredictiveMode,
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
)


def _enum(service: str, shape: str) -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return list(model.shape_for(shape).enum)


def test_every_aws_lifecycle_state_has_a_portable_state() -> None:
    states = _enum("autoscaling", "LifecycleState")
    assert len(states) > 20
    mapped = {s: mapping.instance_state(s) for s in states}
    assert mapped["InService"] is InstanceState.IN_SERVICE
    assert mapped["Pending:Wait"] is InstanceState.PENDING
    assert mapped["Standby"] is mapped["EnteringStandby"] is InstanceState.STANDBY
    assert mapped["Terminating:Proceed"] is InstanceState.TERMINATING
    assert mapped["Terminated"] is InstanceState.TERMINATED
    assert mapped["Warmed:Running"] is InstanceState.PENDING  # warm pool: not serving


def test_target_health_states() -> None:
    states = _enum("elbv2", "TargetHealthStateEnum")
    health = {s: mapping.target_health(s) for s in states}
    assert health["healthy"] is Health.HEALTHY
    assert health["unhealthy"] is health["unhealthy.draining"] is Health.UNHEALTHY
    assert {health[s] for s in ("initial", "unused", "draining", "unavailable")} == {Health.UNKNOWN}
    assert mapping.instance_health("HEALTHY") is Health.HEALTHY  # DescribeAutoScalingInstances


def test_arn_helpers() -> None:
    policy = (
        "arn:aws:autoscaling:us-west-2:123456789012:scalingPolicy:228f02c2-c665-4bfd-"
        "aaac-8b04080bea3c:autoScalingGroupName/my-asg:policyName/alb1000-tt"
    )
    assert mapping.policy_from_arn(policy) == ("my-asg", "alb1000-tt")
    assert mapping.policy_from_arn("arn:aws:sns:us-west-2:123456789012:topic") is None
    lb = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-lb/50dc6c49"
    tg = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-tg/73e2d6bc"
    assert mapping.balancer_name_from_arn(lb) == "my-lb"
    assert mapping.balancer_label(lb) + "/" + mapping.target_group_label(tg) == (
        "app/my-lb/50dc6c49/targetgroup/my-tg/73e2d6bc"
    )


def test_target_tracking_alarm_on_a_target_group_metric_still_names_its_group() -> None:
    raw: dict[str, Any] = {
        "AlarmName": "TargetTracking-my-asg-AlarmHigh-fc0e4183-23ac-497e-9992-691c9980c38e",
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "RequestCountPerTarget",
        "Dimensions": [{"Name": "TargetGroup", "Value": "targetgroup/my-tg/73e2d6bc"}],
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 1000.0,
        "EvaluationPeriods": 3,
        "StateValue": "INSUFFICIENT_DATA",
    }
    alarm = mapping.to_alarm(raw)
    assert alarm.group == "my-asg"
    assert alarm.metric == "requests_per_target"
    assert alarm.managed_by == "target_tracking"
    assert alarm.datapoints_to_alarm == 3


ALARM: dict[str, Any] = {
    "AlarmName": "a",
    "Namespace": "AWS/EC2",
    "MetricName": "NetworkOut",
    "ComparisonOperator": "LessThanThreshold",
    "Threshold": 1e6,
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 4,
    "DatapointsToAlarm": 4,
    "TreatMissingData": "breaching",
    "AlarmActions": ["POLICY"],
}

RULES: list[AnyRule] = [
    TargetTrackingRule(
        name="tt",
        group="g",
        metric="network_in",
        target=5e6,
        disable_scale_in=True,
        warmup_s=0,
        enabled=False,
    ),
    PredictiveRule(
        name="p",
        group="g",
        metric="network_out",
        target=100,
        mode=PredictiveMode.FORECAST_ONLY,
        buffer_s=0,
        max_capacity_behavior=MaxCapacityBehavior.INCREASE,
        max_capacity_buffer=0,
    ),
    StepRule(
        name="s",
        group="g",
        metric="network_out",
        comparison=Comparison.LT,
        threshold=1e6,
        statistic=Statistic.SUM,
        period_s=300,
        evaluation_periods=4,
        missing_data=MissingData.BREACHING,
        adjustment_type=AdjustmentType.EXACT,
        steps=[Step(upper=-100, adjustment=1), Step(lower=-100, upper=0, adjustment=2)],
    ),
    SimpleRule(
        name="x",
        group="g",
        metric="network_out",
        comparison=Comparison.LT,
        threshold=1e6,
        statistic=Statistic.SUM,
        period_s=300,
        evaluation_periods=4,
        missing_data=MissingData.BREACHING,
        adjustment=-1,
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.kind)
def test_policy_rules_round_trip_through_the_native_shape(rule: Any) -> None:
    params = policies.rule_to_policy(rule, None)
    # What DescribePolicies answers: the same fields, plus the ARN.
    policy = {**params, "PolicyARN": "POLICY"}
    assert policies.policy_to_rule(policy, [ALARM]) == rule


def test_alarm_parameters_come_from_the_rule() -> None:
    step = RULES[2]
    assert isinstance(step, StepRule)
    params = policies.rule_to_alarm(step, "scalectl-g-s", "POLICY", None)
    assert {k: params[k] for k in ALARM if k != "AlarmName"} == {
        k: v for k, v in ALARM.items() if k != "AlarmName"
    }
    assert params["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "g"}]


def test_step_policy_without_alarm_is_left_out() -> None:
    params = policies.rule_to_policy(RULES[2], None)
    assert policies.policy_to_rule({**params, "PolicyARN": "OTHER"}, [ALARM]) is None


def test_scheduled_rules_round_trip() -> None:
    recurring = ScheduledRule(
        name="r",
        group="g",
        cron="0 9 * * 1",
        timezone="America/New_York",
        end=datetime(2031, 1, 1, tzinfo=UTC),
        min=1,
        max=9,
    )
    once = ScheduledRule(name="o", group="g", at=datetime(2030, 5, 1, 12, tzinfo=UTC), desired=0)
    for rule in (recurring, once):
        assert policies.scheduled_to_rule(policies.rule_to_scheduled(rule)) == rule


def test_aws_times_become_utc() -> None:
    from dateutil.tz import tzoffset

    local = datetime(2026, 1, 1, 9, 0, tzinfo=tzoffset(None, 3600))
    assert mapping.utc(local) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert mapping.utc(local).tzinfo is UTC  # type: ignore[union-attr]
