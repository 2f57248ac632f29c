"""The Tencent emulator's replies against the documented examples of Tencent Cloud API 3.0.

Every documented example below is the ``Response`` body of the official example for that action,
from the Tencent Cloud CLI repository (TencentCloud/tencentcloud-cli-intl-en), files
``tccli/services/{autoscaling/v20180419,clb/v20180317,monitor/v20180724}/examples.json``, which
the API reference pages (https://www.tencentcloud.com/document/api/377, /214, /248) render.
Long lists are cut to their first element; keys and nesting are as documented.

A test per action checks that (1) every documented key is present with the documented nesting
and JSON type, and (2) every key the emulator sends is a field of the SDK's response model (the
SDK warns on unknown fields), so nothing is invented. Requests go through the real SDK
(``call_json``), signed with TC3-HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tencent_fixtures import (
    SECRET_ID,
    SECRET_KEY,
    Emulated,
    running_emulator,
)

AS_DESCRIBE_GROUPS = {  # DescribeAutoScalingGroups, "Querying scaling groups"
    "AutoScalingGroupSet": [
        {
            "InActivityStatus": "NOT_IN_ACTIVITY",
            "LoadBalancerIdSet": [],
            "RetryPolicy": "IMMEDIATE_RETRY",
            "InServiceInstanceCount": 0,
            "CreatedTime": "2022-04-21T03:21:14Z",
            "VpcId": "vpc-lceuvai4",
            "InstanceAllocationPolicy": "LAUNCH_CONFIGURATION",
            "Tags": [],
            "LaunchConfigurationId": "asc-mo1woym9",
            "MaxSize": 1,
            "MultiZoneSubnetPolicy": "PRIORITY",
            "SubnetIdSet": ["subnet-6qqolfi7"],
            "HealthCheckType": "CLB",
            "LoadBalancerHealthCheckGracePeriod": 0,
            "ForwardLoadBalancerSet": [
                {
                    "TargetAttributes": [{"Port": 8080, "Weight": 10}],
                    "Region": "ap-shanghai",
                    "LocationId": "loc-5dovrfov",
                    "ListenerId": "lbl-i4p05pmv",
                    "LoadBalancerId": "lb-pbx8nq2p",
                }
            ],
            "ProjectId": 0,
            "AutoScalingGroupName": "testasg",
            "MinSize": 0,
            "ServiceSettings": {
                "ReplaceMonitorUnhealthy": False,
                "ReplaceLoadBalancerUnhealthy": False,
                "ScalingMode": "CLASSIC_SCALING",
            },
            "LaunchConfigurationName": "test",
            "CapacityRebalance": False,
            "TerminationPolicySet": ["OLDEST_INSTANCE"],
            "AutoScalingGroupStatus": "NORMAL",
            "InstanceCount": 0,
            "DesiredCapacity": 0,
            "AutoScalingGroupId": "asg-pts6qcgp",
            "Ipv6AddressCount": 0,
            "DefaultCooldown": 300,
            "EnabledStatus": "ENABLED",
            "ZoneSet": [],
        }
    ],
    "TotalCount": 1,
    "RequestId": "53a76c96-a88c-4972-8488-66d6c15a080f",
}

AS_DESCRIBE_INSTANCES = {  # DescribeAutoScalingInstances, "Querying the specified instance"
    "TotalCount": 1,
    "AutoScalingInstanceSet": [
        {
            "ProtectedFromScaleIn": False,
            "Zone": "ap-guangzhou-3",
            "LaunchConfigurationId": "asc-5fzsm72a",
            "InstanceId": "ins-1fswxz1m",
            "VersionNumber": 1,
            "AddTime": "2018-08-21T12:05:12Z",
            "CreationType": "AUTO_CREATION",
            "AutoScalingGroupName": "asgname",
            "AutoScalingGroupId": "asg-4o61gsxi",
            "HealthStatus": "HEALTHY",
            "LifeCycleState": "IN_SERVICE",
            "LaunchConfigurationName": "Series 2 local disk",
            "InstanceType": "S2.SMALL2",
        }
    ],
    "RequestId": "2ae3e836-d47a-431c-b54b-4e1c2f419e5b",
}

# DescribeAutoScalingActivities' Activity, as in the DescribeAutoScalingGroupLastActivities
# example ("Querying the list of the latest activities of a scaling group"): the same model.
AS_DESCRIBE_ACTIVITIES = {
    "TotalCount": 1,
    "ActivitySet": [
        {
            "Description": "Activity was launched in response to a difference between desired "
            "capacity and actual capacity, scale out 1 instance(s).",
            "AutoScalingGroupId": "asg-2umy3jbd",
            "LifecycleActionResultSet": [],
            "ActivityRelatedInstanceSet": [
                {"InstanceId": "ins-q3ss14yo", "InstanceStatus": "SUCCESSFUL"}
            ],
            "DetailedStatusMessageSet": [],
            "ActivityType": "SCALE_OUT",
            "ActivityId": "asa-o4v87ae9",
            "StartTime": "2018-11-20T08:33:56Z",
            "CreatedTime": "2018-11-20T08:33:56Z",
            "EndTime": "2018-11-20T08:34:52Z",
            "Cause": "Activity was launched in response to a difference between desired capacity "
            "and actual capacity.",
            "StatusMessageSimplified": "Success",
            "StatusMessage": "Success",
            "StatusCode": "SUCCESSFUL",
            "InvocationResultSet": [],
        }
    ],
    "RequestId": "1082ab5d-c985-4d8c-bb9d-0d05e282b4a7",
}

AS_DESCRIBE_POLICIES = {  # DescribeScalingPolicies, "Querying alarm-triggered policies"
    "TotalCount": 1,
    "ScalingPolicySet": [
        {
            "AutoScalingGroupId": "asg-gbqa1n66",
            "AutoScalingPolicyId": "asp-5zffv598",
            "Cooldown": 100,
            "ScalingPolicyName": "cpu-test",
            "AdjustmentType": "CHANGE_IN_CAPACITY",
            "MetricAlarm": {
                "Period": 60,
                "ContinuousTime": 5,
                "ComparisonOperator": "GREATER_THAN_OR_EQUAL_TO",
                "Statistic": "AVERAGE",
                "Threshold": 60,
                "MetricName": "CPU_UTILIZATION",
            },
            "NotificationUserGroupIds": [],
            "AdjustmentValue": 10,
        }
    ],
    "RequestId": "351dd0ef-27bc-4312-9287-48cd0835274b",
}

AS_DESCRIBE_SCHEDULED = {  # DescribeScheduledActions, "Querying scheduled actions"
    "RequestId": "cc207181-288d-4a39-a1d1-63a5e1ba1d2b",
    "TotalCount": 1,
    "ScheduledActionSet": [
        {
            "ScheduledActionId": "asst-jf898dps",
            "ScheduledActionName": "test",
            "AutoScalingGroupId": "asg-keqt9eg1",
            "StartTime": "2022-02-22T16:00:00+08:00",
            "Recurrence": "0 0 * * *",
            "EndTime": "2024-02-22T16:00:00+08:00",
            "MaxSize": 15,
            "DesiredCapacity": 1,
            "MinSize": 1,
            "CreatedTime": "2022-02-21T02:19:52Z",
            "ScheduledType": "CRONTAB",
        }
    ],
}

AS_EXECUTE = {"ActivityId": "asa-o4v87ae9", "RequestId": "116213d6-2269-44cc-af76-c4a8dc7dbdf9"}
AS_REQUEST_ID_ONLY = {"RequestId": "2f7c0f11-edfd-4598-a5f6-fb5c10cc9d8e"}  # ModifyDesiredCapacity

CLB_DESCRIBE_LBS = {  # DescribeLoadBalancers, "Querying CLB Instances by Instance ID"
    "TotalCount": 1,
    "LoadBalancerSet": [
        {
            "LoadBalancerId": "lb-rbw5****",
            "LoadBalancerName": "test_LB_****",
            "Forward": 1,
            "Domain": "",
            "LoadBalancerDomain": "",
            "LoadBalancerVips": ["119.***.***.51"],
            "AddressIPv6": None,
            "AddressIPVersion": "ipv4",
            "IPv6Mode": None,
            "LoadBalancerType": "OPEN",
            "Status": 1,
            "CreateTime": "2023-12-27 15:53:46",
            "StatusTime": "2024-01-22 19:58:03",
            "ProjectId": 0,
            "OpenBgp": 0,
            "Snat": False,
            "Isolation": 0,
            "Log": "",
            "AnycastZone": "",
            "VpcId": "vpc-1y****83",
            "NumericalVpcId": 1111113,
            "TargetRegionInfo": {"Region": "ap-guangzhou", "VpcId": "vpc-1y****83"},
            "SubnetId": "",
            "SecureGroups": [],
            "Tags": [],
            "MasterZone": {
                "ZoneId": 100003,
                "Zone": "ap-guangzhou-3",
                "ZoneRegion": "ap-guangzhou",
                "LocalZone": False,
            },
            "BackupZoneSet": None,
            "IsolatedTime": None,
            "ExpireTime": "2024-01-27 15:53:46",
            "ChargeType": "POSTPAID_BY_HOUR",
            "NetworkAttributes": {
                "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                "InternetMaxBandwidthOut": 5,
            },
            "PrepaidAttributes": None,
            "LogSetId": "",
            "LogTopicId": "",
            "LoadBalancerPassToTarget": False,
            "IsDDos": False,
            "ConfigId": "",
            "SnatPro": False,
            "SnatIps": [],
            "IsBlock": False,
            "IsBlockTime": "",
            "SlaType": "",
            "LocalBgp": False,
            "MixIpTarget": False,
            "Zones": None,
            "AttributeFlags": ["SharedLimitFlag"],
            "VipIsp": "BGP",
            "Egress": "",
        }
    ],
    "RequestId": "b0e9e810-01cc-4c12-8bd2-ca0a2ab1b976",
}

CLB_DESCRIBE_LISTENERS = {  # DescribeListeners, "Querying the Information of All Listeners"
    "TotalCount": 1,
    "Listeners": [
        {
            "ListenerId": "lbl-hd9nfp6o",
            "ListenerName": "12345",
            "CreateTime": "2020-12-31 12:03:36",
            "Protocol": "TCP",
            "Port": 333,
            "EndPort": 0,
            "HealthCheck": {
                "HealthSwitch": 1,
                "TimeOut": 2,
                "IntervalTime": 5,
                "HealthNum": 3,
                "UnHealthNum": 3,
                "CheckType": "TCP",
            },
            "Certificate": None,
            "Scheduler": "WRR",
            "SessionExpireTime": 0,
            "SniSwitch": 0,
            "Rules": None,
            "TargetType": "NODE",
            "SessionType": "NORMAL",
            "Toa": False,
            "DeregisterTargetRst": False,
        }
    ],
    "RequestId": "3ddae670-4a89-4919-af6e-0d6bf195c92e",
}

CLB_TARGET_HEALTH = {  # DescribeTargetHealth, "Querying real server health status of a CLB"
    "LoadBalancers": [
        {
            "Listeners": [
                {
                    "Rules": [
                        {
                            "Url": None,
                            "Domain": None,
                            "LocationId": "loc-ewygg6i0",
                            "Targets": [
                                {
                                    "HealthStatus": False,
                                    "IP": "172.16.0.6",
                                    "TargetId": "ins-19425500",
                                    "Port": 2020,
                                }
                            ],
                        }
                    ],
                    "Port": 789,
                    "Protocol": "TCP",
                    "ListenerId": "lbl-fs9naq76",
                    "ListenerName": "tcp_test",
                }
            ],
            "LoadBalancerName": "lb-test123",
            "LoadBalancerId": "lb-qc2iq5yc",
        }
    ],
    "RequestId": "9d45e1ec-720c-4ce1-860e-e338e273e77e",
}

MONITOR_POLICIES = {  # DescribeAlarmPolicies, "Querying the alarm policy list"
    "Policies": [
        {
            "PolicyId": "policy-pvnj4u7h",
            "PolicyName": "Test-2",
            "UseSum": 0,
            "Remark": "For-Test-2",
            "MonitorType": "MT_QCE",
            "Enable": 1,
            "RuleType": "STATIC",
            "TagInstances": None,
            "IsDefault": 0,
            "ProjectId": 0,
            "ProjectName": "",
            "Namespace": "cvm_device",
            "ConditionTemplateId": "",
            "Condition": {
                "IsUnionRule": 0,
                "Rules": [
                    {
                        "MetricName": "CpuUsage",
                        "Description": "CPU utilization",
                        "Period": 60,
                        "Operator": "gt",
                        "Value": "0",
                        "ContinuePeriod": 1,
                        "NoticeFrequency": 86400,
                        "IsPowerNotice": 0,
                        "Filter": {"Type": "", "Dimensions": "[]"},
                    }
                ],
            },
            "EventCondition": {"Rules": []},
            "NoticeIds": [],
            "Notices": [],
            "TriggerTasks": [],
            "OriginId": "1314081",
            "ConditionsTemp": {"TemplateName": "", "Condition": None, "EventCondition": None},
            "LastEditUin": "1500000685",
            "UpdateTime": 1603114100,
            "InsertTime": 1603114100,
            "Region": ["bj"],
            "NamespaceShowName": "CVM - Basic Monitor",
            "CanSetDefault": 1,
            "InstanceGroupId": 0,
            "InstanceGroupName": "",
            "InstanceSum": 0,
        }
    ],
    "RequestId": "p7gicv4fb-4euztbaaczrsj4vz-s28g-",
    "TotalCount": 1,
}

MONITOR_HISTORIES = {  # DescribeAlarmHistories, "Querying the alarm records of CVM - Basic"
    "Histories": [
        {
            "AlarmId": "c36494f8-ae38-45cb-8089-e14006bcfc67",
            "MonitorType": "MT_QCE",
            "Namespace": "cvm_device",
            "AlarmObject": "10.104.126.8 (private) | CVM 01",
            "Content": "CPU utilization > 0%",
            "FirstOccurTime": 1603117860,
            "LastOccurTime": 1603162964,
            "AlarmStatus": "ALARM",
            "PolicyId": "policy-abc01",
            "PolicyName": "CVM alarm policy 1",
            "VPC": "0",
            "ProjectId": 0,
            "ProjectName": "Default project",
            "InstanceGroup": [],
            "ReceiverUids": [],
            "ReceiverGroups": [],
            "NoticeWays": [],
            "EventId": 0,
            "AlarmType": "METRIC",
            "OriginId": "1278441",
            "Region": "gz",
            "PolicyExists": 1,
            "MetricsInfo": None,
        }
    ],
    "RequestId": "4bzogxhgsgs95hgmxne5ei6y9jjxvi1f",
    "TotalCount": 486,
}

MONITOR_DATA = {  # GetMonitorData, "Getting the monitoring data of a CVM Instance"
    "StartTime": "2019-03-24T10:50:00+08:00",
    "EndTime": "2019-03-24T20:50:00+08:00",
    "Period": 300,
    "MetricName": "CPUUsage",
    "DataPoints": [
        {
            "Dimensions": [{"Name": "InstanceId", "Value": "ins-j0hk02zo"}],
            "Timestamps": [1535079000],
            "Values": [2.566],
        }
    ],
    "RequestId": "d96ec542-6547-4af2-91ac-fee85c1b8b85",
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    with running_emulator(monkeypatch, tmp_path) as em:
        yield em


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(documented: Any, got: Any, path: str = "Response") -> None:
    """Every documented key is there, nested the same way, with the same JSON type."""
    if documented is None or got is None:
        return
    assert _kind(documented) == _kind(got), f"{path}: {_kind(got)} instead of {_kind(documented)}"
    if isinstance(documented, dict):
        for key, value in documented.items():
            assert key in got, f"{path}.{key} is missing"
            assert_shape(value, got[key], f"{path}.{key}")
    elif isinstance(documented, list) and documented and got:
        assert_shape(documented[0], got[0], f"{path}[0]")


def assert_sdk_fields(service: str, action: str, body: dict[str, Any]) -> None:
    """Nothing outside the SDK's response model: the SDK warns on every unknown field."""
    module = {
        "as": "autoscaling.v20180419",
        "clb": "clb.v20180317",
        "monitor": "monitor.v20180724",
    }[service]
    models = __import__(f"tencentcloud.{module}.models", fromlist=["x"])
    response = getattr(models, f"{action}Response")()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response._deserialize(body)
    useless = [str(w.message) for w in caught if "useless" in str(w.message)]
    assert not useless, useless


