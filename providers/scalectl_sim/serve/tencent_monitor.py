"""Tencent Cloud Monitor (2018-07-24) actions of the emulator: alarm policies, histories, data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from scalectl_tencent import mapping as m

from scalectl_sim.serve.tencent_wire import ApiBase, ApiError, number_page, short_id


class MonitorActions(ApiBase):
    """DescribeAlarmPolicies, DescribeAlarmHistories, GetMonitorData."""

    def _alarm_rows(self) -> list[tuple[Any, dict[str, Any]]]:
        rows: list[tuple[Any, dict[str, Any]]] = []
        for alarm in self.reader.list_alarms():
            if alarm.kind != "metric":
                continue  # Cloud Monitor has no composite or predictive alarms
            native = m.MONITOR_METRIC_TO_WIRE.get(alarm.metric, alarm.native_metric or alarm.metric)
            tasks = []
            if alarm.group:
                # TaskConfig as documented for ModifyAlarmPolicyTasks: {"Region","Group","Policy"}.
                base = {"Region": self.region, "Group": self.group_id(alarm.group)}
                configs = [
                    {**base, "Policy": self.ids.id("asp", f"{alarm.group}/{action}")}
                    for action in alarm.actions
                ] or [base]
                tasks = [{"Type": "AS", "TaskConfig": json.dumps(c)} for c in configs]
            remark = m.TT_ALARM_REMARK if alarm.managed_by == "target_tracking" else ""
            rows.append(
                (
                    alarm,
                    {
                        "PolicyId": self.ids.id("policy", alarm.id),
                        "PolicyName": alarm.name,
                        "Remark": remark,
                        "MonitorType": "MT_QCE",
                        "Enable": 1,
                        "UseSum": 1,
                        "ProjectId": 0,
                        "ProjectName": "Default Project",
                        "Namespace": "cvm_device",
                        "ConditionTemplateId": "",
                        "Condition": {
                            "IsUnionRule": 0,
                            "Rules": [
                                {
                                    "MetricName": native,
                                    "Period": alarm.period_s,
                                    "Operator": m.MONITOR_OPERATOR_TO_WIRE[alarm.comparison],
                                    "Value": f"{alarm.threshold:g}",
                                    "ContinuePeriod": alarm.evaluation_periods,
                                    "NoticeFrequency": 86400,
                                    "IsPowerNotice": 0,
                                    "Filter": None,
                                    "Description": alarm.name,
                                    "Unit": "%" if alarm.metric in ("cpu", "memory") else "",
                                    "RuleType": "STATIC",
                                }
                            ],
                        },
                        "EventCondition": {"Rules": []},
                        "NoticeIds": [],
                        "Notices": [],
                        "TriggerTasks": tasks,
                        "ConditionsTemp": {
                            "TemplateName": "",
                            "Condition": None,
                            "EventCondition": None,
                        },
                        "LastEditUin": "100000000001",
                        "UpdateTime": 1704067200,
                        "InsertTime": 1704067200,
                        "Region": [self.region],
                        "NamespaceShowName": "CVM",
                        "IsDefault": 0,
                        "CanSetDefault": 1,
                        "InstanceGroupId": 0,
                        "InstanceSum": 0,
                        "InstanceGroupName": "",
                        "RuleType": "STATIC",
                        "OriginId": "",
                        "TagInstances": [],
                        "FilterDimensionsParam": "",
                        "IsOneClick": 0,
                        "OneClickStatus": 0,
                        "AdvancedMetricNumber": 0,
                        "IsBindAll": 0,
                        "Tags": [],
                    },
                )
            )
        return rows

    def describe_alarm_policies(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("Module") != "monitor":
            raise ApiError("InvalidParameterValue", "Module must be `monitor`.")
        rows = [row for _, row in self._alarm_rows()]
        if params.get("PolicyName"):
            rows = [r for r in rows if params["PolicyName"] in r["PolicyName"]]
        page, total = number_page(params, rows)
        return {"TotalCount": total, "Policies": page}

    def describe_alarm_histories(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("Module") != "monitor":
            raise ApiError("InvalidParameterValue", "Module must be `monitor`.")
        now = int(self.reader.now().timestamp())
        statuses = set(params.get("AlarmStatus") or [])
        rows: list[dict[str, Any]] = []
        for alarm, policy in self._alarm_rows():
            status = m.ALARM_STATUS_TO_WIRE[alarm.state]
            if status == "OK" or (statuses and status not in statuses):
                continue
            first = int(alarm.since.timestamp()) if alarm.since else now
            rows.append(
                {
                    "AlarmId": short_id("alarm", f"{alarm.id}/{first}"),
                    "MonitorType": "MT_QCE",
                    "Namespace": "cvm_device",
                    "AlarmObject": alarm.group or alarm.name,
                    "Content": f"{alarm.metric} {alarm.comparison.value} {alarm.threshold:g}",
                    "FirstOccurTime": first,
                    "LastOccurTime": now,
                    "AlarmStatus": status,
                    "PolicyId": policy["PolicyId"],
                    "PolicyName": alarm.name,
                    "VPC": "",
                    "ProjectId": 0,
                    "ProjectName": "Default Project",
                    "InstanceGroup": [],
                    "ReceiverUids": [],
                    "ReceiverGroups": [],
                    "NoticeWays": [],
                    "OriginId": "",
                    "AlarmType": "METRIC",
                    "EventId": 0,
                    "Region": self.region,
                    "PolicyExists": 1,
                    "MetricsInfo": [],
                    "Dimensions": "",
                    "AlarmLevel": "",
                }
            )
        page, total = number_page(params, rows)
        return {"TotalCount": total, "Histories": page}

    def get_monitor_data(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("Namespace") != m.MONITOR_NAMESPACE:
            raise ApiError(
                "InvalidParameterValue",
                f"Namespace {params.get('Namespace')} is not "
                f"served here (only {m.MONITOR_NAMESPACE}).",
            )
        metric = m.MONITOR_METRIC_FROM_WIRE.get(str(params.get("MetricName")))
        if metric is None:
            raise ApiError(
                "InvalidParameterValue.InvalidMetricName",
                f"Unknown metric {params.get('MetricName')}.",
            )
        period = int(params.get("Period") or 300)
        start = m.parse_time(params.get("StartTime"))
        end = m.parse_time(params.get("EndTime")) or datetime.now(UTC)
        if start is None or end < start:
            raise ApiError("InvalidParameterValue", "StartTime is required and <= EndTime.")
        instances = params.get("Instances") or []
        if not 1 <= len(instances) <= m.MONITOR_INSTANCES_PER_CALL:
            raise ApiError(
                "InvalidParameterValue",
                f"Instances takes 1 to {m.MONITOR_INSTANCES_PER_CALL} instances.",
            )
        points = []
        series_cache: dict[str, Any] = {}
        for inst in instances:
            dims = {d.get("Name"): d.get("Value") for d in inst.get("Dimensions") or []}
            ins_id = str(dims.get("InstanceId"))
            group = self.instance_group(ins_id)
            if group is None:
                raise ApiError("ResourceNotFound", f"Instance {ins_id} has no monitoring data.")
            if group not in series_cache:
                # The window's length, anchored at the sim's clock (see the module docstring).
                series_cache[group] = self.reader.metric_series(
                    group, metric, max(end - start, timedelta(seconds=period)), period
                )
            series = series_cache[group]
            pts = [p for p in series.points if p.value is not None]
            points.append(
                {
                    "Dimensions": [{"Name": "InstanceId", "Value": ins_id}],
                    "Timestamps": [int(p.at.timestamp()) for p in pts],
                    "Values": [round(float(p.value), 3) for p in pts],
                }
            )
        return {
            "Period": period,
            "MetricName": params.get("MetricName"),
            "DataPoints": points,
            "StartTime": params.get("StartTime"),
            "EndTime": params.get("EndTime"),
            "Msg": "",
        }
