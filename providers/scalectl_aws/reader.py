"""Every query against EC2 Auto Scaling, ELBv2 and CloudWatch, paged to the end.

A refresh (list_groups, list_balancers, list_alarms, list_rules in a row, possibly from several
TUI workers at once) shares the data it has in common (groups, target groups, alarms) through a
short-lived snapshot, so nothing is fetched twice per refresh. Writes drop the snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scalectl.core.errors import InputError, NotFoundError, guard_replies
from scalectl.core.model import (
    METRICS,
    RULE_KINDS,
    Activity,
    Alarm,
    Algorithm,
    Backend,
    Balancer,
    Group,
    MetricPoint,
    MetricSeries,
)
from scalectl.core.provider import Capabilities
from scalectl.core.snapshot import RefreshSnapshot as _Snapshot
from scalectl_aws import mapping
from scalectl_aws.errors import translated
from scalectl_aws.session import Clients

if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule

# Largest page sizes the APIs allow (botocore service models).
ASG_PAGE = 100  # DescribeAutoScalingGroups, DescribePolicies, DescribeScheduledActions, activities
ALARM_PAGE = 100  # DescribeAlarms
ELB_PAGE = 400  # DescribeLoadBalancers, DescribeTargetGroups, DescribeListeners
SNAPSHOT_TTL_S = 2.0

CAPABILITIES = Capabilities(
    rule_kinds=frozenset(RULE_KINDS),
    metrics=frozenset(mapping.ALARM_METRICS),
    composite_alarms=True,
    unsupported={
        "metric:memory": "EC2 reports no memory metric: it needs the CloudWatch agent, and "
        "target tracking has no predefined memory metric",
        "metric:latency_ms": "target tracking has no predefined latency metric on AWS",
        "metric:error_rate": "target tracking has no predefined error-rate metric on AWS",
        "scheduled:disabled": "scheduled actions cannot be disabled on AWS; delete the rule",
    },
)


def page(
    client: Any,
    operation: str,
    key: str,
    page_size: int | None = None,
    max_items: int | None = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a paged operation, with the largest page the API allows."""
    return pages(client, operation, (key,), page_size, max_items, **params)[key]


