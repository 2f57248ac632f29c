"""The Alibaba Cloud adapter: ESS (groups, rules, alarm tasks, scheduled tasks, activities),
SLB (balancers, listeners, backend health) and CMS (metrics), over aliyun-python-sdk-core.

The SDK is imported only by ``open_reader`` (through ``scalectl_alibaba.client``).

A refresh (list_groups, get_group, list_balancers, list_alarms, list_rules in a row, possibly from
several TUI workers at once) lists the groups and the alarms once, through a short-lived snapshot.
Writes drop it.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scalectl.core.errors import (
    ErrorKind,
    InputError,
    NotFoundError,
    ProviderError,
    guard_replies,
    one_line,
)
from scalectl.core.model import METRICS, Activity, Alarm, Balancer, Group, MetricPoint, MetricSeries
from scalectl.core.provider import WRITE_OPERATIONS, AnyRule, Capabilities, WriteResult
from scalectl.core.rules import ScheduledRule, SimpleRule, StepRule
from scalectl.core.snapshot import RefreshSnapshot as _Snapshot
from scalectl_alibaba import convert, native

if TYPE_CHECKING:
    from scalectl_alibaba.client import Calls

PROVIDER = "alibaba"
_DIMENSIONS_PER_CALL = 50  # keep one DescribeMetricLast query's Dimensions list modest
ALL_PROCESSES = ("ScaleIn", "ScaleOut", "HealthCheck", "AlarmNotification", "ScheduledAction")
SNAPSHOT_TTL_S = 2.0  # longest life of the refresh snapshot (at most half the refresh period)


LISTENER_PROTOCOLS = ("http", "https", "tcp", "udp")


@guard_replies(PROVIDER)
class AlibabaReader:
    name = PROVIDER

    def __init__(
        self,
        calls: Calls,
        region: str,
        key_id: str,
        *,
        snapshot_ttl_s: float = SNAPSHOT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.calls = calls
        self.region = region
        self._key_id = key_id
        self._snapshot = _Snapshot(snapshot_ttl_s, clock)

    def invalidate(self) -> None:
        """Forget the snapshot (after a write, the next read must see the change)."""
        self._snapshot.clear()

    def capabilities(self) -> Capabilities:
        return native.CAPABILITIES

    def now(self) -> datetime:
        return datetime.now(UTC)

    def canonical_rule(self, rule: AnyRule) -> AnyRule:
        """``rule`` as ESS will report it once put (UTC crons, no rule descriptions...)."""
        return native.canonical(rule)

    def identity(self) -> str:
        return f"access key {self._key_id[:6]}…" if self._key_id else ""

    # -- groups ------------------------------------------------------------------------------

    def raw_groups(self, **filters: Any) -> list[dict[str, Any]]:
        """The groups matching ``filters``; the unfiltered list is shared by one refresh."""

        def fetch() -> list[dict[str, Any]]:
            return self.calls.pages(
                "ess", "DescribeScalingGroups", filters, "ScalingGroups", "ScalingGroup"
            )

        if filters:
            return fetch()
        result: list[dict[str, Any]] = self._snapshot.get("groups", fetch)
        return result

    def list_groups(self) -> list[Group]:
        raws = self.raw_groups()
        cpu = self._latest_cpu([str(raw["ScalingGroupId"]) for raw in raws])
        return [
            dataclasses.replace(convert.group(raw), metric=cpu.get(str(raw["ScalingGroupId"])))
            for raw in raws
        ]

    def _latest_cpu(self, group_ids: list[str]) -> dict[str, float]:
        """Each group's newest CPU %: CMS DescribeMetricLast takes many dimensions in one call."""
        found: dict[str, float] = {}
        for start in range(0, len(group_ids), _DIMENSIONS_PER_CALL):
            chunk = group_ids[start : start + _DIMENSIONS_PER_CALL]
            params: dict[str, Any] = {
                "Namespace": "acs_ess_dashboard",
                "MetricName": native.TT_METRICS["cpu"],
                "Period": 60,
                "Dimensions": json.dumps([{"scalingGroupId": g} for g in chunk]),
                "Length": 1440,
            }
            try:
                for row in self._datapoints(params):
                    if row.get("Average") is not None:
                        found[str(row.get("scalingGroupId"))] = float(row["Average"])
            except ProviderError as err:
                if err.kind not in (ErrorKind.INVALID, ErrorKind.NOT_FOUND):
                    raise
                return {}  # no group CPU metric here: the column stays empty, the list stands
        return found

    def _datapoints(
        self, params: dict[str, Any], action: str = "DescribeMetricLast"
    ) -> list[dict[str, Any]]:
        """Every datapoint of a CMS query, following NextToken (Datapoints is a JSON string)."""
        rows: list[dict[str, Any]] = []
        params = dict(params)
        while True:
            body = self.calls.call("cms", action, params)
            try:
                batch = json.loads(body.get("Datapoints") or "[]")
            except ValueError:
                raise ProviderError(
                    ErrorKind.MALFORMED, f"{action}: Datapoints is not JSON", provider=PROVIDER
                ) from None
            rows.extend(batch)
            token = body.get("NextToken")
            if not token:
                return rows
            params["NextToken"] = token

    def _find_group(self, group: str) -> dict[str, Any]:
        key = "ScalingGroupId" if group.startswith("asg-") else "ScalingGroupName"
        for raw in self._snapshot.peek("groups") or []:
            if str(raw[key]) == group:
                return dict(raw)
        if group.startswith("asg-"):
            found = self.raw_groups(**{"ScalingGroupId.1": group})
        else:
            found = self.raw_groups(ScalingGroupName=group)
        if not found:
            raise NotFoundError("group", group)
        return found[0]

    def group_id(self, group: str) -> str:
        return str(self._find_group(group)["ScalingGroupId"])

    def get_group(self, group: str) -> Group:
        raw = self._find_group(group)
        rows = self.calls.pages(
            "ess",
            "DescribeScalingInstances",
            {"ScalingGroupId": raw["ScalingGroupId"]},
            "ScalingInstances",
            "ScalingInstance",
        )
        name = str(raw["ScalingGroupName"])
        return convert.group(raw, instances=tuple(convert.instance(r, name) for r in rows))

    def _names(self) -> dict[str, str]:
        return {str(g["ScalingGroupId"]): str(g["ScalingGroupName"]) for g in self.raw_groups()}

    # -- balancers ---------------------------------------------------------------------------

    def list_balancers(self) -> list[Balancer]:
        owners: dict[str, list[str]] = {}
        for raw in self.raw_groups():
            for lb in convert.items(raw.get("LoadBalancerIds"), "LoadBalancerId"):
                owners.setdefault(lb, []).append(str(raw["ScalingGroupName"]))
        summaries = self.calls.pages(
            "slb", "DescribeLoadBalancers", {}, "LoadBalancers", "LoadBalancer", page_size=100
        )
        return [self._balancer(s, owners.get(str(s["LoadBalancerId"]), [])) for s in summaries]

    def _balancer(self, summary: dict[str, Any], groups: list[str]) -> Balancer:
        lb = str(summary["LoadBalancerId"])
        attr = self.calls.call("slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
        listeners = []
        ports = convert.items(attr.get("ListenerPortsAndProtocol"), "ListenerPortAndProtocol")
        for entry in ports:
            protocol = str(entry["ListenerProtocol"]).lower()
            if protocol not in LISTENER_PROTOCOLS:  # it names the SDK request class we load
                raise ProviderError(
                    ErrorKind.MALFORMED,
                    f"unknown listener protocol {one_line(protocol)!r} on {lb}",
                    provider=PROVIDER,
                )
            port = int(entry["ListenerPort"])
            action = f"DescribeLoadBalancer{protocol.upper()}ListenerAttribute"
            detail = self.calls.call("slb", action, {"LoadBalancerId": lb, "ListenerPort": port})
            listeners.append(
                convert.listener(protocol, port, str(detail.get("Scheduler") or "wrr"))
            )
        health = self.calls.call("slb", "DescribeHealthStatus", {"LoadBalancerId": lb})
        servers = convert.items(attr.get("BackendServers"), "BackendServer")
        rows = convert.items(health.get("BackendServers"), "BackendServer")
        status = str(summary.get("LoadBalancerStatus") or "active")
        return Balancer(
            id=lb,
            name=str(summary.get("LoadBalancerName") or lb),
            provider=PROVIDER,
            listeners=tuple(listeners),
            backends=convert.backends(servers, rows),
            region=self.region,
            status="active" if status == "active" else status,
            group_ids=tuple(groups),
        )

    # -- alarms, activities --------------------------------------------------------------------

    def raw_alarms(self, **filters: Any) -> list[dict[str, Any]]:
        """The alarm tasks matching ``filters``; the unfiltered list is shared by one refresh."""

        def fetch() -> list[dict[str, Any]]:
            return self.calls.pages("ess", "DescribeAlarms", filters, "AlarmList", "Alarm")

        if filters:
            return fetch()
        result: list[dict[str, Any]] = self._snapshot.get("alarms", fetch)
        return result

    def list_alarms(self) -> list[Alarm]:
        names = self._names()
        return [
            convert.alarm(raw, names.get(str(raw.get("ScalingGroupId")), ""))
            for raw in self.raw_alarms()
        ]

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        targets = [self._find_group(group)] if group else self.raw_groups()
        found: list[Activity] = []
        for raw in targets:
            name = str(raw["ScalingGroupName"])
            rows = self.calls.pages(
                "ess",
                "DescribeScalingActivities",
                {"ScalingGroupId": raw["ScalingGroupId"]},
                "ScalingActivities",
                "ScalingActivity",
            )
            found.extend(convert.activity(r, name) for r in rows if r.get("StartTime"))
        found.sort(key=lambda a: a.started_at, reverse=True)
        return found[:limit]

    # -- rules ---------------------------------------------------------------------------------

    def raw_rules(self, **filters: Any) -> list[dict[str, Any]]:
        return self.calls.pages(
            "ess", "DescribeScalingRules", filters, "ScalingRules", "ScalingRule"
        )

    def raw_tasks(self, **filters: Any) -> list[dict[str, Any]]:
        return self.calls.pages(
            "ess", "DescribeScheduledTasks", filters, "ScheduledTasks", "ScheduledTask"
        )

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        names = self._names()
        filters = {"ScalingGroupId": self.group_id(group)} if group else {}
        alarms_by_ari: dict[str, dict[str, Any]] = {}
        for raw in self.raw_alarms(**filters):
            if convert.alarm(raw, "").managed_by == "user":
                for ari in convert.items(raw.get("AlarmActions"), "AlarmAction"):
                    alarms_by_ari.setdefault(str(ari), raw)
        rules: list[AnyRule] = []
        for raw in self.raw_rules(**filters):
            owner = names.get(str(raw["ScalingGroupId"]), str(raw["ScalingGroupId"]))
            rule = native.rule_from_native(
                owner, raw, alarms_by_ari.get(str(raw["ScalingRuleAri"]))
            )
            if rule is not None:  # a simple/step rule with no alarm task runs only by hand
                rules.append(rule)
        for raw in self.raw_tasks(**filters):
            gid = str(raw.get("ScalingGroupId") or "")
            if gid:  # tasks that run a rule (ScheduledAction) have no portable form
                rules.append(native.rule_from_task(names.get(gid, gid), raw))
        return sorted(rules, key=lambda r: (r.group, r.name))

    # -- metrics -------------------------------------------------------------------------------

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        native_metric = native.TT_METRICS.get(metric)
        if native_metric is None:
            raise InputError(
                f"metric {metric!r} has no Alibaba CloudMonitor equivalent "
                f"(have: {', '.join(sorted(native.TT_METRICS))})",
                field="--metric",
            )
        gid = self.group_id(group)
        period = max(60, -(-period_s // 60) * 60)  # CMS periods are whole minutes
        end = self.now()
        params: dict[str, Any] = {
            "Namespace": "acs_ess_dashboard",
            "MetricName": native_metric,
            "Dimensions": json.dumps([{"scalingGroupId": gid}]),
            "Period": period,
            "StartTime": int((end - since).timestamp() * 1000),
            "EndTime": int(end.timestamp() * 1000),
            "Length": 1440,
        }
        points = [
            MetricPoint(
                datetime.fromtimestamp(int(row["timestamp"]) / 1000, tz=UTC),
                float(row["Average"]) if row.get("Average") is not None else None,
            )
            for row in self._datapoints(params, "DescribeMetricList")
        ]
        points.sort(key=lambda p: p.at)
        return MetricSeries(
            group=group,
            metric=metric,
            unit=METRICS.get(metric, ""),
            period_s=period,
            points=tuple(points),
        )

    def close(self) -> None:
        return None


@guard_replies(PROVIDER, WRITE_OPERATIONS)
class AlibabaWriter:
    def __init__(self, reader: AlibabaReader) -> None:
        self.reader = reader
        self.calls = reader.calls

    def _write(
        self,
        product: str,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One mutating call. The reader's snapshot is dropped even when the call fails,
        since a failed call may have run."""
        try:
            return self.calls.call(product, action, params, idempotent=idempotent)
        finally:
            self.reader.invalidate()

    def _result(self, body: dict[str, Any], **extra: str) -> WriteResult:
        return WriteResult(request_id=str(body.get("RequestId") or ""), **extra)

    @staticmethod
    def _no_cooldown(honor_cooldown: bool) -> None:
        if honor_cooldown:
            raise ProviderError(
                ErrorKind.INVALID,
                native.CAPABILITIES.unsupported["honor_cooldown"],
                provider=PROVIDER,
                code="HonorCooldownUnsupported",
            )

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        self._no_cooldown(honor_cooldown)
        gid = self.reader.group_id(group)
        body = self._write(
            "ess", "ModifyScalingGroup", {"ScalingGroupId": gid, "DesiredCapacity": desired}
        )
        return self._result(body, native_id=gid, detail=reason)

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        gid = self.reader.group_id(group)
        body = self._write(
            "ess",
            "ModifyScalingGroup",
            {
                "ScalingGroupId": gid,
                "MinSize": min_size,
                "MaxSize": max_size,
                "DesiredCapacity": desired,
            },
        )
        return self._result(body, native_id=gid)

    # -- rules ---------------------------------------------------------------------------------

    def _existing_rule(self, gid: str, name: str) -> dict[str, Any] | None:
        found = self.reader.raw_rules(**{"ScalingGroupId": gid, "ScalingRuleName.1": name})
        return next((r for r in found if r.get("ScalingRuleName") == name), None)

    def _existing_task(self, gid: str, name: str) -> dict[str, Any] | None:
        found = self.reader.raw_tasks(**{"ScalingGroupId": gid, "ScheduledTaskName.1": name})
        return next((t for t in found if t.get("ScheduledTaskName") == name), None)

    def _alarm_of(self, gid: str, ari: str) -> dict[str, Any] | None:
        for raw in self.reader.raw_alarms(ScalingGroupId=gid):
            if ari in convert.items(raw.get("AlarmActions"), "AlarmAction"):
                return raw
        return None

    def put_rule(self, rule: AnyRule) -> WriteResult:
        reasons = native.problems(rule)
        if reasons:
            raise InputError("; ".join(reasons), field=f"rule {rule.group}/{rule.name}")
        gid = self.reader.group_id(rule.group)
        if isinstance(rule, ScheduledRule):
            return self._put_task(gid, rule)
        fields = native.rule_fields(rule)
        existing = self._existing_rule(gid, rule.name)
        if existing is not None and (
            existing.get("ScalingRuleType") != fields["ScalingRuleType"]
            or _dropped_keys(existing, fields)
        ):
            self._delete_rule_and_alarm(gid, existing)  # ESS cannot change a type or unset a field
            existing = None
        if existing is None:
            body = self._write(
                "ess",
                "CreateScalingRule",
                {"ScalingGroupId": gid, **native.flatten(fields)},
                idempotent=False,
            )
            rule_id, ari = str(body["ScalingRuleId"]), str(body["ScalingRuleAri"])
        else:
            rule_id, ari = str(existing["ScalingRuleId"]), str(existing["ScalingRuleAri"])
            update = {k: v for k, v in fields.items() if k != "ScalingRuleType"}
            body = self._write(
                "ess", "ModifyScalingRule", {"ScalingRuleId": rule_id, **native.flatten(update)}
            )
        if isinstance(rule, SimpleRule | StepRule):
            body = self._put_alarm(gid, ari, rule)
        return self._result(body, native_id=rule_id)

    def _put_alarm(self, gid: str, ari: str, rule: SimpleRule | StepRule) -> dict[str, Any]:
        fields = native.alarm_fields(rule)
        enabled = fields.pop("Enable")
        current = self._alarm_of(gid, ari)
        if current is None:
            body = self._write(
                "ess",
                "CreateAlarm",
                {
                    "ScalingGroupId": gid,
                    **native.flatten(fields),
                    "AlarmAction.1": ari,
                },
                idempotent=False,
            )
            task, was_enabled = str(body["AlarmTaskId"]), True
        else:
            task, was_enabled = str(current["AlarmTaskId"]), bool(current.get("Enable", True))
            body = self._write(
                "ess", "ModifyAlarm", {"AlarmTaskId": task, **native.flatten(fields)}
            )
        if enabled != was_enabled:
            action = "EnableAlarm" if enabled else "DisableAlarm"
            body = self._write("ess", action, {"AlarmTaskId": task})
        return body

    def _put_task(self, gid: str, rule: ScheduledRule) -> WriteResult:
        fields = native.task_fields(rule)
        existing = self._existing_task(gid, rule.name)
        if existing is not None and _dropped_keys(existing, fields, _TASK_OPTIONAL):
            self._write(
                "ess", "DeleteScheduledTask", {"ScheduledTaskId": existing["ScheduledTaskId"]}
            )
            existing = None
        if existing is None:
            body = self._write(
                "ess",
                "CreateScheduledTask",
                {"ScalingGroupId": gid, **native.flatten(fields)},
                idempotent=False,
            )
            return self._result(body, native_id=str(body.get("ScheduledTaskId") or ""))
        task = str(existing["ScheduledTaskId"])
        body = self._write(
            "ess", "ModifyScheduledTask", {"ScheduledTaskId": task, **native.flatten(fields)}
        )
        return self._result(body, native_id=task)

    def _delete_rule_and_alarm(self, gid: str, raw: dict[str, Any]) -> dict[str, Any]:
        alarm = self._alarm_of(gid, str(raw["ScalingRuleAri"]))
        if alarm is not None:
            self._write("ess", "DeleteAlarm", {"AlarmTaskId": alarm["AlarmTaskId"]})
        return self._write("ess", "DeleteScalingRule", {"ScalingRuleId": raw["ScalingRuleId"]})

    def delete_rule(self, group: str, name: str) -> WriteResult:
        gid = self.reader.group_id(group)
        raw = self._existing_rule(gid, name)
        if raw is not None:
            return self._result(
                self._delete_rule_and_alarm(gid, raw), native_id=str(raw["ScalingRuleId"])
            )
        task = self._existing_task(gid, name)
        if task is not None:
            body = self._write(
                "ess", "DeleteScheduledTask", {"ScheduledTaskId": task["ScheduledTaskId"]}
            )
            return self._result(body, native_id=str(task["ScheduledTaskId"]))
        raise NotFoundError("rule", f"{group}/{name}")

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        self._no_cooldown(honor_cooldown)
        gid = self.reader.group_id(group)
        raw = self._existing_rule(gid, name)
        if raw is None:
            raise NotFoundError("rule", f"{group}/{name}")
        params: dict[str, Any] = {
            "ScalingRuleAri": raw["ScalingRuleAri"],
            "ClientToken": uuid.uuid4().hex,
        }  # makes retries safe
        if raw.get("ScalingRuleType") == "StepScalingRule":
            # A manual run of a step rule needs a breach: use the alarm's threshold itself,
            # which selects the step that starts at 0 above the threshold.
            alarm = self._alarm_of(gid, str(raw["ScalingRuleAri"]))
            threshold = float(alarm["Threshold"]) if alarm else 0.0
            params.update(BreachThreshold=threshold, MetricValue=threshold)
        body = self._write("ess", "ExecuteScalingRule", params)
        return self._result(
            body,
            activity_id=str(body.get("ScalingActivityId") or ""),
            native_id=str(raw["ScalingRuleId"]),
        )

    # -- processes -----------------------------------------------------------------------------

    def _processes(self, processes: Sequence[str]) -> dict[str, str]:
        names = list(ALL_PROCESSES) if not processes else []
        for process in processes:
            mapped = native.PROCESSES.get(process, process)
            if mapped not in ALL_PROCESSES:
                raise InputError(
                    f"unknown process {process!r} (ESS has {', '.join(sorted(native.PROCESSES))})",
                    field="processes",
                )
            names.append(mapped)
        return {f"Process.{i}": name for i, name in enumerate(names, 1)}

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        gid = self.reader.group_id(group)
        body = self._write(
            "ess", "SuspendProcesses", {"ScalingGroupId": gid, **self._processes(processes)}
        )
        return self._result(body, native_id=gid)

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        gid = self.reader.group_id(group)
        body = self._write(
            "ess", "ResumeProcesses", {"ScalingGroupId": gid, **self._processes(processes)}
        )
        return self._result(body, native_id=gid)


_TASK_OPTIONAL = (
    "LaunchTime",
    "RecurrenceType",
    "RecurrenceValue",
    "RecurrenceEndTime",
    "MinValue",
    "MaxValue",
    "DesiredCapacity",
)
_RULE_OPTIONAL = (
    "MinAdjustmentMagnitude",
    "Cooldown",
    "EstimatedInstanceWarmup",
    "PredictiveValueBuffer",
)


def _dropped_keys(
    existing: dict[str, Any], fields: dict[str, Any], keys: Sequence[str] = _RULE_OPTIONAL
) -> bool:
    """True when the new fields unset something the existing object has (Modify cannot unset)."""
    return any(existing.get(k) not in (None, "") and k not in fields for k in keys)


class AlibabaProvider:
    """Entry point ``scalectl.providers: alibaba``."""

    def open_reader(self, profile: Any) -> AlibabaReader:
        from scalectl_alibaba.client import Calls, credentials_from_env

        key_id, secret = credentials_from_env()
        region = profile.region or "cn-hangzhou"
        calls = Calls(
            region=region,
            endpoint=profile.endpoint,
            timeout_s=profile.timeout_s,
            max_retries=profile.max_retries,
            access_key_id=key_id,
            access_key_secret=secret,
        )
        # Calls of one refresh share a snapshot that lives at most half a refresh period.
        ttl = min(SNAPSHOT_TTL_S, float(getattr(profile, "refresh_s", 2.0)) / 2)
        return AlibabaReader(calls, region, key_id, snapshot_ttl_s=ttl)

    def open_writer(self, profile: Any, reader: Any) -> AlibabaWriter:
        if not isinstance(reader, AlibabaReader):
            raise TypeError("the Alibaba writer needs the Alibaba reader")
        return AlibabaWriter(reader)
