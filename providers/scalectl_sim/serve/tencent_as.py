"""Tencent AS (2018-04-19) actions of the emulator: groups, instances, activities, policies,
scheduled actions."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from scalectl_tencent import mapping as m

from scalectl.core.model import Group, Health, InstanceState
from scalectl.core.rules import ScheduledRule, SimpleRule, TargetTrackingRule
from scalectl_sim.serve.tencent_wire import ApiBase, ApiError, filters_of, offset_page, short_id


class AsActions(ApiBase):
    """Scaling groups, instances, activities, scaling policies and scheduled actions."""

    # --- AS: groups and instances -------------------------------------------------------------

    def _group_wire(self, group: Group) -> dict[str, Any]:
        forward = [
            {
                "LoadBalancerId": self.ids.id("lb", lb_id),
                "ListenerId": self.ids.id("lbl", f"{lb_id}/0"),
                "LocationId": "",
                "TargetAttributes": [{"Port": 80, "Weight": 10}],
                "Region": self.region,
            }
            for lb_id in group.balancer_ids
        ]
        busy = group.pending or group.terminating or group.desired != group.in_service
        return {
            "AutoScalingGroupId": self.group_id(group.name),
            "AutoScalingGroupName": group.name,
            "AutoScalingGroupStatus": "NORMAL",
            "CreatedTime": m.to_utc_z(group.created_at or self.reader.now()),
            "DefaultCooldown": group.default_cooldown_s,
            "DesiredCapacity": group.desired,
            "EnabledStatus": "DISABLED" if group.suspended else "ENABLED",
            "ForwardLoadBalancerSet": forward,
            "InstanceCount": group.in_service + group.pending + group.terminating,
            "InServiceInstanceCount": group.in_service,
            "LaunchConfigurationId": short_id("asc", group.name),
            "LaunchConfigurationName": f"{group.name}-launch",
            "LoadBalancerIdSet": [],
            "MaxSize": group.max,
            "MinSize": group.min,
            "ProjectId": 0,
            "SubnetIdSet": [short_id("subnet", f"{group.name}/{z}") for z in group.zones],
            "TerminationPolicySet": ["OLDEST_INSTANCE"],
            "VpcId": short_id("vpc", "sim"),
            "ZoneSet": list(group.zones),
            "RetryPolicy": "IMMEDIATE_RETRY",
            "InActivityStatus": "IN_ACTIVITY" if busy else "NOT_IN_ACTIVITY",
            "Tags": [],
            "ServiceSettings": {
                "ReplaceMonitorUnhealthy": False,
                "ScalingMode": "CLASSIC_SCALING",
                "ReplaceLoadBalancerUnhealthy": False,
                "DesiredCapacitySyncWithMaxMinSize": False,
                "ReplaceMode": "RECREATE",
            },
            "Ipv6AddressCount": 0,
            "MultiZoneSubnetPolicy": "PRIORITY",
            "HealthCheckType": "CLB" if group.balancer_ids else "CVM",
            "LoadBalancerHealthCheckGracePeriod": 0,
            "InstanceAllocationPolicy": "LAUNCH_CONFIGURATION",
            "SpotMixedAllocationPolicy": {
                "BaseCapacity": None,
                "OnDemandPercentageAboveBaseCapacity": None,
                "SpotAllocationStrategy": None,
                "CompensateWithBaseInstance": None,
            },
            "CapacityRebalance": False,
        }

    def describe_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = filters_of(params)
        wanted_ids = set(params.get("AutoScalingGroupIds") or []) | set(
            filters.get("auto-scaling-group-id", [])
        )
        names = set(filters.get("auto-scaling-group-name", []))
        groups = [
            g
            for g in self._groups()
            if (not wanted_ids or self.group_id(g.name) in wanted_ids)
            and (not names or g.name in names)
        ]
        page, total = offset_page(params, groups)
        return {"TotalCount": total, "AutoScalingGroupSet": [self._group_wire(g) for g in page]}

    def describe_instances(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = filters_of(params)
        group_ids = filters.get("auto-scaling-group-id")
        names = (
            [self.group_name(g) for g in group_ids]
            if group_ids
            else [g.name for g in self._groups()]
        )
        wanted = set(params.get("InstanceIds") or []) | set(filters.get("instance-id", []))
        rows: list[dict[str, Any]] = []
        for name in names:
            group = self.reader.get_group(name)
            for inst in group.instances:
                if inst.state is InstanceState.TERMINATED:
                    continue
                ins_id = self.instance_id(inst.id, name)
                if wanted and ins_id not in wanted:
                    continue
                warm = (
                    "IN_WARMUP"
                    if inst.warming
                    else "AFTER_WARMUP"
                    if inst.state is InstanceState.IN_SERVICE
                    else "WAITING_ENTER_WARMUP"
                )
                rows.append(
                    {
                        "InstanceId": ins_id,
                        "AutoScalingGroupId": self.group_id(name),
                        "AutoScalingGroupName": name,
                        "LaunchConfigurationId": short_id("asc", name),
                        "LaunchConfigurationName": f"{name}-launch",
                        "LifeCycleState": m.LIFECYCLE_TO_WIRE[inst.state],
                        "HealthStatus": "UNHEALTHY"
                        if inst.health is Health.UNHEALTHY
                        else "HEALTHY",
                        "ProtectedFromScaleIn": inst.protected,
                        "Zone": inst.zone,
                        "CreationType": "AUTO_CREATION",
                        "AddTime": m.to_utc_z(inst.launched_at or self.reader.now()),
                        "InstanceType": "S5.MEDIUM4",
                        "VersionNumber": 1,
                        "WarmupStatus": warm,
                        "DisasterRecoverGroupIds": [],
                    }
                )
        page, total = offset_page(params, rows)
        return {"TotalCount": total, "AutoScalingInstanceSet": page}

    def describe_activities(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = filters_of(params)
        group_ids = filters.get("auto-scaling-group-id")
        activities = []
        for group in [self.group_name(g) for g in group_ids] if group_ids else [None]:
            activities.extend(self.reader.list_activities(group, limit=10_000))
        activities.sort(key=lambda a: a.started_at, reverse=True)
        wanted = set(params.get("ActivityIds") or []) | set(filters.get("activity-id", []))
        rows: list[dict[str, Any]] = []
        for act in activities:
            act_id = self.ids.id("asa", act.id)
            if wanted and act_id not in wanted:
                continue
            grow = (act.to_capacity or 0) >= (act.from_capacity or 0)
            status = m.ACTIVITY_STATUS_TO_WIRE[act.status]
            rows.append(
                {
                    "AutoScalingGroupId": self.group_id(act.group),
                    "ActivityId": act_id,
                    "ActivityType": "SCALE_OUT" if grow else "SCALE_IN",
                    "StatusCode": status,
                    "StatusMessage": act.status.value,
                    "StatusMessageSimplified": act.status.value,
                    "Cause": act.cause,
                    "Description": act.description,
                    "StartTime": m.to_utc_z(act.started_at),
                    "EndTime": m.to_utc_z(act.ended_at) if act.ended_at else None,
                    "CreatedTime": m.to_utc_z(act.started_at),
                    "ActivityRelatedInstanceSet": [],
                    "RelatedInstanceSet": [],
                    "LifecycleActionResultSet": [],
                    "DetailedStatusMessageSet": [],
                    "InvocationResultSet": [],
                }
            )
        page, total = offset_page(params, rows)
        return {"TotalCount": total, "ActivitySet": page}

    def _bounds_check(self, group: Group, min_size: int, max_size: int, desired: int) -> None:
        if not min_size <= desired <= max_size:
            raise ApiError(
                "InvalidParameterValue.Size",
                "The value of MaxSize, MinSize and DesiredCapacity must satisfy "
                "MaxSize >= DesiredCapacity >= MinSize.",
            )

    def modify_desired(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self.group_name(str(params.get("AutoScalingGroupId")))
        desired = params.get("DesiredCapacity")
        if not isinstance(desired, int) or not 0 <= desired <= 2000:
            raise ApiError("InvalidParameterValue", "DesiredCapacity must be 0-2000.")
        group = self.reader.get_group(name)
        min_size = params.get("MinSize", group.min)
        max_size = params.get("MaxSize", group.max)
        self._bounds_check(group, min_size, max_size, desired)
        if "MinSize" in params or "MaxSize" in params:
            self.writer.set_bounds(name, min_size=min_size, max_size=max_size, desired=desired)
        else:
            self.writer.set_desired(
                name,
                desired,
                honor_cooldown=False,
                reason="ModifyDesiredCapacity via the Tencent API",
            )
        return {}

    def modify_group(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self.group_name(str(params.get("AutoScalingGroupId")))
        group = self.reader.get_group(name)
        min_size = params.get("MinSize", group.min)
        max_size = params.get("MaxSize", group.max)
        desired = params.get("DesiredCapacity")
        self._bounds_check(
            group,
            min_size,
            max_size,
            desired if desired is not None else max(min_size, min(group.desired, max_size)),
        )
        self.writer.set_bounds(name, min_size=min_size, max_size=max_size, desired=desired)
        return {}

    def disable_group(self, params: dict[str, Any]) -> dict[str, Any]:
        self.writer.suspend(self.group_name(str(params.get("AutoScalingGroupId"))))
        return {}

    def enable_group(self, params: dict[str, Any]) -> dict[str, Any]:
        self.writer.resume(self.group_name(str(params.get("AutoScalingGroupId"))))
        return {}

    # --- AS: policies -------------------------------------------------------------------------

    def _policy_wire(self, rule: TargetTrackingRule | SimpleRule) -> dict[str, Any]:
        wire = m.rule_to_policy(rule)
        base: dict[str, Any] = {
            "AutoScalingGroupId": self.group_id(rule.group),
            "AutoScalingPolicyId": self.ids.id("asp", f"{rule.group}/{rule.name}"),
            "ScalingPolicyType": wire["ScalingPolicyType"],
            "ScalingPolicyName": rule.name,
            "AdjustmentType": None,
            "AdjustmentValue": None,
            "Cooldown": None,
            "MetricAlarm": None,
            "PredefinedMetricType": None,
            "TargetValue": None,
            "EstimatedInstanceWarmup": None,
            "DisableScaleIn": None,
            "MetricAlarms": None,
            "NotificationUserGroupIds": [],
        }
        if isinstance(rule, TargetTrackingRule):
            target = int(rule.target)
            base.update(
                PredefinedMetricType=wire["PredefinedMetricType"],
                TargetValue=target,
                EstimatedInstanceWarmup=rule.warmup_s if rule.warmup_s is not None else 300,
                DisableScaleIn=rule.disable_scale_in,
                MetricAlarms=[
                    {
                        "ComparisonOperator": "GREATER_THAN",
                        "MetricName": "CPU_UTILIZATION",
                        "Threshold": target,
                        "Period": 60,
                        "ContinuousTime": m.TT_HIGH_PERIODS,
                        "Statistic": "AVERAGE",
                        "PreciseThreshold": float(target),
                    },
                    {
                        "ComparisonOperator": "LESS_THAN",
                        "MetricName": "CPU_UTILIZATION",
                        "Threshold": int(target * m.TT_LOW_FRACTION),
                        "Period": 60,
                        "ContinuousTime": m.TT_LOW_PERIODS,
                        "Statistic": "AVERAGE",
                        "PreciseThreshold": target * m.TT_LOW_FRACTION,
                    },
                ][: 1 if rule.disable_scale_in else 2],
            )
            return base
        alarm = dict(wire["MetricAlarm"], PreciseThreshold=float(rule.threshold))
        base.update(
            AdjustmentType=wire["AdjustmentType"],
            AdjustmentValue=rule.adjustment,
            Cooldown=rule.cooldown_s if rule.cooldown_s is not None else 300,
            MetricAlarm=alarm,
        )
        return base

    def _expressible(self, rule: Any) -> bool:
        if isinstance(rule, TargetTrackingRule):
            return rule.metric in m.TT_METRIC_TO_WIRE
        if isinstance(rule, SimpleRule):
            return rule.metric in m.SIMPLE_METRIC_TO_WIRE and rule.statistic in m.STATISTIC_TO_WIRE
        return False

    def describe_policies(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = filters_of(params)
        group_ids = filters.get("auto-scaling-group-id")
        rules: list[Any] = []
        for group in [self.group_name(g) for g in group_ids] if group_ids else [None]:
            rules.extend(r for r in self._rules(group) if self._expressible(r))
        rows = [self._policy_wire(r) for r in rules]
        wanted = set(params.get("AutoScalingPolicyIds") or []) | set(
            filters.get("auto-scaling-policy-id", [])
        )
        names = set(filters.get("scaling-policy-name", []))
        types = set(filters.get("scaling-policy-type", []))
        rows = [
            r
            for r in rows
            if (not wanted or r["AutoScalingPolicyId"] in wanted)
            and (not names or r["ScalingPolicyName"] in names)
            and (not types or r["ScalingPolicyType"] in types)
        ]
        page, total = offset_page(params, rows)
        return {"TotalCount": total, "ScalingPolicySet": page}

    def _policy_rule(self, wire: dict[str, Any], group: str) -> TargetTrackingRule | SimpleRule:
        if wire.get("ScalingPolicyType") not in ("SIMPLE", "TARGET_TRACKING"):
            raise ApiError(
                "InvalidParameterValue", "ScalingPolicyType must be SIMPLE or TARGET_TRACKING."
            )
        try:
            rule = m.policy_to_rule(wire, group)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError("InvalidParameterValue", f"Invalid policy parameters: {exc}") from None
        if rule is None:
            raise ApiError("InvalidParameterValue", "Unsupported metric or comparison operator.")
        return rule

    def create_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.group_name(str(params.get("AutoScalingGroupId")))
        name = str(params.get("ScalingPolicyName") or "")
        if any(r.name == name for r in self._rules(group)):
            raise ApiError(
                "InvalidParameterValue.ScalingPolicyNameDuplicate",
                f"The scaling policy name `{name}` already exists.",
            )
        params.setdefault("ScalingPolicyType", "SIMPLE")
        self.writer.put_rule(self._policy_rule(params, group))
        return {"AutoScalingPolicyId": self.ids.id("asp", f"{group}/{name}")}

    def _current_policy(self, native: str) -> tuple[str, dict[str, Any]]:
        group, name = self._rule("asp", native, "ScalingPolicy")
        for rule in self._rules(group):
            if rule.name == name and isinstance(rule, TargetTrackingRule | SimpleRule):
                return group, self._policy_wire(rule)
        raise ApiError(
            "ResourceNotFound.ScalingPolicyNotFound",
            f"The scaling policy `{native}` does not exist.",
        )

    def _keep_unexpressed(self, group: str, name: str, rule: Any) -> Any:
        """Tencent has no description or per-rule enable: keep the sim rule's own."""
        for current in self.reader.list_rules(group):
            if current.name == name:
                return rule.model_copy(
                    update={"description": current.description, "enabled": current.enabled}
                )
        return rule

    def modify_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        native = str(params.get("AutoScalingPolicyId"))
        group, current = self._current_policy(native)
        merged = {**current, **{k: v for k, v in params.items() if v is not None}}
        if isinstance(params.get("MetricAlarm"), dict) and current.get("MetricAlarm"):
            merged["MetricAlarm"] = {**current["MetricAlarm"], **params["MetricAlarm"]}
            merged["MetricAlarm"].pop("PreciseThreshold", None)
        rule = self._keep_unexpressed(
            group, current["ScalingPolicyName"], self._policy_rule(merged, group)
        )
        if rule.name != current["ScalingPolicyName"]:
            self.writer.delete_rule(group, current["ScalingPolicyName"])
        self.writer.put_rule(rule)
        return {}

    def delete_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        group, current = self._current_policy(str(params.get("AutoScalingPolicyId")))
        self.writer.delete_rule(group, current["ScalingPolicyName"])
        return {}

    def execute_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        group, current = self._current_policy(str(params.get("AutoScalingPolicyId")))
        if current["ScalingPolicyType"] == "TARGET_TRACKING":
            raise ApiError(
                "UnsupportedOperation", "Executing a target tracking policy is not supported."
            )
        result = self.writer.execute_rule(
            group, current["ScalingPolicyName"], honor_cooldown=bool(params.get("HonorCooldown"))
        )
        key = result.activity_id or f"{group}/{current['ScalingPolicyName']}/{time.time()}"
        return {"ActivityId": self.ids.id("asa", key)}

    # --- AS: scheduled actions ----------------------------------------------------------------

    def _scheduled_wire(self, rule: ScheduledRule) -> dict[str, Any] | None:
        try:
            # Wall clock on purpose: "no start" is written as StartTime = now, as the adapter does.
            params = m.scheduled_to_action(rule, datetime.now(UTC))
        except ValueError:
            return None  # not expressible in Beijing time
        return {
            "ScheduledActionId": self.ids.id("asst", f"{rule.group}/{rule.name}"),
            "ScheduledActionName": rule.name,
            "AutoScalingGroupId": self.group_id(rule.group),
            "StartTime": params["StartTime"],
            "Recurrence": params.get("Recurrence", ""),
            "EndTime": params.get("EndTime"),
            "MaxSize": rule.max,
            "DesiredCapacity": rule.desired,
            "MinSize": rule.min,
            "CreatedTime": m.to_utc_z(self.reader.now()),
            "ScheduledType": "CRONTAB" if rule.cron else "ONCE",
            "DisableUpdateDesiredCapacity": False,
        }

    def describe_scheduled(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = filters_of(params)
        group_ids = filters.get("auto-scaling-group-id")
        rows: list[dict[str, Any]] = []
        for group in [self.group_name(g) for g in group_ids] if group_ids else [None]:
            for rule in self._rules(group):
                if isinstance(rule, ScheduledRule) and (row := self._scheduled_wire(rule)):
                    rows.append(row)
        wanted = set(params.get("ScheduledActionIds") or []) | set(
            filters.get("scheduled-action-id", [])
        )
        names = set(filters.get("scheduled-action-name", []))
        rows = [
            r
            for r in rows
            if (not wanted or r["ScheduledActionId"] in wanted)
            and (not names or r["ScheduledActionName"] in names)
        ]
        page, total = offset_page(params, rows)
        return {"TotalCount": total, "ScheduledActionSet": page}

    def _scheduled_rule(self, wire: dict[str, Any], group: str) -> ScheduledRule:
        if not wire.get("StartTime"):
            raise ApiError("MissingParameter", "StartTime is required.")
        wire = {**wire, "ScheduledType": "CRONTAB" if wire.get("Recurrence") else "ONCE"}
        try:
            return m.action_to_rule(wire, group, datetime.now(UTC))
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError("InvalidParameterValue", f"Invalid scheduled action: {exc}") from None

    def create_scheduled(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.group_name(str(params.get("AutoScalingGroupId")))
        name = str(params.get("ScheduledActionName") or "")
        if any(r.name == name for r in self._rules(group)):
            raise ApiError(
                "InvalidParameterValue.ScheduledActionNameDuplicate",
                f"The scheduled action name `{name}` already exists.",
            )
        self.writer.put_rule(self._scheduled_rule(params, group))
        return {"ScheduledActionId": self.ids.id("asst", f"{group}/{name}")}

    def _current_scheduled(self, native: str) -> tuple[str, dict[str, Any]]:
        group, name = self._rule("asst", native, "ScheduledAction")
        for rule in self._rules(group):
            if rule.name == name and isinstance(rule, ScheduledRule):
                row = self._scheduled_wire(rule)
                if row is not None:
                    return group, row
        raise ApiError(
            "ResourceNotFound.ScheduledActionNotFound",
            f"The scheduled action `{native}` does not exist.",
        )

    def modify_scheduled(self, params: dict[str, Any]) -> dict[str, Any]:
        group, current = self._current_scheduled(str(params.get("ScheduledActionId")))
        merged = {**current, **{k: v for k, v in params.items() if v is not None}}
        rule = self._keep_unexpressed(
            group, current["ScheduledActionName"], self._scheduled_rule(merged, group)
        )
        if rule.name != current["ScheduledActionName"]:
            self.writer.delete_rule(group, current["ScheduledActionName"])
        self.writer.put_rule(rule)
        return {}

    def delete_scheduled(self, params: dict[str, Any]) -> dict[str, Any]:
        group, current = self._current_scheduled(str(params.get("ScheduledActionId")))
        self.writer.delete_rule(group, current["ScheduledActionName"])
        return {}
