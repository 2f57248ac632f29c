"""API calls counted at the server: one refresh of 254 groups makes exactly what paging requires."""

from __future__ import annotations

import math
from typing import Any

from aws_seed import MotoServer, action_counts, seed_aws, seed_many
from scalectl_aws.reader import AwsReader
from scalectl_aws.session import open_clients
from scalectl_aws.writer import AwsWriter

pytest_plugins = ["conftest_aws"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _refresh(reader: AwsReader) -> None:
    """What a console refresh reads: every panel, and the selected group's detail."""
    reader.list_groups()
    reader.get_group("web")
    reader.list_balancers()
    reader.list_alarms()
    reader.list_rules()


def test_a_refresh_of_254_groups_makes_only_the_calls_paging_requires(
    aws_env: MotoServer,
    aws_profile: Any,
) -> None:
    shop = seed_aws(aws_env.endpoint)
    seed_many(aws_env.endpoint, 250)
    groups = 250 + len(shop["groups"])
    aws_env.log.clear()
    clock = FakeClock()
    reader = AwsReader(open_clients(aws_profile), clock=clock)

    _refresh(reader)

    target_groups = len(shop["target_groups"])
    expected = {
        "DescribeAutoScalingGroups": math.ceil(groups / 100),  # 3 pages of the largest size
        "DescribeTargetGroups": 1,
        "DescribeLoadBalancers": 1,
        "DescribeListeners": 1,  # per load balancer
        "DescribeTargetGroupAttributes": target_groups,  # per target group: no batch API
        "DescribeTargetHealth": target_groups,
        "DescribeAlarms": 1,
        "DescribePolicies": 1,
        "DescribeScheduledActions": 1,
    }
    assert action_counts(aws_env.log) == expected
    for call in aws_env.log.of("DescribeAutoScalingGroups"):
        assert call.params["MaxRecords"] == "100"
    for action in ("DescribeTargetGroups", "DescribeLoadBalancers", "DescribeListeners"):
        assert aws_env.log.of(action)[0].params["PageSize"] == "400"
    assert aws_env.log.of("DescribeAlarms")[0].params["MaxRecords"] == 100
    assert {c.params["MaxRecords"] for c in aws_env.log.of("DescribePolicies")} == {"100"}
    assert len(reader.list_groups()) == groups

    # The next refresh, once the snapshot is old, costs the same again: nothing accumulates.
    aws_env.log.clear()
    clock.now += 60
    _refresh(reader)
    assert action_counts(aws_env.log) == expected


def test_a_write_drops_the_snapshot(
    aws_shop: dict[str, Any], aws_env: MotoServer, aws_profile: Any
) -> None:
    clock = FakeClock()
    reader = AwsReader(open_clients(aws_profile), clock=clock)
    writer = AwsWriter(reader)
    reader.list_groups()
    reader.list_groups()
    assert action_counts(aws_env.log, ["DescribeAutoScalingGroups"]) == {
        "DescribeAutoScalingGroups": 1
    }
    writer.set_desired("web", 4, honor_cooldown=False, reason="test")
    assert {g.name: g.desired for g in reader.list_groups()}["web"] == 4
    assert action_counts(aws_env.log, ["DescribeAutoScalingGroups"]) == {
        "DescribeAutoScalingGroups": 2
    }


def test_get_group_alone_asks_for_that_group_only(
    aws_shop: dict[str, Any], aws_env: MotoServer, aws_reader: Any
) -> None:
    aws_reader.get_group("batch")  # no target group: nothing from ELB
    (call,) = aws_env.log.calls
    assert call.action == "DescribeAutoScalingGroups"
    assert call.params["AutoScalingGroupNames.member.1"] == "batch"
