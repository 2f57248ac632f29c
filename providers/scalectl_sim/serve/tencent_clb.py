"""Tencent CLB (2018-03-17) actions of the emulator: balancers, listeners, target health."""

from __future__ import annotations

from typing import Any

from scalectl_tencent import mapping as m

from scalectl.core.model import Balancer, Health
from scalectl_sim.serve.tencent_wire import (
    ZONE_PREFIX,
    ApiBase,
    ApiError,
    ip_of,
    offset_page,
    short_id,
)


class ClbActions(ApiBase):
    """DescribeLoadBalancers, DescribeListeners, DescribeTargetHealth."""

    def _listeners_wire(self, lb: Balancer) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for index, listener in enumerate(lb.listeners):
            scheduler = m.SCHEDULER_TO_WIRE.get(listener.algorithm, "WRR")
            protocol = listener.protocol.upper()
            listener_id = self.ids.id("lbl", f"{lb.id}/{index}")
            layer7 = protocol in m.LAYER7
            rows.append(
                {
                    "ListenerId": listener_id,
                    "Protocol": protocol,
                    "Port": listener.port,
                    "Certificate": None,
                    "HealthCheck": None
                    if layer7
                    else {
                        "HealthSwitch": 1,
                        "TimeOut": 2,
                        "IntervalTime": 5,
                        "HealthNum": 3,
                        "UnHealthNum": 3,
                        "CheckType": "TCP",
                    },
                    "Scheduler": None if layer7 else scheduler,
                    "SessionExpireTime": None if layer7 else 0,
                    "SniSwitch": 0,
                    "Rules": [
                        {
                            "LocationId": self.ids.id("loc", f"{lb.id}/{index}"),
                            "Domain": f"{lb.name}.sim.local",
                            "Url": "/",
                            "SessionExpireTime": 0,
                            "HealthCheck": {
                                "HealthSwitch": 1,
                                "TimeOut": 2,
                                "IntervalTime": 5,
                                "HealthNum": 3,
                                "UnHealthNum": 3,
                                "HttpCode": 31,
                                "HttpCheckPath": "/health",
                                "CheckType": "HTTP",
                            },
                            "Certificate": None,
                            "Scheduler": scheduler,
                            "ListenerId": listener_id,
                            "HttpGzip": True,
                            "ForwardType": "HTTP",
                        }
                    ]
                    if layer7
                    else None,
                    "ListenerName": f"{protocol.lower()}-{listener.port}",
                    "CreateTime": "2024-01-01 00:00:00",
                    "EndPort": 0,
                    "TargetType": "NODE",
                    "SessionType": "NORMAL",
                    "KeepaliveEnable": 0,
                    "Toa": False,
                    "DeregisterTargetRst": False,
                }
            )
        return rows

    def _lb_wire(self, lb: Balancer) -> dict[str, Any]:
        return {
            "LoadBalancerId": self.ids.id("lb", lb.id),
            "LoadBalancerName": lb.name,
            "LoadBalancerType": "OPEN",
            "Forward": 1,
            "Domain": "",
            "LoadBalancerVips": [ip_of(lb.id)],
            "Status": 1 if lb.status == "active" else 0,
            "CreateTime": "2024-01-01 00:00:00",
            "StatusTime": "2024-01-01 00:00:00",
            "ProjectId": 0,
            "VpcId": short_id("vpc", "sim"),
            "OpenBgp": 0,
            "Snat": False,
            "Isolation": 0,
            "Log": "",
            "SubnetId": "",
            "Tags": [],
            "SecureGroups": [],
            "TargetRegionInfo": {"Region": self.region, "VpcId": short_id("vpc", "sim")},
            "AnycastZone": "",
            "AddressIPVersion": "ipv4",
            "NumericalVpcId": 1,
            "VipIsp": "BGP",
            "MasterZone": {
                "ZoneId": 100003,
                "Zone": f"{ZONE_PREFIX}-3",
                "ZoneName": "Guangzhou 3",
                "ZoneRegion": self.region,
                "LocalZone": False,
            },
            "BackupZoneSet": [],
            "IsolatedTime": "0000-00-00 00:00:00",
            "ExpireTime": "0000-00-00 00:00:00",
            "ChargeType": "POSTPAID_BY_HOUR",
            "NetworkAttributes": {
                "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                "InternetMaxBandwidthOut": 100,
            },
            "PrepaidAttributes": None,
            "LogSetId": "",
            "LogTopicId": "",
            "AddressIPv6": None,
            "ExtraInfo": None,
            "IsDDos": False,
            "ConfigId": "",
            "ExclusiveCluster": {"L4Clusters": None, "L7Clusters": None, "ClassicalCluster": None},
            "ClusterTag": None,
            "NfvInfo": "",
            "HealthLogSetId": "",
            "HealthLogTopicId": "",
            "ClusterIds": None,
            "LoadBalancerPassToTarget": True,
            "IPv6Mode": None,
            "SnatPro": False,
            "SnatIps": [],
            "SlaType": "shared",
            "IsBlock": False,
            "IsBlockTime": "0000-00-00 00:00:00",
            "LocalBgp": False,
            "MixIpTarget": False,
            "Zones": None,
            "AttributeFlags": [],
            "LoadBalancerDomain": f"{lb.name}.clb.sim.local",
            "Egress": "",
            "Exclusive": 0,
            "TargetCount": len(lb.backends),
        }

    def describe_balancers(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("LoadBalancerIds") or [])
        lbs = [lb for lb in self._balancers() if not wanted or self.ids.id("lb", lb.id) in wanted]
        page, total = offset_page(params, lbs)
        return {"TotalCount": total, "LoadBalancerSet": [self._lb_wire(lb) for lb in page]}

    def _balancer(self, native: str) -> Balancer:
        key = self._resolve(native, self._balancers, "LoadBalancer")
        for lb in self.reader.list_balancers():
            if lb.id == key:
                return lb
        raise ApiError(
            "ResourceNotFound.LoadBalancerNotFound", f"The load balancer `{native}` does not exist."
        )

    def describe_listeners(self, params: dict[str, Any]) -> dict[str, Any]:
        lb = self._balancer(str(params.get("LoadBalancerId")))
        rows = self._listeners_wire(lb)
        wanted = set(params.get("ListenerIds") or [])
        rows = [
            r
            for r in rows
            if (not wanted or r["ListenerId"] in wanted)
            and (not params.get("Protocol") or r["Protocol"] == params["Protocol"])
            and (not params.get("Port") or r["Port"] == params["Port"])
        ]
        return {"Listeners": rows, "TotalCount": len(rows)}

    def describe_target_health(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("LoadBalancerIds") or []
        if not ids or len(ids) > m.TARGET_HEALTH_BATCH:
            raise ApiError(
                "InvalidParameterValue",
                f"LoadBalancerIds takes 1 to {m.TARGET_HEALTH_BATCH} ids.",
            )
        out = []
        for native in ids:
            lb = self._balancer(str(native))
            targets = [
                {
                    "IP": ip_of(b.id),
                    "Port": b.port,
                    "HealthStatus": b.health is Health.HEALTHY,
                    "TargetId": self.ids.id("ins", b.id),
                    "HealthStatusDetail": m.TARGET_HEALTH_TO_WIRE[b.health],
                    "HealthStatusDetial": m.TARGET_HEALTH_TO_WIRE[b.health],
                    "TargetGroupId": None,
                    "Weight": b.weight,
                }
                for b in lb.backends
            ]
            listeners = []
            for wire in self._listeners_wire(lb):
                # Layer 4: one rule-like entry with a location id and no domain/url (documented).
                rules = wire["Rules"] or [
                    {
                        "LocationId": self.ids.id("loc", wire["ListenerId"]),
                        "Domain": None,
                        "Url": None,
                    }
                ]
                listeners.append(
                    {
                        "ListenerId": wire["ListenerId"],
                        "ListenerName": wire["ListenerName"],
                        "Protocol": wire["Protocol"],
                        "Port": wire["Port"],
                        "Rules": [
                            {
                                "LocationId": r["LocationId"],
                                "Domain": r["Domain"],
                                "Url": r["Url"],
                                "RuleId": r["LocationId"],
                                "Targets": targets,
                            }
                            for r in rules
                        ],
                    }
                )
            out.append(
                {
                    "LoadBalancerId": self.ids.id("lb", lb.id),
                    "LoadBalancerName": lb.name,
                    "Listeners": listeners,
                }
            )
        return {"LoadBalancers": out}
