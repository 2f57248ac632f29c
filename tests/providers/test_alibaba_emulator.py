"""``sim serve --api alibaba``: response shapes against the documented examples, signatures, and
error envelopes.

Each DOC_* example below is the JSON sample of the action's API reference page (trimmed to the
fields the emulator serves, values kept), from the AlibabaCloudDocs repositories (snapshot 2021):
``AlibabaCloudDocs/ess`` ``intl.en-US/API Reference/...`` and ``AlibabaCloudDocs/slb`` /
``AlibabaCloudDocs/cms``. A shape check asserts every documented key is present with the same
JSON type, including the double-wrapped lists (``ScalingGroups.ScalingGroup[]``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from alibaba_fixtures import *  # noqa: F403
from alibaba_fixtures import KEY_ID, SECRET, AliWorld
from scalectl_sim.serve import alibaba_ids as ids
from scalectl_sim.serve.alibaba import sign, string_to_sign


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(doc: Any, ours: Any, path: str = "$") -> None:
    """Every key of the documented example exists in ours, with the same JSON type."""
    if isinstance(doc, dict):
        assert isinstance(ours, dict), f"{path}: expected an object, got {ours!r}"
        for key, value in doc.items():
            assert key in ours, f"{path}.{key} is missing"
            assert_shape(value, ours[key], f"{path}.{key}")
    elif isinstance(doc, list):
        assert isinstance(ours, list), f"{path}: expected a list, got {ours!r}"
        if doc:
            assert ours, f"{path}: expected items"
            assert_shape(doc[0], ours[0], f"{path}[0]")
    else:
        assert _kind(ours) == _kind(doc), f"{path}: {ours!r} is not a {_kind(doc)} like {doc!r}"


# ESS DescribeScalingGroups.md (Scaling group/), JSON sample.
DOC_GROUPS = {
    "RequestId": "68386699-…",
    "TotalCount": 1,
    "PageSize": 10,
    "PageNumber": 1,
    "ScalingGroups": {
        "ScalingGroup": [
            {
                "ScalingGroupId": "asg-bp14wlu85wrpchm0****",
                "ScalingGroupName": "scalinggroup****",
                "RegionId": "cn-qingdao",
                "RemovingCapacity": 0,
                "DefaultCooldown": 300,
                "MinSize": 1,
                "MaxSize": 2,
                "LifecycleState": "Inactive",
                "TotalInstanceCount": 0,
                "ActiveScalingConfigurationId": "asc-…",
                "LoadBalancerIds": {"LoadBalancerId": ["lb-bp19byhscefk3x0li****"]},
                "PendingCapacity": 0,
                "TotalCapacity": 0,
                "ActiveCapacity": 0,
                "CreationTime": "2014-08-14T10:58Z",
                "RemovalPolicies": {
                    "RemovalPolicy": ["OldestScalingConfiguration", "OldestInstance"]
                },
            }
        ]
    },
}
# ESS DescribeScalingInstances.md, JSON sample.
DOC_INSTANCES = {
    "TotalCount": 1,
    "PageSize": 10,
    "PageNumber": 1,
    "TotalSpotCount": 0,
    "ScalingInstances": {
        "ScalingInstance": [
            {
                "LoadBalancerWeight": 50,
                "CreatedTime": "2020-12-21T03:11:00Z",
                "WarmupState": "NoNeedWarmup",
                "ZoneId": "cn-hangzhou-g",
                "InstanceId": "i-m5e3z5l951fibnd9****",
                "ScalingGroupId": "asg-…",
                "HealthStatus": "Healthy",
                "LifecycleState": "InService",
                "Entrusted": True,
                "CreationType": "AutoCreated",
            }
        ]
    },
}
# ESS Scaling rule/DescribeScalingRules.md, JSON sample (a simple rule).
DOC_RULES = {
    "RequestId": "B583BFEF-A779-427A-9B74-262DDD249702",
    "TotalCount": 1,
    "PageNumber": 1,
    "PageSize": 10,
    "ScalingRules": {
        "ScalingRule": [
            {
                "ScalingRuleId": "asr-bp1dvirgwkoowxk7****",
                "ScalingRuleAri": "ari:acs:ess:cn-hangzhou:140692647406****:scalingrule/asr-…",
                "Cooldown": 500,
                "ScalingGroupId": "asg-bp1ffogfdauy0jw0****",
                "AdjustmentType": "TotalCapacity",
                "ScalingRuleName": "scalingrule****",
                "AdjustmentValue": 5,
            }
        ]
    },
}
# ESS Alarm tasks/DescribeAlarms.md, JSON sample (the target-tracking task).
DOC_ALARMS = {
    "PageNumber": 1,
    "TotalCount": 2,
    "PageSize": 10,
    "RequestId": "871C7C53-…",
    "AlarmList": {
        "Alarm": [
            {
                "Period": 60,
                "Description": "DO NOT EDIT OR DELETE.For TargetTrackingScalingRule …",
                "Statistics": "Average",
                "MetricType": "system",
                "EvaluationCount": 15,
                "AlarmActions": {"AlarmAction": ["ari:acs:ess:cn-hangzhou:…:scalingrule/asr-…"]},
                "Name": "TargetTracking-asr-bp13jvr9iummzvgk****-AlarmLow-…",
                "AlarmTaskId": "asg-bp18p2yfxow2dloq****_48efb36a-…",
                "MetricName": "CpuUtilization",
                "Threshold": 56,
                "State": "ALARM",
                "Enable": True,
                "ScalingGroupId": "asg-bp18p2yfxow2dloq****",
                "Dimensions": {
                    "Dimension": [
                        {
                            "DimensionValue": "asg-bp18p2yfxow2dloq****",
                            "DimensionKey": "scaling_group",
                        },
                        {"DimensionValue": "140692647406****", "DimensionKey": "userId"},
                    ]
                },
                "ComparisonOperator": "<",
            }
        ]
    },
}
# ESS Scheduled tasks/DescribeScheduledTasks.md, JSON sample (second task; the sim's are Cron).
DOC_TASKS = {
    "ScheduledTasks": {
        "ScheduledTask": [
            {
                "LaunchExpirationTime": 600,
                "MinValue": 1,
                "RecurrenceType": "Daily",
                "ScalingGroupId": "asg-bp1bo5tca4m56nap****",
                "TaskEnabled": True,
                "ScheduledTaskName": "scheduled****",
                "ScheduledTaskId": "cD3G3pesE65NcSTmkld1****",
                "RecurrenceValue": "31",
            }
        ]
    },
    "PageNumber": 1,
    "TotalCount": 34,
    "PageSize": 10,
    "RequestId": "4CF33369-…",
}
# ESS Scaling group/DescribeScalingActivities.md, JSON sample.
DOC_ACTIVITIES = {
    "TotalCount": 1,
    "PageSize": 10,
    "RequestId": "CC107349-…",
    "PageNumber": 1,
    "ScalingActivities": {
        "ScalingActivity": [
            {
                "ScalingInstanceNumber": 1,
                "Progress": 100,
                "Description": 'Add "1" ECS instance',
                "EndTime": "2020-09-10T09:54Z",
                "AttachedCapacity": 0,
                "ScalingActivityId": "asa-bp161xudmuxdzofe****",
                "ScalingGroupId": "asg-bp18p2yfxow2dloq****",
                "StartTime": "2020-09-10T09:54Z",
                "StatusCode": "Successful",
                "AutoCreatedCapacity": 2,
                "StatusMessage": '"1" ECS instances are added',
                "Cause": "A user requests to execute scaling rule …",
                "TotalCapacity": 2,
            }
        ]
    },
}
# ESS CreateScheduledTask.md / CreateScalingRule / CreateAlarm / ExecuteScalingRule samples.
DOC_CREATE_TASK = {"RequestId": "473469C7-…", "ScheduledTaskId": "edRtShc57WGXdt8TlPbr****"}
DOC_CREATE_RULE = {
    "RequestId": "…",
    "ScalingRuleId": "asr-…",
    "ScalingRuleAri": "ari:acs:ess:cn-hangzhou:…:scalingrule/asr-…",
}
DOC_CREATE_ALARM = {"RequestId": "…", "AlarmTaskId": "asg-…_…"}
DOC_EXECUTE = {"RequestId": "…", "ScalingActivityId": "asa-bp13o672yeautiil****"}
# SLB DescribeLoadBalancers: LoadBalancers.LoadBalancer[] with the fields listed in
# AlibabaCloudDocs/slb DescribeLoadBalancers.md (reference/autoscaling-semantics.md §3.2).
DOC_BALANCERS = {
    "RequestId": "…",
    "TotalCount": 1,
    "PageNumber": 1,
    "PageSize": 10,
    "LoadBalancers": {
        "LoadBalancer": [
            {
                "LoadBalancerId": "lb-bp1b6c719dfa08ex*****",
                "LoadBalancerName": "abc",
                "LoadBalancerStatus": "active",
                "Address": "192.168.0.1",
                "AddressType": "intranet",
                "NetworkType": "vpc",
                "VpcId": "vpc-…",
                "MasterZoneId": "cn-hangzhou-b",
                "SlaveZoneId": "cn-hangzhou-d",
                "PayType": "PayOnDemand",
                "RegionId": "cn-hangzhou",
            }
        ]
    },
}
# SLB DescribeLoadBalancerAttribute.md, JSON sample (listener lists filled as in its XML twin).
DOC_BALANCER_ATTR = {
    "RegionIdAlias": "cn-hangzhou",
    "BackendServers": {
        "BackendServer": [{"ServerId": "i-bp1c3zrr37ab*****", "Weight": 100, "Type": "ecs"}]
    },
    "ListenerPorts": {"ListenerPort": [80]},
    "VSwitchId": "vsw-bp12mw1f8k******",
    "VpcId": "vpc-bp1aevy8sofi8mh******",
    "SlaveZoneId": "cn-hangzhou-d",
    "LoadBalancerSpec": "slb.s2.small",
    "NetworkType": "vpc",
    "ListenerPortsAndProtocol": {
        "ListenerPortAndProtocol": [{"ListenerPort": 80, "ListenerProtocol": "https"}]
    },
    "PayType": "PayOnDemand",
    "LoadBalancerName": "abc1",
    "AddressIPVersion": "ipv4",
    "LoadBalancerId": "lb-bp1b6c719dfa08*****",
    "MasterZoneId": "cn-hangzhou-b",
    "ListenerPortsAndProtocal": {
        "ListenerPortAndProtocal": [{"ListenerProtocal": "http", "ListenerPort": 443}]
    },
    "Address": "192.168.0. **",
    "RegionId": "cn-hangzhou",
    "RequestId": "35D745B3-…",
    "AddressType": "intranet",
    "LoadBalancerStatus": "active",
}
# SLB DescribeLoadBalancerHTTPSListenerAttribute.md, JSON sample (fields the emulator serves).
DOC_LISTENER = {
    "RequestId": "11F52428-…",
    "Gzip": "on",
    "Scheduler": "wrr",
    "StickySession": "off",
    "Bandwidth": -1,
    "HealthCheck": "on",
    "ListenerPort": 443,
    "Status": "running",
    "XForwardedFor": "on",
    "BackendServerPort": 443,
}
# SLB Backend servers/DescribeHealthStatus.md, JSON sample.
DOC_HEALTH = {
    "RequestId": "E69BA4CE-2B55-45EC-94CA-E47B16759459",
    "BackendServers": {
        "BackendServer": [
            {
                "ListenerPort": 80,
                "ServerId": "i-bp1h5u3fv54ytf*****",
                "Port": 80,
                "ServerIp": "192.168. **. **",
                "ServerHealthStatus": "abnormal",
                "Protocol": "http",
            }
        ]
    },
}
# CMS (2019-01-01) DescribeMetricList.md, JSON sample: Datapoints is a JSON string.
DOC_METRICS = {
    "NextToken": "xxxxxx",
    "RequestId": "021472A6-…",
    "Success": True,
    "Datapoints": '[{"timestamp":1548777660000,"userId":"123456789876****",'
    '"instanceId":"i-abcdefgh12****","Minimum":93.1,"Average":99.52,'
    '"Maximum":100}]',
    "Code": "200",
    "Period": "60",
}
DOC_DATAPOINT = {
    "timestamp": 1548777660000,
    "userId": "123456789876****",
    "Minimum": 93.1,
    "Average": 99.52,
    "Maximum": 100,
}


@pytest.fixture
def calls(ali_shared: AliWorld) -> Any:
    reader, _ = ali_shared.adapter()
    return reader.calls


def _first(body: dict[str, Any], key: str, item: str, **match: Any) -> dict[str, Any]:
    rows = [r for r in body[key][item] if all(r.get(k) == v for k, v in match.items())]
    assert rows, f"no {item} with {match}"
    return {**body, key: {item: rows}}


def test_describe_scaling_groups_shape(calls: Any) -> None:
    body = calls.call("ess", "DescribeScalingGroups", {"PageSize": 50})
    assert_shape(DOC_GROUPS, _first(body, "ScalingGroups", "ScalingGroup", ScalingGroupName="web"))
    assert body["PageNumber"] == 1 and body["TotalCount"] == 6


def test_describe_scaling_instances_shape(calls: Any) -> None:
    body = calls.call(
        "ess", "DescribeScalingInstances", {"ScalingGroupId": ids.group_id("web"), "PageSize": 50}
    )
    assert_shape(DOC_INSTANCES, body)
    assert body["ScalingInstances"]["ScalingInstance"][0]["InstanceId"].startswith("i-")


def test_describe_scaling_rules_shape(calls: Any) -> None:
    body = calls.call("ess", "DescribeScalingRules", {"ScalingGroupId": ids.group_id("worker")})
    assert_shape(
        DOC_RULES, _first(body, "ScalingRules", "ScalingRule", ScalingRuleName="cpu-high-add-2")
    )
    step = calls.call("ess", "DescribeScalingRules", {"ScalingGroupId": ids.group_id("checkout")})
    rule = step["ScalingRules"]["ScalingRule"][0]
    assert rule["ScalingRuleType"] == "StepScalingRule"
    assert isinstance(rule["StepAdjustments"]["StepAdjustment"], list)


def test_describe_alarms_shape(calls: Any) -> None:
    body = calls.call("ess", "DescribeAlarms", {"PageSize": 50})
    managed = [a for a in body["AlarmList"]["Alarm"] if a["Name"].startswith("TargetTracking-")]
    assert managed
    assert_shape(DOC_ALARMS, {**body, "AlarmList": {"Alarm": managed}})


def test_describe_scheduled_tasks_shape(calls: Any) -> None:
    body = calls.call("ess", "DescribeScheduledTasks", {"PageSize": 50})
    assert_shape(
        DOC_TASKS, _first(body, "ScheduledTasks", "ScheduledTask", ScheduledTaskName="night-floor")
    )
    task = _first(body, "ScheduledTasks", "ScheduledTask", ScheduledTaskName="night-floor")
    row = task["ScheduledTasks"]["ScheduledTask"][0]
    # The sim's 23:00 Asia/Shanghai floor, as ESS writes crons: in UTC (CreateScheduledTask.md).
    assert (row["RecurrenceType"], row["RecurrenceValue"]) == ("Cron", "0 15 * * *")


def test_describe_scaling_activities_shape(ali_shared: AliWorld, calls: Any) -> None:
    group = ali_shared.sim_reader.list_activities(limit=1)[0].group
    body = calls.call("ess", "DescribeScalingActivities", {"ScalingGroupId": ids.group_id(group)})
    assert_shape(DOC_ACTIVITIES, body)


def test_describe_load_balancers_shape(calls: Any) -> None:
    body = calls.call("slb", "DescribeLoadBalancers", {"PageSize": 100})
    assert_shape(DOC_BALANCERS, body)
    assert body["TotalCount"] == 3


def test_balancer_attribute_listener_and_health_shapes(calls: Any) -> None:
    lb = ids.balancer_id("lb-shop-clb")
    attr = calls.call("slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
    assert_shape(DOC_BALANCER_ATTR, attr)
    listener = calls.call(
        "slb",
        "DescribeLoadBalancerHTTPSListenerAttribute",
        {"LoadBalancerId": lb, "ListenerPort": 443},
    )
    assert_shape(DOC_LISTENER, listener)
    assert listener["Scheduler"] == "wrr"
    health = calls.call("slb", "DescribeHealthStatus", {"LoadBalancerId": lb})
    assert_shape(DOC_HEALTH, health)
    assert {r["ServerHealthStatus"] for r in health["BackendServers"]["BackendServer"]} <= {
        "normal",
        "abnormal",
        "unavailable",
    }


def test_describe_metric_list_shape_and_paging(calls: Any) -> None:
    end = datetime.now(UTC)
    params = {
        "Namespace": "acs_ess_dashboard",
        "MetricName": "CpuUtilization",
        "Dimensions": json.dumps([{"scalingGroupId": ids.group_id("web")}]),
        "Period": 60,
        "StartTime": int((end - timedelta(hours=2)).timestamp() * 1000),
        "EndTime": int(end.timestamp() * 1000),
        "Length": 50,
    }
    body = calls.call("cms", "DescribeMetricList", params)
    assert_shape(DOC_METRICS, body)  # NextToken: 120 points, 50 per page
    assert_shape(DOC_DATAPOINT, json.loads(body["Datapoints"])[0])
    rest = calls.call("cms", "DescribeMetricList", {**params, "NextToken": body["NextToken"]})
    assert len(json.loads(rest["Datapoints"])) == 50


def test_describe_metric_last_shape(calls: Any) -> None:
    # CMS DescribeMetricLast.md: the same envelope as DescribeMetricList, one point per dimension.
    dims = [{"scalingGroupId": ids.group_id(g)} for g in ("web", "api")]
    body = calls.call(
        "cms",
        "DescribeMetricLast",
        {
            "Namespace": "acs_ess_dashboard",
            "MetricName": "CpuUtilization",
            "Period": 60,
            "Dimensions": json.dumps(dims),
        },
    )
    assert_shape({k: v for k, v in DOC_METRICS.items() if k != "NextToken"}, body)
    rows = json.loads(body["Datapoints"])
    assert [r["scalingGroupId"] for r in rows] == [d["scalingGroupId"] for d in dims]
    assert_shape(DOC_DATAPOINT, rows[0])


def test_write_action_shapes(ali: AliWorld) -> None:
    reader, _ = ali.adapter()
    calls = reader.calls
    gid = ids.group_id("web")
    rule = calls.call(
        "ess",
        "CreateScalingRule",
        {
            "ScalingGroupId": gid,
            "ScalingRuleName": "add-one",
            "AdjustmentType": "QuantityChangeInCapacity",
            "AdjustmentValue": 1,
        },
    )
    assert_shape(DOC_CREATE_RULE, rule)
    alarm = calls.call(
        "ess",
        "CreateAlarm",
        {
            "ScalingGroupId": gid,
            "Name": "busy",
            "MetricName": "CpuUtilization",
            "Threshold": 80,
            "ComparisonOperator": ">=",
            "Period": 60,
            "EvaluationCount": 2,
            "AlarmAction.1": rule["ScalingRuleAri"],
        },
    )
    assert_shape(DOC_CREATE_ALARM, alarm)
    run = calls.call(
        "ess",
        "ExecuteScalingRule",
        {"ScalingRuleAri": rule["ScalingRuleAri"], "ClientToken": "once"},
    )
    assert_shape(DOC_EXECUTE, run)
    again = calls.call(
        "ess",
        "ExecuteScalingRule",
        {"ScalingRuleAri": rule["ScalingRuleAri"], "ClientToken": "once"},
    )
    assert again["ScalingActivityId"] == run["ScalingActivityId"]  # ClientToken: runs once
    task = calls.call(
        "ess",
        "CreateScheduledTask",
        {
            "ScalingGroupId": gid,
            "ScheduledTaskName": "once",
            "LaunchTime": "2026-12-01T00:00Z",
            "DesiredCapacity": 4,
        },
    )
    assert_shape(DOC_CREATE_TASK, task)
    assert set(
        calls.call("ess", "ModifyScalingGroup", {"ScalingGroupId": gid, "DesiredCapacity": 6})
    ) == {"RequestId"}
    assert ali.sim_reader.get_group("web").desired == 6


# -- signature and envelope, with raw HTTP ------------------------------------------------------


def _raw(world: AliWorld, params: dict[str, str], secret: str = SECRET) -> tuple[int, Any]:
    query = {
        "Version": "2014-08-28",
        "Action": "DescribeScalingGroups",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SignatureMethod": "HMAC-SHA1",
        "SignatureType": "",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "AccessKeyId": KEY_ID,
        **params,
    }
    query["Signature"] = sign(secret, string_to_sign("POST", query))
    request = urllib.request.Request(
        f"{world.server.endpoint}/?{urlencode(query)}", data=b"", method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_signature_is_verified(ali_shared: AliWorld) -> None:
    status, body = _raw(ali_shared, {"ScalingGroupName": "a b*c~d/é+&=%中"})
    assert status == 200 and body["TotalCount"] == 0
    status, body = _raw(ali_shared, {}, secret="wrong")
    assert status == 400
    assert set(body) >= {"RequestId", "HostId", "Code", "Message"}
    assert body["Code"] == "SignatureDoesNotMatch"
    assert body["Message"].split("server string to sign is:")[1].startswith("POST&%2F&")


def test_replays_and_stale_timestamps_are_refused(ali_shared: AliWorld) -> None:
    status, _ = _raw(ali_shared, {"SignatureNonce": "fixed-nonce-1"})
    assert status == 200
    status, body = _raw(ali_shared, {"SignatureNonce": "fixed-nonce-1"})
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    stale = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, body = _raw(ali_shared, {"Timestamp": stale})
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")


def test_read_only_sim_refuses_writes(ali_shared: AliWorld) -> None:
    from scalectl_sim.serve.alibaba import make_server

    server = make_server(
        ali_shared.sim_reader, None, access_key_id=KEY_ID, access_key_secret=SECRET
    ).start()
    try:
        world = AliWorld(
            ali_shared.home,
            ali_shared.sim_reader,
            ali_shared.sim_writer,
            server,
            ali_shared.profile,
        )
        status, body = _raw(
            world,
            {
                "Action": "ModifyScalingGroup",
                "ScalingGroupId": ids.group_id("web"),
                "DesiredCapacity": "5",
            },
        )
        assert (status, body["Code"]) == (403, "Forbidden.RAM")
        status, _ = _raw(world, {})
        assert status == 200
    finally:
        server.stop()


def test_unknown_action_and_key(ali_shared: AliWorld) -> None:
    status, body = _raw(ali_shared, {"Action": "DescribeNothing"})
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    status, body = _raw(ali_shared, {"AccessKeyId": "LTAI_OTHER"})
    assert (status, body["Code"]) == (404, "InvalidAccessKeyId.NotFound")


def test_ids_are_bijective() -> None:
    for name in ("web", "a-b.c_d", "群组", "x" * 60):
        assert ids.decode("asg", ids.group_id(name)) == (name,)
        assert ids.rule_of_ari(ids.rule_ari("cn-hangzhou", name, "r1")) == (name, "r1")
    assert ids.decode("asg", "asg-!!") is None
    assert ids.decode("asg", "lb-abc") is None
