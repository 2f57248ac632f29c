"""SLB (2014-05-15) and CMS (2019-01-01) actions of the Alibaba emulator.

Shapes follow AlibabaCloudDocs/slb (DescribeLoadBalancers, DescribeLoadBalancerAttribute with its
historical ``ListenerPortsAndProtocal`` spelling beside ``ListenerPortsAndProtocol``, the
per-protocol listener attributes with ``Scheduler``, DescribeHealthStatus) and AlibabaCloudDocs/cms
DescribeMetricList (``Datapoints`` is a JSON *string*; paging by ``NextToken``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scalectl_alibaba import native

from scalectl.core.model import Balancer, Health
from scalectl_sim.serve import alibaba_ids as ids
from scalectl_sim.serve.alibaba import ApiError, Params, invalid, paged
from scalectl_sim.serve.alibaba_ess import NO_GROUP, group_name

if TYPE_CHECKING:
    from scalectl_sim.serve.alibaba import AlibabaApi

NO_LB = ApiError(
    404, "InvalidLoadBalancerId.NotFound", "The specified load balancer does not exist."
)
NO_LISTENER = ApiError(400, "InvalidParameter", "The specified listener does not exist.")
_HEALTH = {Health.HEALTHY: "normal", Health.UNHEALTHY: "abnormal", Health.UNKNOWN: "unavailable"}
_PROTOCOLS = ("http", "https", "tcp", "udp")


def _protocol(text: str) -> str:
    low = text.lower()
    return low if low in _PROTOCOLS else "tcp"


def _ip(key: str) -> str:
    digest = hashlib.blake2b(key.encode(), digest_size=2).digest()
    return f"192.168.{digest[0]}.{digest[1] or 1}"


def _balancers(api: AlibabaApi) -> dict[str, Balancer]:
    return {ids.balancer_id(b.id): b for b in api.reader.list_balancers()}


def _balancer(api: AlibabaApi, p: Params) -> tuple[str, Balancer]:
    lb = p.need("LoadBalancerId")
    found = _balancers(api).get(lb)
    if found is None:
        raise NO_LB
    return lb, found


def _summary(lb: str, balancer: Balancer, region: str) -> dict[str, Any]:
    return {
        "LoadBalancerId": lb,
        "LoadBalancerName": balancer.name,
        "LoadBalancerStatus": "active" if balancer.status.lower() == "active" else "inactive",
        "Address": _ip(lb),
        "AddressType": "intranet",
        "AddressIPVersion": "ipv4",
        "NetworkType": "vpc",
        "VpcId": "vpc-sim",
        "VSwitchId": "vsw-sim",
        "RegionId": region,
        "RegionIdAlias": region,
        "MasterZoneId": f"{region}-a",
        "SlaveZoneId": f"{region}-b",
        "PayType": "PayOnDemand",
        "InternetChargeType": "paybytraffic",
        "LoadBalancerSpec": "slb.s2.small",
    }


def describe_load_balancers(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number = p.integer("PageNumber", 1, low=1) or 1
    size = p.integer("PageSize", 10, low=1, high=100) or 10
    wanted = {x for x in (p.text("LoadBalancerId") or "").split(",") if x}
    items = [
        _summary(lb, balancer, region)
        for lb, balancer in sorted(_balancers(api).items(), key=lambda kv: kv[1].name)
        if not wanted or lb in wanted
    ]
    return {
        "TotalCount": len(items),
        "PageNumber": number,
        "PageSize": size,
        "LoadBalancers": {"LoadBalancer": paged(items, number, size)},
    }


def describe_load_balancer_attribute(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    lb, balancer = _balancer(api, p)
    ports = [
        {"ListenerPort": lst.port, "ListenerProtocol": _protocol(lst.protocol), "Description": ""}
        for lst in balancer.listeners
    ]
    return {
        **_summary(lb, balancer, region),
        "ListenerPorts": {"ListenerPort": [lst.port for lst in balancer.listeners]},
        "ListenerPortsAndProtocal": {
            "ListenerPortAndProtocal": [
                {"ListenerPort": x["ListenerPort"], "ListenerProtocal": x["ListenerProtocol"]}
                for x in ports
            ]
        },
        "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": ports},
        "BackendServers": {
            "BackendServer": [
                {
                    "ServerId": ids.instance_id(b.id),
                    "Weight": b.weight,
                    "Type": "ecs",
                    "ServerIp": _ip(b.id),
                    "Description": "",
                }
                for b in balancer.backends
            ]
        },
    }


def _listener_attribute(protocol: str) -> Any:
    def handler(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
        _, balancer = _balancer(api, p)
        port = p.integer("ListenerPort", low=1, high=65535)
        if port is None:
            raise invalid("ListenerPort")
        for lst in balancer.listeners:
            if lst.port == port and _protocol(lst.protocol) == protocol:
                native_name = lst.native_algorithm
                scheduler = (
                    native_name
                    if native_name in native.SCHEDULERS
                    else native.SCHEDULER_OF[lst.algorithm]
                )
                backend_port = balancer.backends[0].port if balancer.backends else port
                body: dict[str, Any] = {
                    "ListenerPort": port,
                    "BackendServerPort": backend_port,
                    "Bandwidth": -1,
                    "Status": "running",
                    "Scheduler": scheduler,
                    "HealthCheck": "on",
                    "Description": "",
                }
                if protocol in ("http", "https"):
                    body.update(XForwardedFor="on", StickySession="off", Gzip="on")
                return body
        raise NO_LISTENER

    return handler


def describe_health_status(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    _, balancer = _balancer(api, p)
    only = p.integer("ListenerPort", low=1, high=65535)
    rows = [
        {
            "ListenerPort": lst.port,
            "ServerId": ids.instance_id(b.id),
            "Port": b.port,
            "ServerIp": _ip(b.id),
            "ServerHealthStatus": _HEALTH[b.health],
            "Protocol": _protocol(lst.protocol),
            "EniHost": "",
        }
        for lst in balancer.listeners
        if only is None or lst.port == only
        for b in balancer.backends
    ]
    return {"BackendServers": {"BackendServer": rows}}


# -- CMS ---------------------------------------------------------------------------------------


def _ms(text: str, name: str) -> datetime:
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise invalid(name, "Use a millisecond timestamp or yyyy-MM-dd HH:mm:ss.") from None


def _metric_query(p: Params) -> tuple[str, int, list[str]]:
    """(portable metric, period, scaling group ids) of a CMS query on acs_ess_dashboard."""
    if p.need("Namespace") != "acs_ess_dashboard":
        raise invalid("Namespace", "The sim serves the acs_ess_dashboard namespace only.")
    metric = native.METRIC_FROM_NATIVE.get(p.need("MetricName"))
    if metric is None:
        raise ApiError(400, "ResourceNotFound", "The specified metric is not found.")
    period = p.integer("Period", 60, low=60) or 60
    if period % 60:
        raise invalid("Period", "It must be a multiple of 60.")
    try:
        dims = json.loads(p.need("Dimensions"))
    except json.JSONDecodeError:
        raise invalid("Dimensions", "It must be JSON.") from None
    rows = dims if isinstance(dims, list) else [dims]
    if not rows or not all(isinstance(d, dict) and "scalingGroupId" in d for d in rows):
        raise invalid("Dimensions", "Give the scalingGroupId dimension.")
    return metric, period, [str(d["scalingGroupId"]) for d in rows]


def _point(gid: str, at: datetime, value: float) -> dict[str, Any]:
    return {
        "timestamp": int(at.timestamp() * 1000),
        "userId": ids.ACCOUNT_ID,
        "scalingGroupId": gid,
        "Average": value,
        "Maximum": value,
        "Minimum": value,
    }


def _page(p: Params, points: list[dict[str, Any]], period: int) -> dict[str, Any]:
    length = p.integer("Length", 1000, low=1, high=1440) or 1000
    token = p.text("NextToken") or "0"
    if not token.isdigit():
        raise invalid("NextToken")
    offset = int(token)
    body: dict[str, Any] = {
        "Code": "200",
        "Success": True,
        "Period": str(period),
        "Datapoints": json.dumps(points[offset : offset + length]),
    }
    if offset + length < len(points):
        body["NextToken"] = str(offset + length)
    return body


def describe_metric_list(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    metric, period, gids = _metric_query(p)
    end = _ms(p.text("EndTime") or str(int(datetime.now(UTC).timestamp() * 1000)), "EndTime")
    start = _ms(
        p.text("StartTime") or str(int((end - timedelta(hours=1)).timestamp() * 1000)), "StartTime"
    )
    if start >= end:
        raise invalid("StartTime", "It must be earlier than EndTime.")
    points = []
    for gid in gids:
        series = api.reader.metric_series(group_name(api, gid), metric, end - start, period)
        points += [_point(gid, pt.at, pt.value) for pt in series.points if pt.value is not None]
    return _page(p, points, period)


def describe_metric_last(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    """The newest datapoint of each dimension (one call for many groups)."""
    metric, period, gids = _metric_query(p)
    # The sim keeps each group's newest CPU on the group itself: one read for every group,
    # stamped with the last complete minute, as its series shows it.
    sim_groups = {g.name: g.metric for g in api.reader.list_groups()}
    stamp = api.reader.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    points = []
    for gid in gids:
        found = ids.decode("asg", gid)
        if not found or found[0] not in sim_groups:
            raise NO_GROUP
        name = found[0]
        cached = sim_groups[name] if metric == "cpu" else None
        if cached is not None:
            points.append(_point(gid, stamp, cached))
            continue
        series = api.reader.metric_series(name, metric, timedelta(seconds=period * 5), period)
        known = [(pt.at, pt.value) for pt in series.points if pt.value is not None]
        if known:
            at, value = known[-1]
            points.append(_point(gid, at, value))
    return _page(p, points, period)


ACTIONS = {
    ("slb", "DescribeLoadBalancers"): describe_load_balancers,
    ("slb", "DescribeLoadBalancerAttribute"): describe_load_balancer_attribute,
    ("slb", "DescribeLoadBalancerHTTPListenerAttribute"): _listener_attribute("http"),
    ("slb", "DescribeLoadBalancerHTTPSListenerAttribute"): _listener_attribute("https"),
    ("slb", "DescribeLoadBalancerTCPListenerAttribute"): _listener_attribute("tcp"),
    ("slb", "DescribeLoadBalancerUDPListenerAttribute"): _listener_attribute("udp"),
    ("slb", "DescribeHealthStatus"): describe_health_status,
    ("cms", "DescribeMetricList"): describe_metric_list,
    ("cms", "DescribeMetricLast"): describe_metric_last,
}