def pages(
    client: Any,
    operation: str,
    keys: Sequence[str],
    page_size: int | None = None,
    max_items: int | None = None,
    **params: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Every item under each of ``keys`` of a paged operation (DescribeAlarms pages metric and
    composite alarms together)."""
    config: dict[str, int] = {}
    if page_size is not None:
        config["PageSize"] = page_size
    if max_items is not None:
        config["MaxItems"] = max_items
    items: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    with translated():
        for response in client.get_paginator(operation).paginate(**params, PaginationConfig=config):
            for key in keys:
                items[key].extend(response.get(key, []))
    return items


@guard_replies(mapping.PROVIDER)
class AwsReader:
    name = "aws"

    def __init__(
        self,
        clients: Clients,
        *,
        snapshot_ttl_s: float = SNAPSHOT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.region = clients.region
        self._snapshot = _Snapshot(snapshot_ttl_s, clock)

    # -- shared raw data ---------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget the snapshot (after a write, the next read must see the change)."""
        self._snapshot.clear()

    def raw_groups(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._snapshot.get(
            "groups",
            lambda: page(
                self.clients.autoscaling,
                "describe_auto_scaling_groups",
                "AutoScalingGroups",
                ASG_PAGE,
            ),
        )
        return result

    def raw_group(self, group: str) -> dict[str, Any]:
        name = mapping.group_name_from_arn(group)
        cached = self._snapshot.peek("groups")
        found = [g for g in cached or [] if g["AutoScalingGroupName"] == name]
        if not found:
            with translated():
                found = self.clients.autoscaling.describe_auto_scaling_groups(
                    AutoScalingGroupNames=[name]
                )["AutoScalingGroups"]
        if not found:
            raise NotFoundError("group", group, hint=f"aws region {self.region}")
        return dict(found[0])

    def raw_target_groups(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._snapshot.get(
            "target_groups",
            lambda: page(self.clients.elbv2, "describe_target_groups", "TargetGroups", ELB_PAGE),
        )
        return result

    def _raw_alarm_pages(self) -> dict[str, list[dict[str, Any]]]:
        # Without AlarmTypes, DescribeAlarms returns metric alarms only (CloudWatch API reference).
        result: dict[str, list[dict[str, Any]]] = self._snapshot.get(
            "alarms",
            lambda: pages(
                self.clients.cloudwatch,
                "describe_alarms",
                ("MetricAlarms", "CompositeAlarms"),
                ALARM_PAGE,
                AlarmTypes=["CompositeAlarm", "MetricAlarm"],
            ),
        )
        return result

    def raw_alarms(self) -> list[dict[str, Any]]:
        return self._raw_alarm_pages()["MetricAlarms"]

    def raw_composite_alarms(self) -> list[dict[str, Any]]:
        return self._raw_alarm_pages()["CompositeAlarms"]

    def _balancers_by_target_group(self) -> dict[str, list[str]]:
        return {
            tg["TargetGroupArn"]: [
                mapping.balancer_name_from_arn(a) for a in tg.get("LoadBalancerArns", [])
            ]
            for tg in self.raw_target_groups()
        }

    def _balancer_ids(self, raw: dict[str, Any], by_tg: dict[str, list[str]] | None) -> list[str]:
        ids: list[str] = list(raw.get("LoadBalancerNames", []))  # classic load balancers
        for arn in raw.get("TargetGroupARNs", []):
            for name in (by_tg or {}).get(arn, []):
                if name not in ids:
                    ids.append(name)
        return ids

    def target_group_of(self, group: str) -> dict[str, Any]:
        """The one target group attached to ``group`` (ALB metrics need it)."""
        raw = self.raw_group(group)
        arns = raw.get("TargetGroupARNs", [])
        if len(arns) != 1:
            raise InputError(
                f"group {group!r} has {len(arns)} target groups; "
                "ALB request metrics need exactly one",
                field="metric",
            )
        for tg in self.raw_target_groups():
            if tg["TargetGroupArn"] == arns[0]:
                return tg
        raise NotFoundError("target group", arns[0])

    def resource_label(self, group: str) -> str:
        """app/<lb>/<id>/targetgroup/<tg>/<id>, as ALBRequestCountPerTarget requires."""
        tg = self.target_group_of(group)
        balancers = tg.get("LoadBalancerArns", [])
        if not balancers:
            raise InputError(
                f"the target group of {group!r} is not behind a load balancer", field="metric"
            )
        return (
            mapping.balancer_label(balancers[0])
            + "/"
            + mapping.target_group_label(tg["TargetGroupArn"])
        )

    # -- ProviderReader ------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    def now(self) -> datetime:
        return datetime.now(UTC)

    def identity(self) -> str:
        return self.clients.access_key_prefix()

    def list_groups(self) -> list[Group]:
        raws = self.raw_groups()
        # Target groups are fetched only when some group is attached to one.
        by_tg = (
            self._balancers_by_target_group()
            if any(r.get("TargetGroupARNs") for r in raws)
            else None
        )
        return [mapping.to_group(r, self.region, self._balancer_ids(r, by_tg)) for r in raws]

    def get_group(self, group: str) -> Group:
        raw = self.raw_group(group)
        by_tg = self._balancers_by_target_group() if raw.get("TargetGroupARNs") else None
        return mapping.to_group(raw, self.region, self._balancer_ids(raw, by_tg))

    def list_balancers(self) -> list[Balancer]:
        elbv2 = self.clients.elbv2
        balancers = page(elbv2, "describe_load_balancers", "LoadBalancers", ELB_PAGE)
        target_groups = {tg["TargetGroupArn"]: tg for tg in self.raw_target_groups()}
        groups_by_tg: dict[str, list[str]] = {}
        zones: dict[str, str] = {}  # instance targets carry no zone; their group knows it
        for raw in self.raw_groups():
            for arn in raw.get("TargetGroupARNs", []):
                groups_by_tg.setdefault(arn, []).append(raw["AutoScalingGroupName"])
            for instance in raw.get("Instances", []):
                zones[instance["InstanceId"]] = instance.get("AvailabilityZone", "")
        algorithms: dict[str, str] = {}
        health: dict[str, list[dict[str, Any]]] = {}
        used = {arn for arn, tg in target_groups.items() if tg.get("LoadBalancerArns")}
        with translated():
            for arn in sorted(used):
                attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)
                for attr in attributes.get("Attributes", []):
                    if attr["Key"] == "load_balancing.algorithm.type":
                        algorithms[arn] = attr["Value"]
                health[arn] = elbv2.describe_target_health(TargetGroupArn=arn).get(
                    "TargetHealthDescriptions", []
                )
        result = []
        for lb in balancers:
            lb_arn = lb["LoadBalancerArn"]
            listeners = page(
                elbv2, "describe_listeners", "Listeners", ELB_PAGE, LoadBalancerArn=lb_arn
            )
            tg_arns = [
                a for a, tg in target_groups.items() if lb_arn in tg.get("LoadBalancerArns", [])
            ]
            result.append(
                self._balancer(lb, listeners, tg_arns, algorithms, health, groups_by_tg, zones)
            )
        return result

    def _balancer(
        self,
        lb: dict[str, Any],
        listeners: list[dict[str, Any]],
        tg_arns: list[str],
        algorithms: dict[str, str],
        health: dict[str, list[dict[str, Any]]],
        groups_by_tg: dict[str, list[str]],
        zones: dict[str, str],
    ) -> Balancer:
        network = lb.get("Type") in ("network", "gateway")

        def algorithm_of(listener: dict[str, Any]) -> tuple[Algorithm, str]:
            for action in listener.get("DefaultActions", []):
                arn = action.get("TargetGroupArn") or next(
                    (
                        t["TargetGroupArn"]
                        for t in action.get("ForwardConfig", {}).get("TargetGroups", [])
                    ),
                    None,
                )
                if arn is None:
                    continue
                if network:
                    # NLBs have no algorithm attribute: they hash each flow to a target.
                    return Algorithm.FLOW_HASH, "flow_hash"
                native = algorithms.get(arn, "round_robin")
                return mapping.ALGORITHMS.get(native, Algorithm.UNKNOWN), native
            return Algorithm.UNKNOWN, ""

        built_listeners = []
        for listener in sorted(listeners, key=lambda item: item.get("Port", 0)):
            algorithm, native = algorithm_of(listener)
            built_listeners.append(mapping.to_listener(listener, algorithm, native))
        backends: dict[tuple[str, int], Backend] = {}
        for arn in tg_arns:
            for desc in health.get(arn, []):
                target = desc["Target"]
                state = desc.get("TargetHealth", {}).get("State", "")
                key = (target["Id"], int(target.get("Port", 0)))
                backends[key] = Backend(
                    id=target["Id"],
                    port=key[1],
                    weight=1,
                    health=mapping.target_health(state),
                    zone=target.get("AvailabilityZone") or zones.get(target["Id"], ""),
                    native_health=state,
                )
        group_ids: list[str] = []
        for arn in tg_arns:
            for name in groups_by_tg.get(arn, []):
                if name not in group_ids:
                    group_ids.append(name)
        return Balancer(
            id=lb["LoadBalancerName"],
            name=lb["LoadBalancerName"],
            provider=mapping.PROVIDER,
            listeners=tuple(built_listeners),
            backends=tuple(backends.values()),
            region=self.region,
            status=lb.get("State", {}).get("Code", "active"),
            group_ids=tuple(group_ids),
        )

    def list_alarms(self) -> list[Alarm]:
        metric = [mapping.to_alarm(a) for a in self.raw_alarms()]
        return metric + [mapping.to_composite_alarm(a) for a in self.raw_composite_alarms()]

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        params: dict[str, Any] = {}
        if group:
            params["AutoScalingGroupName"] = mapping.group_name_from_arn(group)
        raws = page(
            self.clients.autoscaling,
            "describe_scaling_activities",
            "Activities",
            min(max(limit, 1), ASG_PAGE),
            max_items=limit,
            **params,
        )
        return [mapping.to_activity(a) for a in raws]

    def raw_policies(self, group: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"AutoScalingGroupName": group} if group else {}
        return page(
            self.clients.autoscaling, "describe_policies", "ScalingPolicies", ASG_PAGE, **params
        )

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        name = mapping.group_name_from_arn(group) if group else None
        policies = self.raw_policies(name)
        params: dict[str, Any] = {"AutoScalingGroupName": name} if name else {}
        actions = page(
            self.clients.autoscaling,
            "describe_scheduled_actions",
            "ScheduledUpdateGroupActions",
            ASG_PAGE,
            **params,
        )
        needs_alarms = any(
            p.get("PolicyType", "SimpleScaling") in ("StepScaling", "SimpleScaling")
            for p in policies
        )
        alarms = self.raw_alarms() if needs_alarms else []
        from scalectl_aws import policies as native  # the rule schema loads with the rules

        rules: list[AnyRule] = []
        for policy in policies:
            rule = native.policy_to_rule(policy, alarms)
            if rule is not None:
                rules.append(rule)
        rules.extend(native.scheduled_to_rule(a) for a in actions)
        return sorted(rules, key=lambda r: (r.group, r.name))

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        if metric not in mapping.CHART_METRICS:
            raise InputError(
                f"unknown metric {metric!r}; AWS charts {', '.join(sorted(mapping.CHART_METRICS))}",
                field="metric",
            )
        name = mapping.group_name_from_arn(group)
        namespace, metric_name, dimension = mapping.CHART_METRICS[metric]
        if dimension == "tg":
            tg = self.target_group_of(name)
            dimensions = [
                {"Name": "TargetGroup", "Value": mapping.target_group_label(tg["TargetGroupArn"])}
            ]
            if metric == "latency_ms" and tg.get("LoadBalancerArns"):
                dimensions.append(
                    {
                        "Name": "LoadBalancer",
                        "Value": mapping.balancer_label(tg["LoadBalancerArns"][0]),
                    }
                )
        else:
            self.raw_group(name)  # a missing group is NotFound, not an empty chart
            dimensions = [{"Name": "AutoScalingGroupName", "Value": name}]
        end = self.now()
        query = {
            "Id": "m0",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": metric_name,
                    "Dimensions": dimensions,
                },
                "Period": period_s,
                "Stat": "Average",
            },
            "ReturnData": True,
        }
        # TargetResponseTime is in seconds; the portable latency metric is in milliseconds.
        scale = 1000.0 if metric == "latency_ms" else 1.0
        points: dict[datetime, float] = {}
        for result in page(
            self.clients.cloudwatch,
            "get_metric_data",
            "MetricDataResults",
            MetricDataQueries=[query],
            StartTime=end - since,
            EndTime=end,
            ScanBy="TimestampAscending",
        ):
            for at, value in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            ):
                stamp = mapping.utc(at)
                if stamp is not None:
                    points[stamp] = float(value) * scale
        return MetricSeries(
            group=name,
            metric=metric,
            unit=METRICS[metric],
            period_s=period_s,
            points=tuple(MetricPoint(at=at, value=points[at]) for at in sorted(points)),
        )

    def close(self) -> None:
        for client in (self.clients.autoscaling, self.clients.elbv2, self.clients.cloudwatch):
            close = getattr(client, "close", None)
            if close is not None:
                close()
