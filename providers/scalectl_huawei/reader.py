"""Every query against Huawei Cloud: AS v1 groups, instances, policies and activity logs, ELB v3
balancers, CES v1 alarms and metric data, each list paged to the end with the largest page size.

A refresh (list_groups, get_group, list_balancers, list_alarms, list_rules in a row, possibly from
several TUI workers at once) lists the groups and the alarms once, through a short-lived snapshot.
Writes drop it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scalectl.core.errors import NotFoundError, guard_replies
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
    Statistic,
)
from scalectl.core.provider import AnyRule, Capabilities
from scalectl.core.snapshot import RefreshSnapshot as _Snapshot
from scalectl_huawei import codec
from scalectl_huawei.capabilities import CAPABILITIES
from scalectl_huawei.client import PROVIDER, HuaweiApi, log

AS_PAGE = 100  # AS v1: limit at most 100
ELB_PAGE = 2000  # ELB v3: limit at most 2000
CES_PAGE = 100  # CES v1 ListAlarms: limit at most 100
SNAPSHOT_TTL_S = 2.0  # longest life of the refresh snapshot (at most half the refresh period)

_INSTANCE_STATES = {
    "PENDING": InstanceState.PENDING,
    "PENDING_WAIT": InstanceState.PENDING,
    "INSERVICE": InstanceState.IN_SERVICE,
    "STANDBY": InstanceState.STANDBY,
    "ENTERING_STANDBY": InstanceState.STANDBY,
    "REMOVING": InstanceState.TERMINATING,
    "REMOVING_WAIT": InstanceState.TERMINATING,
}
_INSTANCE_HEALTH = {
    "NORMAL": Health.HEALTHY,
    "ERROR": Health.UNHEALTHY,
    "INITAILIZING": Health.UNKNOWN,
}
_MEMBER_HEALTH = {"ONLINE": Health.HEALTHY, "OFFLINE": Health.UNHEALTHY}
_ALGORITHMS = {
    "ROUND_ROBIN": Algorithm.WEIGHTED_ROUND_ROBIN,  # Huawei's round robin is weighted
    "LEAST_CONNECTIONS": Algorithm.WEIGHTED_LEAST_CONNECTIONS,
    "SOURCE_IP": Algorithm.SOURCE_IP_HASH,
    "QUIC_CID": Algorithm.QUIC_CID_HASH,
    "2_TUPLE_HASH": Algorithm.FLOW_HASH,
    "3_TUPLE_HASH": Algorithm.FLOW_HASH,
    "5_TUPLE_HASH": Algorithm.FLOW_HASH,
}
_ACTIVITY_STATUS = {
    "SUCCESS": ActivityStatus.SUCCESSFUL,
    "FAIL": ActivityStatus.FAILED,
    "DOING": ActivityStatus.IN_PROGRESS,
}
_GROUP_STATUS = {
    "INSERVICE": "active",
    "PAUSED": "paused",
    "ERROR": "error",
    "DELETING": "deleting",
    "FREEZED": "frozen",
}
_ALARM_STATES = {"ok": AlarmState.OK, "alarm": AlarmState.ALARM}
# Pausing a Huawei group stops every automatic scaling action.
PAUSED_PROCESSES = ("AlarmNotification", "ScheduledActions")


def clean(value: Any) -> Any:
    """SDK ``to_dict()`` output without the None fields the models fill in."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


