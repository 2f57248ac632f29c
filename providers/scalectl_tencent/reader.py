"""ProviderReader over Tencent Cloud AS, CLB and Cloud Monitor.

A refresh (list_groups, get_group, list_balancers, list_alarms, list_rules in a row, possibly from
several TUI workers at once) lists the groups once, through a short-lived snapshot. Writes drop it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError, guard_replies
from scalectl.core.model import (
    METRICS,
    Activity,
    ActivityStatus,
    Alarm,
    AlarmState,
    Algorithm,
    Backend,
    Balancer,
    Group,
    Health,
    Instance,
    InstanceState,
    Listener,
    MetricPoint,
    MetricSeries,
)
from scalectl.core.provider import AnyRule, Capabilities
from scalectl.core.snapshot import RefreshSnapshot as _Snapshot
from scalectl_tencent import mapping as m
from scalectl_tencent.capabilities import CAPABILITIES
from scalectl_tencent.client import PROVIDER, Session

# The snapshot lives at most half the default refresh period (2 s), so each refresh reads afresh.
SNAPSHOT_TTL_S = 1.0


@guard_replies(PROVIDER)
class TencentReader:
    name = PROVIDER

    def __init__(
        self,
        session: Session,
        *,
        snapshot_ttl_s: float = SNAPSHOT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.region = session.region
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}  # asg id -> name
        self._snapshot = _Snapshot(snapshot_ttl_s, clock)

    def invalidate(self) -> None:
        """Forget the snapshot (after a write, the next read must see the change)."""
        self._snapshot.clear()

    # --- basics ------------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    def now(self) -> datetime:
        return datetime.now(UTC)

    def identity(self) -> str:
        return self.session.identity

    def close(self) -> None:
        return None

    # --- groups -------------------------------------------------------------------------------

    def _raw_groups(self, filters: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        params = {"Filters": filters} if filters else {}
        raw = list(
            self.session.paged("as", "DescribeAutoScalingGroups", "AutoScalingGroupSet", params)
        )
        with self._lock:
            for item in raw:
                self._names[item["AutoScalingGroupId"]] = item["AutoScalingGroupName"]
        return raw

    def _group(self, raw: dict[str, Any], instances: tuple[Instance, ...] = ()) -> Group:
        suspended = ("all",) if raw.get("EnabledStatus") == "DISABLED" else ()
        status = str(raw.get("AutoScalingGroupStatus") or "NORMAL")
        return Group(
            id=raw["AutoScalingGroupId"],
            name=raw["AutoScalingGroupName"],
            provider=PROVIDER,
            region=self.region,
            min=int(raw["MinSize"]),
            max=int(raw["MaxSize"]),
            desired=int(raw["DesiredCapacity"]),
            in_service=int(raw.get("InServiceInstanceCount") or 0),
            status="active" if status == "NORMAL" else status.lower(),
            pending=sum(1 for i in instances if i.state is InstanceState.PENDING),
            terminating=sum(1 for i in instances if i.state is InstanceState.TERMINATING),
            zones=tuple(raw.get("ZoneSet") or ()),
            default_cooldown_s=int(raw.get("DefaultCooldown") or 300),
            suspended=suspended,
            balancer_ids=tuple(
                dict.fromkeys(
                    lb["LoadBalancerId"] for lb in raw.get("ForwardLoadBalancerSet") or ()
                )
            ),
            instances=instances,
            created_at=m.parse_time(raw.get("CreatedTime")),
        )

    def _all_groups(self) -> list[dict[str, Any]]:
        """Every group, shared by the calls of one refresh."""
        result: list[dict[str, Any]] = self._snapshot.get("groups", self._raw_groups)
        return result

    def list_groups(self) -> list[Group]:
        return [self._group(raw) for raw in self._all_groups()]

    def _find_group(self, group: str) -> dict[str, Any]:
        cached = self._snapshot.peek("groups") or []
        key = "AutoScalingGroupId" if group.startswith("asg-") else "AutoScalingGroupName"
        for raw in cached:
            if raw[key] == group:
                return dict(raw)
        if group.startswith("asg-"):
            found = self._raw_groups([{"Name": "auto-scaling-group-id", "Values": [group]}])
        else:
            found = self._raw_groups([{"Name": "auto-scaling-group-name", "Values": [group]}])
            # The name filter may match loosely; the name must match exactly.
            found = [g for g in found if g["AutoScalingGroupName"] == group]
        if not found:
            raise NotFoundError("group", group)
        return found[0]

    def group_id(self, group: str) -> str:
        return str(self._find_group(group)["AutoScalingGroupId"])

    def group_name(self, group_id: str) -> str:
        with self._lock:
            name = self._names.get(group_id)
        if name is None:
            self._all_groups()
            with self._lock:
                name = self._names.get(group_id, group_id)
        return name

    def _instances(self, group_id: str) -> tuple[Instance, ...]:
        out = []
        for raw in self.session.paged(
            "as",
            "DescribeAutoScalingInstances",
            "AutoScalingInstanceSet",
            {"Filters": [{"Name": "auto-scaling-group-id", "Values": [group_id]}]},
        ):
            native = str(raw.get("LifeCycleState") or "")
            out.append(
                Instance(
                    id=raw["InstanceId"],
                    state=m.LIFECYCLE_FROM_WIRE.get(native, InstanceState.PENDING),
                    health=m.INSTANCE_HEALTH_FROM_WIRE.get(
                        str(raw.get("HealthStatus")), Health.UNKNOWN
                    ),
                    zone=str(raw.get("Zone") or ""),
                    group=str(raw.get("AutoScalingGroupName") or ""),
                    launched_at=m.parse_time(raw.get("AddTime")),
                    warming=raw.get("WarmupStatus") == "IN_WARMUP",
                    protected=bool(raw.get("ProtectedFromScaleIn")),
                    native_state=native,
                )
            )
        return tuple(out)

    def get_group(self, group: str) -> Group:
        raw = self._find_group(group)
        return self._group(raw, self._instances(raw["AutoScalingGroupId"]))

    # --- balancers ----------------------------------------------------------------------------

    def list_balancers(self) -> list[Balancer]:
        lbs = list(self.session.paged("clb", "DescribeLoadBalancers", "LoadBalancerSet"))
        if not lbs:
            return []
        groups_of: dict[str, list[str]] = {}
        for raw in self._all_groups():
            for fwd in raw.get("ForwardLoadBalancerSet") or ():
                names = groups_of.setdefault(fwd["LoadBalancerId"], [])
                if raw["AutoScalingGroupName"] not in names:
                    names.append(raw["AutoScalingGroupName"])
        backends = self._backends([lb["LoadBalancerId"] for lb in lbs])
        out = []
        for lb in lbs:
            lb_id = lb["LoadBalancerId"]
            listeners = (
                self.session.call("clb", "DescribeListeners", {"LoadBalancerId": lb_id}).get(
                    "Listeners"
                )
                or []
            )
            out.append(
                Balancer(
                    id=lb_id,
                    name=str(lb.get("LoadBalancerName") or lb_id),
                    provider=PROVIDER,
                    listeners=tuple(self._listener(item) for item in listeners),
                    backends=tuple(backends.get(lb_id, ())),
                    region=self.region,
                    status="active" if lb.get("Status") == 1 else "creating",
                    group_ids=tuple(groups_of.get(lb_id, ())),
                )
            )
        return out

    @staticmethod
    def _listener(raw: dict[str, Any]) -> Listener:
        protocol = str(raw.get("Protocol") or "")
        native = raw.get("Scheduler")
        if protocol in m.LAYER7:
            # Layer 7: the scheduler lives on each forwarding rule.
            rules = raw.get("Rules") or []
            native = rules[0].get("Scheduler") if rules else None
        native = str(native or "WRR")
        return Listener(
            protocol=protocol,
            port=int(raw.get("Port") or 0),
            algorithm=m.SCHEDULER_FROM_WIRE.get(native, Algorithm.UNKNOWN),
            native_algorithm=native,
            id=str(raw.get("ListenerId") or ""),
        )

    def _backends(self, lb_ids: list[str]) -> dict[str, list[Backend]]:
        out: dict[str, list[Backend]] = {}
        for start in range(0, len(lb_ids), m.TARGET_HEALTH_BATCH):
            reply = self.session.call(
                "clb",
                "DescribeTargetHealth",
                {"LoadBalancerIds": lb_ids[start : start + m.TARGET_HEALTH_BATCH]},
            )
            for lb in reply.get("LoadBalancers") or []:
                seen: dict[tuple[str, int], Backend] = {}
                for listener in lb.get("Listeners") or []:
                    for rule in listener.get("Rules") or []:
                        for target in rule.get("Targets") or []:
                            detail = str(target.get("HealthStatusDetail") or "")
                            health = m.TARGET_HEALTH_FROM_WIRE.get(
                                detail,
                                Health.HEALTHY if target.get("HealthStatus") else Health.UNHEALTHY,
                            )
                            key = (
                                str(target.get("TargetId") or target.get("IP")),
                                int(target.get("Port") or 0),
                            )
                            seen.setdefault(
                                key,
                                Backend(
                                    id=key[0],
                                    port=key[1],
                                    weight=int(target.get("Weight") or 0),
                                    health=health,
                                    native_health=detail,
                                ),
                            )
                out[lb["LoadBalancerId"]] = list(seen.values())
        return out

    # --- alarms -------------------------------------------------------------------------------

    def list_alarms(self) -> list[Alarm]:
        policies = list(
            self.session.pages(
                "monitor", "DescribeAlarmPolicies", "Policies", {"Module": "monitor"}
            )
        )
        if not policies:
            return []
        latest: dict[str, dict[str, Any]] = {}
        now = int(self.now().timestamp())
        for history in self.session.pages(
            "monitor",
            "DescribeAlarmHistories",
            "Histories",
            {"Module": "monitor", "StartTime": now - 86400, "EndTime": now},
        ):
            pid = str(history.get("PolicyId") or "")
            known = latest.get(pid)
            if known is None or int(history.get("LastOccurTime") or 0) >= int(
                known.get("LastOccurTime") or 0
            ):
                latest[pid] = history
        return [
            alarm
            for policy in policies
            if (alarm := self._alarm(policy, latest.get(policy["PolicyId"]))) is not None
        ]

    def _alarm(self, policy: dict[str, Any], history: dict[str, Any] | None) -> Alarm | None:
        rules = ((policy.get("Condition") or {}).get("Rules")) or []
        if not rules:
            return None
        rule = rules[0]
        native_metric = str(rule.get("MetricName") or "")
        comparison = m.MONITOR_OPERATOR_FROM_WIRE.get(str(rule.get("Operator")))
        if comparison is None:
            return None
        state = AlarmState.OK
        since = None
        if history is not None:
            state = m.ALARM_STATUS_FROM_WIRE.get(str(history.get("AlarmStatus")), AlarmState.OK)
            first = history.get("FirstOccurTime")
            since = datetime.fromtimestamp(int(first), UTC) if first else None
        group = ""
        actions: list[str] = []
        for task in policy.get("TriggerTasks") or []:
            if task.get("Type") != "AS":
                continue
            # TaskConfig as documented (ModifyAlarmPolicyTasks): {"Region", "Group", "Policy"}.
            try:
                config = json.loads(task.get("TaskConfig") or "{}")
            except ValueError:
                continue
            if config.get("Group"):
                group = self.group_name(str(config["Group"]))
            if config.get("Policy"):
                actions.append(str(config["Policy"]))
        periods = int(rule.get("ContinuePeriod") or 1)
        return Alarm(
            id=policy["PolicyId"],
            name=str(policy.get("PolicyName") or policy["PolicyId"]),
            provider=PROVIDER,
            state=state,
            metric=m.MONITOR_METRIC_FROM_WIRE.get(native_metric, native_metric),
            comparison=comparison,
            threshold=float(rule.get("Value") or 0),
            group=group,
            since=since,
            period_s=int(rule.get("Period") or 60),
            evaluation_periods=periods,
            datapoints_to_alarm=periods,  # consecutive periods: M = N
            actions=tuple(actions),
            managed_by="target_tracking"
            if str(policy.get("Remark") or "").startswith(m.TT_ALARM_REMARK)
            else "user",
            native_metric=native_metric,
        )

    # --- activities ---------------------------------------------------------------------------

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        params: dict[str, Any] = {}
        if group is not None:
            params["Filters"] = [
                {"Name": "auto-scaling-group-id", "Values": [self.group_id(group)]}
            ]
        out = []
        for raw in self.session.paged(
            "as", "DescribeAutoScalingActivities", "ActivitySet", params, limit=limit
        ):
            started = m.parse_time(raw.get("StartTime")) or m.parse_time(raw.get("CreatedTime"))
            if started is None:
                continue
            out.append(
                Activity(
                    id=raw["ActivityId"],
                    group=self.group_name(raw["AutoScalingGroupId"]),
                    status=m.ACTIVITY_STATUS_FROM_WIRE.get(
                        str(raw.get("StatusCode")), ActivityStatus.IN_PROGRESS
                    ),
                    cause=str(raw.get("Cause") or ""),
                    started_at=started,
                    ended_at=m.parse_time(raw.get("EndTime")),
                    description=str(raw.get("Description") or ""),
                )
            )
        return out

    # --- rules --------------------------------------------------------------------------------

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        params: dict[str, Any] = {}
        if group is not None:
            params["Filters"] = [
                {"Name": "auto-scaling-group-id", "Values": [self.group_id(group)]}
            ]
        rules: list[AnyRule] = []
        for raw in self.session.paged("as", "DescribeScalingPolicies", "ScalingPolicySet", params):
            rule = m.policy_to_rule(raw, self.group_name(raw["AutoScalingGroupId"]))
            if rule is not None:
                rules.append(rule)
        now = self.now()
        for raw in self.session.paged(
            "as", "DescribeScheduledActions", "ScheduledActionSet", params
        ):
            rules.append(m.action_to_rule(raw, self.group_name(raw["AutoScalingGroupId"]), now))
        return rules

    # --- metrics ------------------------------------------------------------------------------

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        native = m.MONITOR_METRIC_TO_WIRE.get(metric)
        if native is None:
            raise ProviderError(
                ErrorKind.INVALID,
                f"metric {metric!r} has no Cloud Monitor CVM equivalent "
                f"(offered: {', '.join(m.MONITOR_METRIC_TO_WIRE)})",
                provider=PROVIDER,
            )
        found = self.get_group(group)
        ids = [i.id for i in found.instances if i.state is InstanceState.IN_SERVICE]
        end = self.now()
        start = end - since
        sums: dict[int, list[float]] = {}
        for chunk in range(0, len(ids), m.MONITOR_INSTANCES_PER_CALL):
            reply = self.session.call(
                "monitor",
                "GetMonitorData",
                {
                    "Namespace": m.MONITOR_NAMESPACE,
                    "MetricName": native,
                    "Period": period_s,
                    "StartTime": m.to_beijing(start),
                    "EndTime": m.to_beijing(end),
                    "Instances": [
                        {"Dimensions": [{"Name": "InstanceId", "Value": i}]}
                        for i in ids[chunk : chunk + m.MONITOR_INSTANCES_PER_CALL]
                    ],
                },
            )
            for point in reply.get("DataPoints") or []:
                for ts, value in zip(
                    point.get("Timestamps") or [], point.get("Values") or [], strict=False
                ):
                    if value is not None:
                        sums.setdefault(int(ts), []).append(float(value))
        # The group's metric is the average over its in-service instances, as AS computes it.
        points = tuple(
            MetricPoint(at=datetime.fromtimestamp(ts, UTC), value=sum(values) / len(values))
            for ts, values in sorted(sums.items())
        )
        return MetricSeries(
            group=found.name,
            metric=metric,
            unit=METRICS.get(metric, ""),
            period_s=period_s,
            points=points,
        )