def _client(em: Emulated, service: str) -> Any:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    module, cls = {
        "as": ("autoscaling.v20180419.autoscaling_client", "AutoscalingClient"),
        "clb": ("clb.v20180317.clb_client", "ClbClient"),
        "monitor": ("monitor.v20180724.monitor_client", "MonitorClient"),
    }[service]
    mod = __import__(f"tencentcloud.{module}", fromlist=["x"])
    profile = ClientProfile(
        httpProfile=HttpProfile(
            protocol="http", endpoint=em.endpoint.removeprefix("http://"), reqTimeout=5
        )
    )
    return getattr(mod, cls)(credential.Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile)


def call(em: Emulated, service: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = _client(em, service).call_json(action, params)["Response"]
    assert "Error" not in body, body
    assert body["RequestId"]
    assert_sdk_fields(service, action, body)
    return body


def error_of(em: Emulated, service: str, action: str, params: dict[str, Any]) -> str:
    """The Error.Code of a call that must fail; the SDK raises it with the request id."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException,
    )

    with pytest.raises(TencentCloudSDKException) as info:
        _client(em, service).call_json(action, params)
    assert info.value.get_request_id()
    return str(info.value.get_code())


def group_id(em: Emulated, name: str) -> str:
    body = call(
        em,
        "as",
        "DescribeAutoScalingGroups",
        {"Filters": [{"Name": "auto-scaling-group-name", "Values": [name]}]},
    )
    return str(body["AutoScalingGroupSet"][0]["AutoScalingGroupId"])


def test_describe_auto_scaling_groups(emulator: Emulated) -> None:
    body = call(emulator, "as", "DescribeAutoScalingGroups", {"Limit": 100, "Offset": 200})
    assert_shape(AS_DESCRIBE_GROUPS, body)
    assert body["TotalCount"] == 233 and len(body["AutoScalingGroupSet"]) == 33
    web = call(
        emulator,
        "as",
        "DescribeAutoScalingGroups",
        {"AutoScalingGroupIds": [group_id(emulator, "web")]},
    )
    assert_shape(AS_DESCRIBE_GROUPS, web)
    assert web["AutoScalingGroupSet"][0]["ForwardLoadBalancerSet"][0]["LoadBalancerId"].startswith(
        "lb-"
    )


def test_describe_groups_limit_above_100_is_rejected(emulator: Emulated) -> None:
    code = error_of(emulator, "as", "DescribeAutoScalingGroups", {"Limit": 101})
    assert code.startswith("InvalidParameterValue")


def test_describe_auto_scaling_instances(emulator: Emulated) -> None:
    body = call(
        emulator,
        "as",
        "DescribeAutoScalingInstances",
        {"Filters": [{"Name": "auto-scaling-group-id", "Values": [group_id(emulator, "web")]}]},
    )
    assert_shape(AS_DESCRIBE_INSTANCES, body)
    assert body["TotalCount"] == 3
    one = body["AutoScalingInstanceSet"][0]["InstanceId"]
    by_id = call(emulator, "as", "DescribeAutoScalingInstances", {"InstanceIds": [one]})
    assert [i["InstanceId"] for i in by_id["AutoScalingInstanceSet"]] == [one]


def test_describe_auto_scaling_activities(emulator: Emulated) -> None:
    body = call(emulator, "as", "DescribeAutoScalingActivities", {"Limit": 2})
    assert_shape(AS_DESCRIBE_ACTIVITIES, body)
    assert body["TotalCount"] == 5 and len(body["ActivitySet"]) == 2


def test_describe_scaling_policies(emulator: Emulated) -> None:
    body = call(
        emulator,
        "as",
        "DescribeScalingPolicies",
        {"Filters": [{"Name": "scaling-policy-type", "Values": ["SIMPLE"]}]},
    )
    assert_shape(AS_DESCRIBE_POLICIES, body)
    assert [p["ScalingPolicyName"] for p in body["ScalingPolicySet"]] == ["web-scale-out"]
    tt = call(
        emulator,
        "as",
        "DescribeScalingPolicies",
        {"Filters": [{"Name": "scaling-policy-type", "Values": ["TARGET_TRACKING"]}]},
    )
    (policy,) = tt["ScalingPolicySet"]
    assert policy["TargetValue"] == 50 and policy["PredefinedMetricType"] == (
        "ASG_AVG_CPU_UTILIZATION"
    )
    # Tencent's documented target tracking alarms: > T for 3 periods, < 0.8 T for 15.
    high, low = policy["MetricAlarms"]
    assert (high["Threshold"], high["ContinuousTime"]) == (50, 3)
    assert (low["Threshold"], low["ContinuousTime"]) == (40, 15)


def test_describe_scheduled_actions(emulator: Emulated) -> None:
    body = call(emulator, "as", "DescribeScheduledActions", {})
    assert_shape(AS_DESCRIBE_SCHEDULED, body)
    (action,) = body["ScheduledActionSet"]
    assert action["Recurrence"] == "0 2 * * *" and action["StartTime"].endswith("+08:00")


def test_modify_desired_capacity_and_group(emulator: Emulated) -> None:
    gid = group_id(emulator, "api")
    body = call(
        emulator, "as", "ModifyDesiredCapacity", {"AutoScalingGroupId": gid, "DesiredCapacity": 4}
    )
    assert_shape(AS_REQUEST_ID_ONLY, body)
    assert emulator.reader.get_group("api").desired == 4
    call(
        emulator,
        "as",
        "ModifyAutoScalingGroup",
        {"AutoScalingGroupId": gid, "MinSize": 2, "MaxSize": 6},
    )
    api = emulator.reader.get_group("api")
    assert (api.min, api.max, api.desired) == (2, 6, 4)
    bad = error_of(
        emulator, "as", "ModifyDesiredCapacity", {"AutoScalingGroupId": gid, "DesiredCapacity": 9}
    )
    assert bad == "InvalidParameterValue.Size"
    missing = error_of(
        emulator,
        "as",
        "ModifyDesiredCapacity",
        {"AutoScalingGroupId": "asg-nothere", "DesiredCapacity": 1},
    )
    assert missing == "ResourceNotFound.AutoScalingGroupNotFound"


def test_policy_create_modify_execute_delete(emulator: Emulated) -> None:
    gid = group_id(emulator, "api")
    created = call(
        emulator,
        "as",
        "CreateScalingPolicy",
        {
            "AutoScalingGroupId": gid,
            "ScalingPolicyName": "api-out",
            "AdjustmentType": "CHANGE_IN_CAPACITY",
            "AdjustmentValue": 1,
            "Cooldown": 60,
            "MetricAlarm": {
                "ComparisonOperator": "GREATER_THAN",
                "MetricName": "CPU_UTILIZATION",
                "Threshold": 80,
                "Period": 60,
                "ContinuousTime": 3,
                "Statistic": "AVERAGE",
            },
        },
    )
    policy_id = created["AutoScalingPolicyId"]
    assert policy_id.startswith("asp-")
    call(
        emulator,
        "as",
        "ModifyScalingPolicy",
        {"AutoScalingPolicyId": policy_id, "AdjustmentValue": 2},
    )
    rule = next(r for r in emulator.reader.list_rules("api") if r.name == "api-out")
    assert rule.adjustment == 2 and rule.threshold == 80
    executed = call(emulator, "as", "ExecuteScalingPolicy", {"AutoScalingPolicyId": policy_id})
    assert_shape(AS_EXECUTE, executed)
    assert executed["ActivityId"].startswith("asa-")
    call(emulator, "as", "DeleteScalingPolicy", {"AutoScalingPolicyId": policy_id})
    assert all(r.name != "api-out" for r in emulator.reader.list_rules("api"))


def test_scheduled_create_and_delete(emulator: Emulated) -> None:
    gid = group_id(emulator, "web")
    created = call(
        emulator,
        "as",
        "CreateScheduledAction",
        {
            "AutoScalingGroupId": gid,
            "ScheduledActionName": "morning",
            "MinSize": 2,
            "MaxSize": 9,
            "DesiredCapacity": 4,
            "StartTime": "2020-01-01T00:00:00+08:00",
            "Recurrence": "30 8 * * *",
        },
    )
    rule = next(r for r in emulator.reader.list_rules("web") if r.name == "morning")
    assert (rule.cron, rule.timezone, rule.start) == ("30 8 * * *", "Asia/Shanghai", None)
    call(
        emulator, "as", "DeleteScheduledAction", {"ScheduledActionId": created["ScheduledActionId"]}
    )
    assert all(r.name != "morning" for r in emulator.reader.list_rules("web"))


def test_describe_load_balancers_listeners_target_health(emulator: Emulated) -> None:
    lbs = call(emulator, "clb", "DescribeLoadBalancers", {"Limit": 100})
    assert_shape(CLB_DESCRIBE_LBS, lbs)
    by_name = {lb["LoadBalancerName"]: lb["LoadBalancerId"] for lb in lbs["LoadBalancerSet"]}
    tcp = call(emulator, "clb", "DescribeListeners", {"LoadBalancerId": by_name["api-lb"]})
    assert_shape(CLB_DESCRIBE_LISTENERS, tcp)
    assert tcp["Listeners"][0]["Scheduler"] == "LEAST_CONN"
    http = call(emulator, "clb", "DescribeListeners", {"LoadBalancerId": by_name["web-lb"]})
    # Layer 7: the scheduler is per forwarding rule.
    assert http["Listeners"][0]["Scheduler"] is None
    assert http["Listeners"][0]["Rules"][0]["Scheduler"] == "WRR"
    health = call(emulator, "clb", "DescribeTargetHealth", {"LoadBalancerIds": [by_name["api-lb"]]})
    assert_shape(CLB_TARGET_HEALTH, health)


def test_describe_alarm_policies_and_histories(emulator: Emulated) -> None:
    policies = call(
        emulator,
        "monitor",
        "DescribeAlarmPolicies",
        {"Module": "monitor", "PageNumber": 1, "PageSize": 1},
    )
    assert_shape(MONITOR_POLICIES, policies)
    assert policies["TotalCount"] == 2 and len(policies["Policies"]) == 1
    task = json.loads(policies["Policies"][0]["TriggerTasks"][0]["TaskConfig"])
    assert set(task) == {"Region", "Group", "Policy"}
    now = int(time.time())
    histories = call(
        emulator,
        "monitor",
        "DescribeAlarmHistories",
        {"Module": "monitor", "StartTime": now - 86400, "EndTime": now},
    )
    assert_shape(MONITOR_HISTORIES, histories)
    assert [h["AlarmStatus"] for h in histories["Histories"]] == ["ALARM"]


def test_get_monitor_data(emulator: Emulated) -> None:
    instances = call(
        emulator,
        "as",
        "DescribeAutoScalingInstances",
        {"Filters": [{"Name": "auto-scaling-group-id", "Values": [group_id(emulator, "web")]}]},
    )
    ins = instances["AutoScalingInstanceSet"][0]["InstanceId"]
    body = call(
        emulator,
        "monitor",
        "GetMonitorData",
        {
            "Namespace": "QCE/CVM",
            "MetricName": "CpuUsage",
            "Period": 300,
            "Instances": [{"Dimensions": [{"Name": "InstanceId", "Value": ins}]}],
            "StartTime": "2026-11-26T10:00:00+08:00",
            "EndTime": "2026-11-26T11:00:00+08:00",
        },
    )
    assert_shape(MONITOR_DATA, body)
    assert len(body["DataPoints"][0]["Values"]) == 12


# --- protocol -------------------------------------------------------------------------------


def _raw(em: Emulated, headers: dict[str, str], body: bytes) -> tuple[int, str, dict[str, Any]]:
    request = urllib.request.Request(em.endpoint + "/", data=body, headers=headers)
    with urllib.request.urlopen(request) as reply:
        return reply.status, reply.headers["Content-Type"], json.loads(reply.read())


def _signed_headers(em: Emulated, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """An independent TC3-HMAC-SHA256 signer (Tencent's published algorithm)."""
    host = em.endpoint.removeprefix("http://")
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/as/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret).encode(), date), "as"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Action": "DescribeAutoScalingGroups",
        "X-TC-Version": "2018-04-19",
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": "ap-guangzhou",
        "Authorization": f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}",
    }