@guard_replies(PROVIDER)
class HuaweiReader:
    name = PROVIDER

    def __init__(
        self,
        profile: Any,
        api: HuaweiApi | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = profile.region or "huawei-local"
        self.api = api or HuaweiApi(profile)
        self._pool_balancer: dict[str, str] = {}
        # Calls of one refresh share a snapshot that lives at most half a refresh period.
        ttl = min(SNAPSHOT_TTL_S, float(getattr(profile, "refresh_s", 2.0)) / 2)
        self._snapshot = _Snapshot(ttl, clock)

    def invalidate(self) -> None:
        """Forget the snapshot (after a write, the next read must see the change)."""
        self._snapshot.clear()

    # --- paging helpers -------------------------------------------------------------------------

    def _as_pages(
        self, method: str, request_cls: Any, items: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            response = self.api.call(
                "as", method, request_cls(start_number=start, limit=AS_PAGE, **params)
            )
            page = [clean(x.to_dict()) for x in getattr(response, items) or []]
            yield from page
            start += len(page)
            if not page or start >= int(response.total_number or 0):
                return

    def _elb_pages(
        self, method: str, request_cls: Any, items: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        marker: str | None = None
        while True:
            response = self.api.call(
                "elb", method, request_cls(marker=marker, limit=ELB_PAGE, **params)
            )
            page = [clean(x.to_dict()) for x in getattr(response, items) or []]
            yield from page
            info = response.page_info
            marker = info.next_marker if info is not None else None
            if not page or not marker:
                return

    # --- identity, clock, capabilities ----------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    def now(self) -> datetime:
        return datetime.now(UTC)

    def identity(self) -> str:
        return f"project {self.api.project_id} (AK {self.api.access_key_prefix}...)"

    # --- groups ---------------------------------------------------------------------------------

    def _raw_groups(self) -> list[dict[str, Any]]:
        """Every group, shared by the calls of one refresh."""
        from huaweicloudsdkas.v1 import ListScalingGroupsRequest

        result: list[dict[str, Any]] = self._snapshot.get(
            "groups",
            lambda: list(
                self._as_pages("list_scaling_groups", ListScalingGroupsRequest, "scaling_groups")
            ),
        )
        return result

    def _balancer_of_pool(self, pool_id: str) -> str:
        if pool_id not in self._pool_balancer:
            from huaweicloudsdkelb.v3 import ListPoolsRequest

            for pool in self._elb_pages("list_pools", ListPoolsRequest, "pools"):
                lbs = pool.get("loadbalancers") or []
                if lbs:
                    self._pool_balancer[pool["id"]] = lbs[0]["id"]
        return self._pool_balancer.get(pool_id, pool_id)

    def _group(self, raw: dict[str, Any], instances: list[Instance] | None = None) -> Group:
        balancers: list[str] = []
        for listener in raw.get("lbaas_listeners") or []:
            balancer = self._balancer_of_pool(str(listener.get("pool_id")))
            if balancer not in balancers:
                balancers.append(balancer)
        status = str(raw.get("scaling_group_status") or "")
        current = int(raw.get("current_instance_number") or 0)
        if instances is None:
            in_service, pending, terminating = current, 0, 0
        else:
            in_service = sum(i.state is InstanceState.IN_SERVICE for i in instances)
            pending = sum(i.state is InstanceState.PENDING for i in instances)
            terminating = sum(i.state is InstanceState.TERMINATING for i in instances)
        return Group(
            id=str(raw["scaling_group_id"]),
            name=str(raw["scaling_group_name"]),
            provider=PROVIDER,
            region=self.region,
            min=int(raw.get("min_instance_number") or 0),
            max=int(raw.get("max_instance_number") or 0),
            desired=int(raw.get("desire_instance_number") or 0),
            in_service=in_service,
            status=_GROUP_STATUS.get(status, status.lower()),
            pending=pending,
            terminating=terminating,
            zones=tuple(raw.get("available_zones") or ()),
            default_cooldown_s=int(raw.get("cool_down_time") or 0),
            warmup_s=None,
            suspended=PAUSED_PROCESSES if status == "PAUSED" else (),
            balancer_ids=tuple(balancers),
            instances=tuple(instances or ()),
            created_at=_time(raw.get("create_time")),
        )

    def list_groups(self) -> list[Group]:
        return [self._group(raw) for raw in self._raw_groups()]

    def _find_group(self, group: str) -> dict[str, Any]:
        """A group by name or id (ids are UUIDs; names are unique per project)."""
        from huaweicloudsdkas.v1 import ListScalingGroupsRequest

        for raw in self._snapshot.peek("groups") or []:
            if group in (raw["scaling_group_name"], raw["scaling_group_id"]):
                return dict(raw)
        by_name = self._as_pages(
            "list_scaling_groups",
            ListScalingGroupsRequest,
            "scaling_groups",
            scaling_group_name=group,
        )
        for raw in by_name:  # the name filter is fuzzy: match exactly here
            if raw["scaling_group_name"] == group:
                return raw
        for raw in self._raw_groups():
            if raw["scaling_group_id"] == group:
                return raw
        raise NotFoundError("group", group)

    def group_id(self, group: str) -> str:
        return str(self._find_group(group)["scaling_group_id"])

    def get_group(self, group: str) -> Group:
        from huaweicloudsdkas.v1 import ListScalingInstancesRequest

        raw = self._find_group(group)
        rows = self._as_pages(
            "list_scaling_instances",
            ListScalingInstancesRequest,
            "scaling_group_instances",
            scaling_group_id=raw["scaling_group_id"],
        )
        instances = [
            Instance(
                id=str(row["instance_id"]),
                state=_INSTANCE_STATES.get(str(row.get("life_cycle_state")), InstanceState.PENDING),
                health=_INSTANCE_HEALTH.get(str(row.get("health_status")), Health.UNKNOWN),
                zone="",  # ListScalingInstances does not report the zone
                group=str(raw["scaling_group_name"]),
                launched_at=_time(row.get("create_time")),
                protected=bool(row.get("protect_from_scaling_down")),
                native_state=str(row.get("life_cycle_state") or ""),
            )
            for row in rows
        ]
        return self._group(raw, instances)

    # --- balancers ------------------------------------------------------------------------------

    def list_balancers(self) -> list[Balancer]:
        from huaweicloudsdkelb.v3 import (
            ListListenersRequest,
            ListLoadBalancersRequest,
            ListMembersRequest,
            ListPoolsRequest,
        )

        listeners = {
            x["id"]: x for x in self._elb_pages("list_listeners", ListListenersRequest, "listeners")
        }
        pools = list(self._elb_pages("list_pools", ListPoolsRequest, "pools"))
        groups_by_pool: dict[str, list[str]] = {}
        for raw in self._raw_groups():
            for lst in raw.get("lbaas_listeners") or []:
                groups_by_pool.setdefault(str(lst.get("pool_id")), []).append(
                    str(raw["scaling_group_id"])
                )
        result = []
        for lb in self._elb_pages("list_load_balancers", ListLoadBalancersRequest, "loadbalancers"):
            mine = [
                p
                for p in pools
                if any(ref["id"] == lb["id"] for ref in p.get("loadbalancers") or [])
            ]
            out: list[Listener] = []
            backends: dict[tuple[str, int], Backend] = {}
            group_ids: list[str] = []
            for pool in mine:
                self._pool_balancer[pool["id"]] = lb["id"]
                native = str(pool.get("lb_algorithm") or "")
                for ref in pool.get("listeners") or []:
                    listener = listeners.get(ref["id"])
                    if listener is not None:
                        out.append(
                            Listener(
                                protocol=str(listener.get("protocol")),
                                port=int(listener.get("protocol_port") or 0),
                                algorithm=_ALGORITHMS.get(native, Algorithm.UNKNOWN),
                                native_algorithm=native,
                                id=str(listener["id"]),
                            )
                        )
                for member in self._elb_pages(
                    "list_members", ListMembersRequest, "members", pool_id=pool["id"]
                ):
                    key = (
                        str(member.get("instance_id") or member["id"]),
                        int(member.get("protocol_port") or 0),
                    )
                    status = str(member.get("operating_status") or "")
                    backends.setdefault(
                        key,
                        Backend(
                            id=key[0],
                            port=key[1],
                            weight=int(member.get("weight") or 0),
                            health=_MEMBER_HEALTH.get(status, Health.UNKNOWN),
                            zone=str(member.get("availability_zone") or ""),
                            native_health=status,
                        ),
                    )
                for gid in groups_by_pool.get(pool["id"], []):
                    if gid not in group_ids:
                        group_ids.append(gid)
            result.append(
                Balancer(
                    id=str(lb["id"]),
                    name=str(lb.get("name") or ""),
                    provider=PROVIDER,
                    listeners=tuple(sorted(out, key=lambda x: (x.port, x.protocol))),
                    backends=tuple(backends.values()),
                    region=self.region,
                    status=str(lb.get("provisioning_status") or "").lower() or "active",
                    group_ids=tuple(group_ids),
                )
            )
        return result

    # --- alarms ---------------------------------------------------------------------------------

    def _raw_alarms(self) -> list[dict[str, Any]]:
        """Every CES alarm, shared by the calls of one refresh."""
        result: list[dict[str, Any]] = self._snapshot.get("alarms", self._fetch_alarms)
        return result

    def _fetch_alarms(self) -> list[dict[str, Any]]:
        from huaweicloudsdkces.v1 import ListAlarmsRequest

        alarms: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            response = self.api.call(
                "ces", "list_alarms", ListAlarmsRequest(start=start, limit=CES_PAGE)
            )
            page = [clean(x.to_dict()) for x in response.metric_alarms or []]
            alarms.extend(page)
            meta = response.meta_data
            total = int(meta.total or 0) if meta is not None else 0
            start = meta.marker if meta is not None else None
            if not page or not start or len(alarms) >= total:
                return alarms

    def list_alarms(self) -> list[Alarm]:
        names = {g["scaling_group_id"]: g["scaling_group_name"] for g in self._raw_groups()}
        result = []
        for raw in self._raw_alarms():
            metric = raw.get("metric") or {}
            condition = raw.get("condition") or {}
            portable = codec.metric_of(str(metric.get("namespace")), str(metric.get("metric_name")))
            op = str(condition.get("comparison_operator") or ">")
            if op not in codec.COMPARISONS:
                log.debug("alarm %s: comparison %r has no portable form", raw.get("alarm_id"), op)
                continue
            group = next(
                (
                    names.get(d.get("value"), d.get("value"))
                    for d in metric.get("dimensions") or []
                    if d.get("name") == codec.GROUP_DIMENSION
                ),
                "",
            )
            count = int(condition.get("count") or 1)
            actions = tuple(str(a.get("type")) for a in raw.get("alarm_actions") or [])
            update = raw.get("update_time")
            result.append(
                Alarm(
                    id=str(raw["alarm_id"]),
                    name=str(raw.get("alarm_name") or ""),
                    provider=PROVIDER,
                    state=_ALARM_STATES.get(
                        str(raw.get("alarm_state")), AlarmState.INSUFFICIENT_DATA
                    ),
                    metric=portable or str(metric.get("metric_name")),
                    comparison=codec.COMPARISONS[op],
                    threshold=float(condition.get("value") or 0),
                    group=str(group or ""),
                    since=datetime.fromtimestamp(int(update) / 1000, UTC) if update else None,
                    period_s=codec.SECONDS.get(
                        int(condition.get("period") or 1), int(condition.get("period") or 60)
                    ),
                    evaluation_periods=count,
                    datapoints_to_alarm=count,
                    statistic=codec.STATISTICS.get(str(condition.get("filter")), Statistic.AVERAGE),
                    actions=actions,
                    managed_by="user",
                    native_metric=f"{metric.get('namespace')}/{metric.get('metric_name')}",
                )
            )
        return result

    # --- activities -----------------------------------------------------------------------------

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        from huaweicloudsdkas.v1 import ListScalingActivityLogsRequest

        raws = [self._find_group(group)] if group else self._raw_groups()
        result: list[Activity] = []
        for raw in raws:
            start = 0
            while len([a for a in result if a.group == raw["scaling_group_name"]]) < limit:
                response = self.api.call(
                    "as",
                    "list_scaling_activity_logs",
                    ListScalingActivityLogsRequest(
                        scaling_group_id=raw["scaling_group_id"],
                        start_number=start,
                        limit=min(AS_PAGE, limit),
                    ),
                )
                page = [clean(x.to_dict()) for x in response.scaling_activity_log or []]
                for row in page:
                    started = _time(row.get("start_time")) or self.now()
                    result.append(
                        Activity(
                            id=str(row["id"]),
                            group=str(raw["scaling_group_name"]),
                            status=_ACTIVITY_STATUS.get(
                                str(row.get("status")), ActivityStatus.IN_PROGRESS
                            ),
                            cause=str(row.get("description") or ""),
                            started_at=started,
                            ended_at=_time(row.get("end_time")),
                            description=str(row.get("description") or ""),
                            from_capacity=row.get("instance_value"),
                            to_capacity=row.get("desire_value"),
                        )
                    )
                start += len(page)
                if not page or start >= int(response.total_number or 0):
                    break
        result.sort(key=lambda a: a.started_at, reverse=True)
        return result[:limit]

    # --- rules ----------------------------------------------------------------------------------

    def raw_policies(self, group_id: str) -> list[dict[str, Any]]:
        from huaweicloudsdkas.v1 import ListScalingPoliciesRequest

        return list(
            self._as_pages(
                "list_scaling_policies",
                ListScalingPoliciesRequest,
                "scaling_policies",
                scaling_group_id=group_id,
            )
        )

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        raws = [self._find_group(group)] if group else self._raw_groups()
        alarms: dict[str, dict[str, Any]] | None = None
        rules: list[AnyRule] = []
        for raw in raws:
            for policy in self.raw_policies(str(raw["scaling_group_id"])):
                alarm = None
                if policy.get("scaling_policy_type") == "ALARM":
                    if alarms is None:
                        alarms = {a["alarm_id"]: a for a in self._raw_alarms()}
                    alarm = alarms.get(str(policy.get("alarm_id")))
                try:
                    rules.append(codec.rule_of(str(raw["scaling_group_name"]), policy, alarm))
                except (codec.Unexpressible, KeyError, ValueError) as err:
                    log.info("huawei policy skipped: %s", err)
        return rules

    # --- metrics --------------------------------------------------------------------------------

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        from huaweicloudsdkces.v1 import ShowMetricDataRequest

        namespace, metric_name, unit = (codec.METRICS | codec.DISPLAY_ONLY_METRICS).get(
            metric, ("", "", "")
        )
        if not namespace:
            raise NotFoundError("metric", metric, hint=f"known: {', '.join(sorted(METRICS))}")
        raw = self._find_group(group)
        end = self.now()
        # ShowMetricData periods: 1 (raw), 60, 300, 1200, 3600, 14400, 86400.
        period = min(
            (p for p in (60, 300, 1200, 3600, 14400, 86400) if p >= period_s), default=86400
        )
        response = self.api.call(
            "ces",
            "show_metric_data",
            ShowMetricDataRequest(
                namespace=namespace,
                metric_name=metric_name,
                dim_0=f"{codec.GROUP_DIMENSION},{raw['scaling_group_id']}",
                filter="average",
                period=period,
                _from=int((end - since).timestamp() * 1000),
                to=int(end.timestamp() * 1000),
            ),
        )
        points = []
        for dp in response.datapoints or []:
            points.append(
                MetricPoint(
                    at=datetime.fromtimestamp(int(dp.timestamp) / 1000, UTC),
                    value=None if dp.average is None else float(dp.average),
                )
            )
        points.sort(key=lambda p: p.at)
        return MetricSeries(
            group=str(raw["scaling_group_name"]),
            metric=metric,
            unit=METRICS.get(metric, unit),
            period_s=period,
            points=tuple(points),
        )

    def close(self) -> None:
        self.api.close()
