"""The AWS reader over real HTTP against a moto server seeded with the shop (aws_seed.seed_aws)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_seed import FAKE_KEY_ID, FAKE_SECRET, Fault, MotoServer

from scalectl.core.errors import InputError, NotFoundError
from scalectl.core.model import (
    ActivityStatus,
    AlarmState,
    Algorithm,
    Comparison,
    Health,
    InstanceState,
    MissingData,
    Statistic,
)
from scalectl.core.provider import ProviderReader
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

pytest_plugins = ["conftest_aws"]

# The portable form of every policy and scheduled action seed_aws creates.
SEEDED_RULES = [
    SimpleRule(
        name="cpu-scale-in",
        group="api",
        metric="cpu",
        comparison=Comparison.LE,
        threshold=20.0,
        period_s=300,
        evaluation_periods=2,
        adjustment_type=AdjustmentType.PERCENT,
        adjustment=-25,
        min_adjustment_magnitude=1,
        cooldown_s=300,
    ),
    StepRule(
        name="cpu-step-out",
        group="api",
        metric="cpu",
        comparison=Comparison.GT,
        threshold=70.0,
        period_s=60,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        missing_data=MissingData.NOT_BREACHING,
        warmup_s=60,
        steps=[
            Step(lower=0.0, upper=20.0, adjustment=1),
            Step(lower=20.0, upper=None, adjustment=3),
        ],
    ),
    ScheduledRule(
        name="nightly",
        group="batch",
        cron="0 2 * * *",
        timezone="Europe/Paris",
        min=0,
        max=3,
        desired=1,
    ),
    TargetTrackingRule(
        name="rps1000",
        group="checkout",
        metric="requests_per_target",
        target=1000.0,
        disable_scale_in=True,
    ),
    TargetTrackingRule(name="cpu50", group="web", metric="cpu", target=50.0, warmup_s=120),
    PredictiveRule(
        name="forecast",
        group="web",
        metric="cpu",
        target=40.0,
        mode=PredictiveMode.FORECAST_AND_SCALE,
        buffer_s=600,
        max_capacity_behavior=MaxCapacityBehavior.INCREASE,
        max_capacity_buffer=10,
    ),
    ScheduledRule(
        name="launch-day", group="web", at=datetime(2030, 1, 15, 8, 0, tzinfo=UTC), min=4, desired=6
    ),
]


def test_reader_implements_the_interface(aws_reader: Any) -> None:
    assert isinstance(aws_reader, ProviderReader)
    assert aws_reader.name == "aws"
    assert aws_reader.region == "us-east-1"


def test_groups_are_listed_with_the_contract_keys(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    groups = {g.name: g for g in aws_reader.list_groups()}
    assert sorted(groups) == sorted(aws_shop["groups"])
    web = groups["web"]
    assert (web.min, web.max, web.desired, web.in_service) == (2, 10, 3, 3)
    assert web.default_cooldown_s == 120
    assert web.balancer_ids == ("alb-shop",)
    assert groups["batch"].balancer_ids == ()
    assert groups["batch"].in_service == 0
    data = web.to_dict()
    for key in (
        "id",
        "name",
        "provider",
        "region",
        "min",
        "max",
        "desired",
        "in_service",
        "status",
    ):
        assert key in data
    assert data["provider"] == "aws" and data["status"] == "active"


def test_get_group_has_instances_with_normalized_state(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    group = aws_reader.get_group("api")
    assert len(group.instances) == 2
    for instance in group.instances:
        assert instance.state is InstanceState.IN_SERVICE
        assert instance.native_state == "InService"
        assert instance.health is Health.HEALTHY
        assert instance.zone.startswith("us-east-1")
        assert instance.group == "api"


def test_get_group_accepts_the_arn_and_reports_missing_groups(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    arn = (
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0000:autoScalingGroupName/web"
    )
    assert aws_reader.get_group(arn).name == "web"
    with pytest.raises(NotFoundError, match="'nope'"):
        aws_reader.get_group("nope")


def test_balancer_has_listeners_algorithms_backends_and_groups(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    (balancer,) = aws_reader.list_balancers()
    assert balancer.id == balancer.name == "alb-shop"
    by_port = {listener.port: listener for listener in balancer.listeners}
    assert by_port[80].algorithm is Algorithm.ROUND_ROBIN
    assert by_port[8080].algorithm is Algorithm.LEAST_OUTSTANDING_REQUESTS
    assert by_port[8443].algorithm is Algorithm.WEIGHTED_RANDOM
    assert by_port[8443].native_algorithm == "weighted_random"
    assert {listener.protocol for listener in balancer.listeners} == {"HTTP"}
    # web 3 + api 2 + checkout 1 instances are registered; moto reports every target healthy.
    assert len(balancer.backends) == 6
    assert {b.health for b in balancer.backends} == {Health.HEALTHY}
    assert all(b.zone.startswith("us-east-1") for b in balancer.backends)
    assert sorted(balancer.group_ids) == ["api", "checkout", "web"]
    data = balancer.to_dict()
    assert {"id", "name", "provider", "listeners", "backends"} <= set(data)
    assert set(data["listeners"][0]) >= {"protocol", "port", "algorithm", "native_algorithm"}
    assert set(data["backends"][0]) >= {"id", "port", "weight", "health"}


def test_alarms_are_normalized_and_linked_to_policies(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    alarms = {a.name: a for a in aws_reader.list_alarms()}
    assert sorted(alarms) == sorted(aws_shop["alarms"])
    high = alarms["api-cpu-high"]
    assert high.state is AlarmState.ALARM
    assert high.value == 83.25  # the latest datapoint of StateReasonData
    assert (high.metric, high.comparison, high.threshold) == ("cpu", Comparison.GT, 70.0)
    assert (high.evaluation_periods, high.datapoints_to_alarm) == (3, 2)
    assert high.missing_data is MissingData.NOT_BREACHING
    assert high.statistic is Statistic.AVERAGE
    assert high.group == "api"
    assert high.actions == ("policy:cpu-step-out",)
    assert high.managed_by == "user"
    low = alarms["api-cpu-low"]
    assert (low.state, low.comparison, low.period_s) == (AlarmState.OK, Comparison.LE, 300)
    assert low.datapoints_to_alarm == 2  # AWS's default: DatapointsToAlarm = EvaluationPeriods
    tracking = [a for a in alarms.values() if a.name.startswith("TargetTracking-")]
    assert len(tracking) == 2
    assert {a.managed_by for a in tracking} == {"target_tracking"}
    assert {a.group for a in tracking} == {"web"}
    assert high.since is not None and high.since.tzinfo is not None


def test_rules_are_portable_and_complete(aws_shop: dict[str, Any], aws_reader: Any) -> None:
    assert aws_reader.list_rules() == SEEDED_RULES
    assert aws_reader.list_rules("api") == [r for r in SEEDED_RULES if r.group == "api"]


def test_activities_request_moto_answers_with_nothing(
    aws_shop: dict[str, Any], aws_reader: Any, aws_env: MotoServer
) -> None:
    # moto's DescribeScalingActivities is a stub that always answers [] (provider-wire-facts
    # §1.4): the request is what can be checked against moto itself.
    assert aws_reader.list_activities("web", limit=20) == []
    (call,) = aws_env.log.of("DescribeScalingActivities")
    assert call.params["AutoScalingGroupName"] == "web"
    assert call.params["MaxRecords"] == "20"


def _activities_page(activity_id: str, next_token: str | None) -> str:
    # AWS's documented example (botocore autoscaling examples-1.json), as the wire carries it.
    token = f"<NextToken>{next_token}</NextToken>" if next_token else ""
    return (
        "<DescribeScalingActivitiesResponse "
        'xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        "<DescribeScalingActivitiesResult><Activities><member>"
        f"<ActivityId>{activity_id}</ActivityId>"
        "<AutoScalingGroupName>my-auto-scaling-group</AutoScalingGroupName>"
        "<Cause>At 2013-08-19T20:53:25Z a user request created an AutoScalingGroup changing "
        "the desired capacity from 0 to 1.  At 2013-08-19T20:53:29Z an instance was started "
        "in response to a difference between desired and actual capacity, increasing the "
        "capacity from 0 to 1.</Cause>"
        "<Description>Launching a new EC2 instance: i-4ba0837f</Description>"
        "<Details>details</Details><EndTime>2013-08-19T20:54:02Z</EndTime>"
        "<Progress>100</Progress><StartTime>2013-08-19T20:53:29.930Z</StartTime>"
        "<StatusCode>Successful</StatusCode>"
        f"</member></Activities>{token}</DescribeScalingActivitiesResult>"
        "<ResponseMetadata><RequestId>req-activities</RequestId></ResponseMetadata>"
        "</DescribeScalingActivitiesResponse>"
    )


def test_activities_map_aws_documented_answer(aws_env: MotoServer, aws_reader: Any) -> None:
    # Since moto has no activities, the server answers with AWS's documented payload, in two
    # pages, to check the mapping and the paging over real HTTP.
    aws_env.inject(
        Fault(
            200,
            "",
            count=1,
            action="DescribeScalingActivities",
            body=_activities_page("a-1", "page-2"),
        )
    )
    aws_env.inject(
        Fault(
            200, "", count=1, action="DescribeScalingActivities", body=_activities_page("a-2", None)
        )
    )
    activities = aws_reader.list_activities()
    assert [a.id for a in activities] == ["a-1", "a-2"]
    first = activities[0]
    assert first.group == "my-auto-scaling-group"
    assert first.status is ActivityStatus.SUCCESSFUL
    assert (first.from_capacity, first.to_capacity) == (0, 1)
    assert first.started_at == datetime(2013, 8, 19, 20, 53, 29, 930000, tzinfo=UTC)
    assert first.ended_at == datetime(2013, 8, 19, 20, 54, 2, tzinfo=UTC)
    assert first.progress == 100
    assert first.to_dict()["started_at"] == "2013-08-19T20:53:29.930000+00:00"
    second_call = aws_env.log.of("DescribeScalingActivities")[1]
    assert second_call.params["NextToken"] == "page-2"


def test_metric_series_comes_from_get_metric_data(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    series = aws_reader.metric_series("web", "cpu", timedelta(hours=1), period_s=60)
    assert series.unit == "%"
    assert len(series.points) == 10
    times = [p.at for p in series.points]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    # seed_aws put 40 + m for m minutes ago: the oldest point is the highest.
    assert series.values() == [50.0 - i for i in range(10)]
    assert aws_reader.metric_series("api", "cpu", timedelta(hours=1)).points == ()


def test_metric_series_refuses_unknown_metrics_and_groups(
    aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    with pytest.raises(InputError, match="metric"):
        aws_reader.metric_series("web", "error_rate", timedelta(hours=1))
    with pytest.raises(NotFoundError):
        aws_reader.metric_series("nope", "cpu", timedelta(hours=1))


def test_capabilities_say_what_aws_cannot_express(aws_reader: Any) -> None:
    caps = aws_reader.capabilities()
    assert caps.composite_alarms is True
    assert caps.percent_rounding.value == "aws"
    assert caps.problems(TargetTrackingRule(name="x", group="web", target=50)) == []
    latency = TargetTrackingRule(name="x", group="web", metric="latency_ms", target=200)
    assert caps.problems(latency) == ["metric 'latency_ms' has no native equivalent here"]
    assert "latency" in caps.unsupported["metric:latency_ms"]


def test_identity_is_a_key_prefix_never_the_secret(aws_reader: Any) -> None:
    identity = aws_reader.identity()
    assert identity == FAKE_KEY_ID[:8]
    assert FAKE_SECRET not in identity


def test_now_is_timezone_aware_utc(aws_reader: Any) -> None:
    assert aws_reader.now().utcoffset() == timedelta(0)


def test_importing_the_plugin_does_not_import_boto3() -> None:
    code = (
        "import sys, scalectl_aws, scalectl_aws.provider; "
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
