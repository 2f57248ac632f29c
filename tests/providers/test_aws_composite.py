"""CloudWatch composite alarms through the AWS reader.

What cannot be checked against moto: moto has no PutCompositeAlarm ("not implemented") and
ignores DescribeAlarms' AlarmTypes, and CloudWatch speaks CBOR, so no canned answer is injected
here. So: the request the real SDK sends is checked over HTTP against moto (both AlarmTypes in
one DescribeAlarms; without AlarmTypes AWS returns metric alarms only, per the CloudWatch API
reference), and the mapping is checked on the documented CompositeAlarm shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_seed import MotoServer
from scalectl_aws import mapping

from scalectl.core.model import AlarmState

pytest_plugins = ["conftest_aws"]

RULE = 'ALARM("api-cpu-high") AND (ALARM("api-cpu-low") OR NOT OK("web-5xx"))'


def test_reader_asks_for_composite_and_metric_alarms_in_one_request(
    aws_env: MotoServer, aws_shop: dict[str, Any], aws_reader: Any
) -> None:
    sent: list[dict[str, Any]] = []
    events = aws_reader.clients.cloudwatch.meta.events
    events.register(
        "provide-client-params.cloudwatch.DescribeAlarms",
        lambda params, **_: sent.append(dict(params)),
    )
    alarms = {a.name: a for a in aws_reader.list_alarms()}
    assert len(sent) == 1 and len(aws_env.log.of("DescribeAlarms")) == 1
    assert sorted(sent[0]["AlarmTypes"]) == ["CompositeAlarm", "MetricAlarm"]
    assert set(aws_shop["alarms"]) <= set(alarms)
    assert {a.kind for a in alarms.values()} == {"metric"}  # moto holds no composite alarm


def test_composite_alarm_maps_rule_parts_and_state() -> None:
    # The CompositeAlarm shape of DescribeAlarms (CloudWatch API reference).
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"
    raw = {
        "AlarmName": "api-degraded",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-degraded",
        "AlarmRule": RULE.replace('"web-5xx"', arn),
        "StateValue": "ALARM",
        "StateUpdatedTimestamp": datetime(2026, 11, 11, 0, 5, tzinfo=UTC),
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
        "ActionsEnabled": True,
    }
    alarm = mapping.to_composite_alarm(raw)
    assert (alarm.kind, alarm.state, alarm.name) == ("composite", AlarmState.ALARM, "api-degraded")
    assert alarm.rule == raw["AlarmRule"]
    assert alarm.parts == ("api-cpu-high", "api-cpu-low", "web-5xx")  # an ARN part by its name
    assert alarm.since == datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
    data = alarm.to_dict()
    assert (data["kind"], data["parts"]) == (
        "composite",
        ["api-cpu-high", "api-cpu-low", "web-5xx"],
    )


def test_aws_declares_composite_alarms(aws_reader: Any) -> None:
    assert aws_reader.capabilities().composite_alarms