def test_signature_is_verified(emulator: Emulated) -> None:
    body = b'{"Limit": 1}'
    now = int(time.time())
    status, content_type, ok = _raw(
        emulator, _signed_headers(emulator, body, SECRET_KEY, now), body
    )
    # Exactly application/json: the SDK compares the header by equality.
    assert (status, content_type) == (200, "application/json")
    assert ok["Response"]["TotalCount"] == 233
    status, _, bad = _raw(emulator, _signed_headers(emulator, body, "wrong", now), body)
    assert status == 200  # API errors come back with HTTP 200, as on Tencent Cloud
    assert bad["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert bad["Response"]["RequestId"]
    tampered = _signed_headers(emulator, body, SECRET_KEY, now)
    _, _, changed = _raw(emulator, tampered, b'{"Limit": 2}')
    assert changed["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    _, _, old = _raw(emulator, _signed_headers(emulator, body, SECRET_KEY, now - 3600), body)
    assert old["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_unknown_action(emulator: Emulated) -> None:
    assert error_of(emulator, "as", "DescribeNothing", {}) == "InvalidAction"


@pytest.mark.parametrize("kind", ["throttle", "auth"])
def test_faults_use_the_tencent_envelope(emulator: Emulated, kind: str) -> None:
    spec = json.dumps({"kind": kind, "count": 1}).encode()
    urllib.request.urlopen(urllib.request.Request(emulator.endpoint + "/__sim/faults", data=spec))
    code = error_of(emulator, "as", "DescribeAutoScalingGroups", {})
    assert (
        code == {"throttle": "RequestLimitExceeded", "auth": "AuthFailure.SignatureFailure"}[kind]
    )


def test_read_only_world_refuses_writes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from scalectl_sim.serve.tencent import make_server

    with running_emulator(monkeypatch, tmp_path) as em:
        server = make_server(
            em.reader, None, access_key_id=SECRET_ID, access_key_secret=SECRET_KEY
        ).start()
        try:
            ro = Emulated(server, em.reader, None, em.world)
            gid = group_id(ro, "web")
            code = error_of(
                ro, "as", "ModifyDesiredCapacity", {"AutoScalingGroupId": gid, "DesiredCapacity": 2}
            )
            assert code == "UnauthorizedOperation"
        finally:
            server.stop()
