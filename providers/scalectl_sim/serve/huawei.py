"""`scalectl sim serve --api huawei`: a sim world through Huawei's AS v1, ELB v3 and CES v1 APIs.

Paths, parameter names, paging and response shapes follow the Huawei API reference (as mirrored by
the huaweicloudsdkas/-elb/-ces 3.1 models); every request must carry a valid SDK-HMAC-SHA256
signature (huawei_sign). Reads come from the sim reader, writes go to the sim writer, so scaling
through this API changes the world and the world's own autoscaler keeps running behind it.

What the sim holds that Huawei cannot express (target tracking, step and predictive rules,
scheduled rules that set min/max, alarms counting more than 5 periods) is not shown as a policy:
Huawei's API has no way to say it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qsl

from scalectl_huawei import codec

from scalectl.core.errors import NotFoundError, ProviderError, RefusedError, ScalectlError
from scalectl.core.model import (
    Activity,
    ActivityStatus,
    Alarm,
    Algorithm,
    Balancer,
    Group,
    Health,
    Instance,
    InstanceState,
)
from scalectl.core.provider import ProviderReader, ProviderWriter
from scalectl.core.rules import ScheduledRule, SimpleRule
from scalectl_sim.serve import huawei_ids as ids
from scalectl_sim.serve.common import EmulatorServer, FaultReplies, Reply, Request
from scalectl_sim.serve.huawei_sign import verify

AS_MAX_LIMIT = 100  # AS v1 list APIs: limit 0-100, default 20
AS_DEFAULT_LIMIT = 20
ELB_MAX_LIMIT = 2000  # ELB v3 list APIs: limit 0-2000, default 2000
CES_MAX_LIMIT = 100  # CES v1 ListAlarms: limit (0,100], default 100

_INSTANCE_STATES = {
    InstanceState.PENDING: "PENDING",
    InstanceState.IN_SERVICE: "INSERVICE",
    InstanceState.STANDBY: "STANDBY",
    InstanceState.TERMINATING: "REMOVING",
    InstanceState.TERMINATED: "REMOVING",
}
# The vendor's spelling: INITAILIZING.
_INSTANCE_HEALTH = {
    Health.HEALTHY: "NORMAL",
    Health.UNHEALTHY: "ERROR",
    Health.UNKNOWN: "INITAILIZING",
}
_MEMBER_HEALTH = {
    Health.HEALTHY: "ONLINE",
    Health.UNHEALTHY: "OFFLINE",
    Health.UNKNOWN: "INITIAL",  # registering or draining
}
# ELB v3 has ROUND_ROBIN and LEAST_CONNECTIONS (both weighted), SOURCE_IP, QUIC_CID and, in some
# regions, tuple hashes. Sim algorithms Huawei lacks are shown as the closest Huawei one.
_ALGORITHMS = {
    Algorithm.ROUND_ROBIN: "ROUND_ROBIN",
    Algorithm.WEIGHTED_ROUND_ROBIN: "ROUND_ROBIN",
    Algorithm.RANDOM: "ROUND_ROBIN",
    Algorithm.WEIGHTED_RANDOM: "ROUND_ROBIN",
    Algorithm.LEAST_CONNECTIONS: "LEAST_CONNECTIONS",
    Algorithm.WEIGHTED_LEAST_CONNECTIONS: "LEAST_CONNECTIONS",
    Algorithm.LEAST_OUTSTANDING_REQUESTS: "LEAST_CONNECTIONS",
    Algorithm.SOURCE_IP_HASH: "SOURCE_IP",
    Algorithm.QUIC_CID_HASH: "QUIC_CID",
    Algorithm.FOUR_TUPLE_HASH: "5_TUPLE_HASH",
    Algorithm.FLOW_HASH: "5_TUPLE_HASH",
}
_ACTIVITY_STATUS = {
    ActivityStatus.IN_PROGRESS: "DOING",
    ActivityStatus.SUCCESSFUL: "SUCCESS",
    ActivityStatus.FAILED: "FAIL",
    ActivityStatus.CANCELLED: "FAIL",
    ActivityStatus.REJECTED: "FAIL",
}
_EPOCH_TIME = "%Y-%m-%dT%H:%M:%SZ"


class ApiError(Exception):
    """An error reply in the AS/ELB/CES envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _utc(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime(_EPOCH_TIME) if when else None


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _request_id() -> str:
    return uuid.uuid4().hex


def _service(path: str) -> str:
    if path.startswith("/v3/"):
        return "elb"
    if path.startswith("/V1.0/"):
        return "ces"
    return "as"


def error_reply(
    service: str, status: int, code: str, message: str, *, gateway: bool = False
) -> Reply:
    """AS and CES: {"error": {"code", "message"}}; ELB and API Gateway: error_code/error_msg."""
    request_id = _request_id()
    if gateway or service == "elb":
        body: dict[str, Any] = {"error_code": code, "error_msg": message, "request_id": request_id}
    else:
        body = {"error": {"code": code, "message": message}}
    return Reply.json(status, body, **{"X-Request-Id": request_id})


class HuaweiFaults(FaultReplies):
    """Injected faults worded as Huawei's API Gateway and services word them."""

    def reply(self, kind: str, action: str) -> Reply:
        service = _ACTION_SERVICE.get(action, "as")
        if kind == "throttle":
            return error_reply(
                service,
                429,
                "APIGW.0308",
                "The throttling threshold has been reached: policy user over ratelimit",
                gateway=True,
            )
        if kind == "auth":
            return error_reply(
                service,
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: verify aksk signature fail",
                gateway=True,
            )
        if kind == "503":
            return error_reply(service, 503, "APIGW.0202", "Backend unavailable", gateway=True)
        return error_reply(
            service, 500, "AS.0001" if service == "as" else "SYS.0500", "System error."
        )


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    action: str
    service: str


def _route(method: str, path: str, action: str) -> _Route:
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
    return _Route(method, re.compile(regex), action, _service(path))


_AS = "/autoscaling-api/v1/{project_id}"
_ROUTES = (
    _route("GET", _AS + "/scaling_group", "ListScalingGroups"),
    _route("GET", _AS + "/scaling_group/{group_id}", "ShowScalingGroup"),
    _route("PUT", _AS + "/scaling_group/{group_id}", "UpdateScalingGroup"),
    _route("POST", _AS + "/scaling_group/{group_id}/action", "ScalingGroupAction"),
    _route("GET", _AS + "/scaling_group_instance/{group_id}/list", "ListScalingInstances"),
    _route("GET", _AS + "/scaling_policy/{group_id}/list", "ListScalingPolicies"),
    _route("POST", _AS + "/scaling_policy", "CreateScalingPolicy"),
    _route("PUT", _AS + "/scaling_policy/{policy_id}", "UpdateScalingPolicy"),
    _route("DELETE", _AS + "/scaling_policy/{policy_id}", "DeleteScalingPolicy"),
    _route("POST", _AS + "/scaling_policy/{policy_id}/action", "ScalingPolicyAction"),
    _route("GET", _AS + "/scaling_activity_log/{group_id}", "ListScalingActivityLogs"),
    _route("GET", "/v3/{project_id}/elb/loadbalancers", "ListLoadBalancers"),
    _route("GET", "/v3/{project_id}/elb/listeners", "ListListeners"),
    _route("GET", "/v3/{project_id}/elb/pools", "ListPools"),
    _route("GET", "/v3/{project_id}/elb/pools/{pool_id}/members", "ListMembers"),
    _route("GET", "/V1.0/{project_id}/alarms", "ListAlarms"),
    _route("POST", "/V1.0/{project_id}/alarms", "CreateAlarm"),
    _route("PUT", "/V1.0/{project_id}/alarms/{alarm_id}", "UpdateAlarm"),
    _route("DELETE", "/V1.0/{project_id}/alarms/{alarm_id}", "DeleteAlarm"),
    _route("GET", "/V1.0/{project_id}/metric-data", "ShowMetricData"),
)
_ACTION_SERVICE = {r.action: r.service for r in _ROUTES}


def _match(request: Request) -> tuple[_Route, dict[str, str]] | None:
    for route in _ROUTES:
        if route.method != request.method:
            continue
        found = route.pattern.match(request.path)
        if found:
            return route, found.groupdict()
    return None


def _page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], int, int]:
    """AS v1 paging: start_number from 0, limit default 20 and at most 100."""
    try:
        start = int(query.get("start_number", "0"))
    except ValueError:
        start = -1
    if start < 0:
        raise ApiError(400, "AS.1001", "The value of parameter Start number is invalid.")
    try:
        limit = int(query.get("limit", str(AS_DEFAULT_LIMIT)))
    except ValueError:
        limit = -1
    if not 0 <= limit <= AS_MAX_LIMIT:
        raise ApiError(400, "AS.1002", "The value of parameter Limit is invalid.")
    return items[start : start + limit], start, limit


def _marker_page(
    items: list[dict[str, Any]], query: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """ELB v3 paging: marker = id of the last item of the previous page; limit 0-2000."""
    try:
        limit = int(query.get("limit", str(ELB_MAX_LIMIT)))
    except ValueError:
        limit = -1
    if not 0 <= limit <= ELB_MAX_LIMIT:
        raise ApiError(400, "ELB.8902", "Invalid limit.")
    start = 0
    marker = query.get("marker")
    if marker:
        positions = [i for i, item in enumerate(items) if item["id"] == marker]
        if not positions:
            raise ApiError(400, "ELB.8902", f"Invalid marker {marker}.")
        start = positions[0] + 1
    page = items[start : start + limit]
    info: dict[str, Any] = {"current_count": len(page)}
    if page:
        info["previous_marker"] = page[0]["id"]
    if page and start + limit < len(items):
        info["next_marker"] = page[-1]["id"]
    return page, info


def _ip(key: str) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    return f"192.168.{digest[0]}.{max(2, digest[1] % 254)}"


class _Memo:
    """Memoizes a reader's calls for the span of one request."""

    def __init__(self, reader: ProviderReader) -> None:
        self._reader = reader
        self._cache: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._reader, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._cache:
                self._cache[key] = target(*args, **kwargs)
            return self._cache[key]

        return call


class HuaweiEmulator:
    """Routes Huawei requests to the sim; holds only what CES keeps that the sim does not."""

    def __init__(
        self,
        reader: ProviderReader,
        writer: ProviderWriter,
        *,
        access_key_id: str,
        access_key_secret: str,
    ) -> None:
        self._source = reader
        self.reader: ProviderReader = reader
        self.writer = writer
        self._ak = access_key_id
        self._sk = access_key_secret
        self._lock = threading.RLock()
        # CES alarms created through CreateAlarm that no policy uses yet: alarm id -> body.
        self._free_alarms: dict[str, dict[str, Any]] = {}
        # Alarms bound to a sim simple rule: (group, rule) -> (alarm id, alarm name).
        self._bound: dict[tuple[str, str], tuple[str, str]] = {}
        self._handlers: dict[str, Callable[[dict[str, str], dict[str, str], Any], Any]] = {
            "ListScalingGroups": self._list_groups,
            "ShowScalingGroup": self._show_group,
            "UpdateScalingGroup": self._update_group,
            "ScalingGroupAction": self._group_action,
            "ListScalingInstances": self._list_instances,
            "ListScalingPolicies": self._list_policies,
            "CreateScalingPolicy": self._create_policy,
            "UpdateScalingPolicy": self._update_policy,
            "DeleteScalingPolicy": self._delete_policy,
            "ScalingPolicyAction": self._policy_action,
            "ListScalingActivityLogs": self._list_activities,
            "ListLoadBalancers": self._list_balancers,
            "ListListeners": self._list_listeners,
            "ListPools": self._list_pools,
            "ListMembers": self._list_members,
            "ListAlarms": self._list_alarms,
            "CreateAlarm": self._create_alarm,
            "UpdateAlarm": self._update_alarm,
            "DeleteAlarm": self._delete_alarm,
            "ShowMetricData": self._metric_data,
        }

    # --- plumbing -------------------------------------------------------------------------------

    def action_of(self, request: Request) -> str:
        found = _match(request)
        return found[0].action if found else "Unknown"

    def handle(self, request: Request) -> Reply:
        service = _service(request.path)
        problem = verify(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            access_key_id=self._ak,
            access_key_secret=self._sk,
        )
        if problem is not None:
            return error_reply(service, 401, "APIGW.0301", problem.message, gateway=True)
        found = _match(request)
        if found is None:
            return error_reply(
                service,
                404,
                "APIGW.0101",
                "The API does not exist or has not been published in the environment",
                gateway=True,
            )
        route, params = found
        if params.get("project_id", "{project_id}") in ("", "{project_id}"):
            return error_reply(service, 400, "AS.0008", "Incorrect ProjectID.")
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return error_reply(service, 400, "AS.0022", "request body error")
        try:
            with self._lock:
                # One consistent, cheap view of the world per request: the sim reader loads its
                # state on every call.
                self.reader = cast(ProviderReader, _Memo(self._source))
                try:
                    payload = self._handlers[route.action](params, query, body)
                finally:
                    self.reader = self._source
        except ApiError as err:
            return error_reply(service, err.status, err.code, err.message)
        except NotFoundError as err:
            return error_reply(
                service, 404, "AS.0007", f"The requested resource [{err.name}] could not be found."
            )
        except RefusedError as err:
            return error_reply(
                service, 400, "AS.0026" if "cooldown" in err.reason else "AS.0022", err.reason
            )
        except ProviderError as err:
            return error_reply(service, err.http_status or 400, err.code or "AS.0022", err.message)
        except (ScalectlError, ValueError) as err:
            return error_reply(service, 400, "AS.0022", str(err))
        request_id = _request_id()
        status = 204 if payload is None else 200
        reply = Reply.json(
            status, payload if payload is not None else {}, **{"X-Request-Id": request_id}
        )
        if payload is None:
            reply.body = b""
        return reply

    # --- lookups --------------------------------------------------------------------------------

    def _groups(self) -> list[Group]:
        return sorted(self.reader.list_groups(), key=lambda g: g.name)

    def _group_name(self, group_id: str) -> str:
        for group in self.reader.list_groups():
            if ids.group_id(group.name) == group_id:
                return group.name
        raise ApiError(404, "AS.0007", f"The requested resource [{group_id}] could not be found.")

    def _rules(self, group: str) -> list[SimpleRule | ScheduledRule]:
        """The group's sim rules that Huawei AS can express, by name."""
        shown: list[SimpleRule | ScheduledRule] = []
        for rule in self.reader.list_rules(group):
            if isinstance(rule, SimpleRule):
                problems = codec.simple_problems(rule)
            elif isinstance(rule, ScheduledRule):
                problems = codec.scheduled_problems(rule)
            else:
                continue
            if not problems:
                shown.append(rule)
        return sorted(shown, key=lambda r: r.name)

    def _policy_owner(self, policy_id: str) -> tuple[str, SimpleRule | ScheduledRule]:
        for group in self.reader.list_groups():
            for rule in self._rules(group.name):
                if ids.policy_id(group.name, rule.name) == policy_id:
                    return group.name, rule
        raise ApiError(404, "AS.0007", f"The requested resource [{policy_id}] could not be found.")

    def _rule_alarm_id(self, rule: SimpleRule) -> tuple[str, str]:
        return self._bound.get(
            (rule.group, rule.name),
            (ids.alarm_id("rule", rule.group, rule.name), f"{rule.group}-{rule.name}"),
        )

    # --- AS: groups -----------------------------------------------------------------------------

    def _group_json(self, group: Group) -> dict[str, Any]:
        listeners = []
        for balancer in self.reader.list_balancers():
            if balancer.id in group.balancer_ids:
                for listener in balancer.listeners:
                    listeners.append(
                        {
                            "listener_id": ids.listener_id(balancer.id, listener.port),
                            "pool_id": ids.pool_id(balancer.id, listener.port),
                            "protocol_port": _backend_port(balancer),
                            "weight": 1,
                        }
                    )
        status = "PAUSED" if group.suspended else "INSERVICE"
        created = group.created_at or self.reader.now()
        return {
            "scaling_group_name": group.name,
            "scaling_group_id": ids.group_id(group.name),
            "scaling_group_status": status,
            "scaling_configuration_id": ids.uid("config", group.name),
            "scaling_configuration_name": f"as-config-{group.name}",
            "current_instance_number": group.in_service + group.pending,
            "desire_instance_number": group.desired,
            "min_instance_number": group.min,
            "max_instance_number": group.max,
            "cool_down_time": group.default_cooldown_s,
            "lbaas_listeners": listeners,
            "available_zones": list(group.zones),
            "networks": [{"id": ids.uid("subnet", "shop")}],
            "security_groups": [{"id": ids.uid("secgroup", "shop")}],
            "create_time": _utc(created),
            "vpc_id": ids.uid("vpc", "shop"),
            "detail": "",
            "is_scaling": bool(group.pending or group.terminating),
            "health_periodic_audit_method": "ELB_AUDIT" if listeners else "NOVA_AUDIT",
            "health_periodic_audit_time": 5,
            "health_periodic_audit_grace_period": 600,
            "instance_terminate_policy": "OLD_CONFIG_OLD_INSTANCE",
            "delete_publicip": False,
            "delete_volume": False,
            "enterprise_project_id": "0",
            "multi_az_priority_policy": "EQUILIBRIUM_DISTRIBUTE",
            "description": "",
        }

    def _list_groups(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        groups = self._groups()
        if "scaling_group_name" in query:  # documented as a fuzzy match
            groups = [g for g in groups if query["scaling_group_name"] in g.name]
        if "scaling_group_status" in query:
            groups = [
                g
                for g in groups
                if ("PAUSED" if g.suspended else "INSERVICE") == query["scaling_group_status"]
            ]
        page, start, limit = _page(groups, query)
        return {
            "total_number": len(groups),
            "start_number": start,
            "limit": limit,
            "scaling_groups": [self._group_json(g) for g in page],
        }

    def _show_group(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        return {"scaling_group": self._group_json(self.reader.get_group(name))}

    def _update_group(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        group = self.reader.get_group(name)
        lo = int(body.get("min_instance_number", group.min))
        hi = int(body.get("max_instance_number", group.max))
        desired = body.get("desire_instance_number")
        if not 0 <= lo <= hi:
            raise ApiError(
                400, "AS.0022", "min_instance_number must not exceed max_instance_number."
            )
        if desired is not None and not lo <= int(desired) <= hi:
            raise ApiError(
                400,
                "AS.0022",
                "desire_instance_number must be between "
                "min_instance_number and max_instance_number.",
            )
        if (lo, hi) != (group.min, group.max):
            self.writer.set_bounds(
                name, min_size=lo, max_size=hi, desired=None if desired is None else int(desired)
            )
        elif desired is not None and int(desired) != group.desired:
            self.writer.set_desired(
                name,
                int(desired),
                honor_cooldown=False,
                reason="UpdateScalingGroup desire_instance_number",
            )
        return {"scaling_group_id": params["group_id"]}

    def _group_action(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        action = body.get("action")
        if action == "pause":
            self.writer.suspend(name)
        elif action == "resume":
            self.writer.resume(name)
        else:
            raise ApiError(400, "AS.0022", "request body error: action must be resume or pause")
        return None

    def _list_instances(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        group = self.reader.get_group(name)
        rows = [
            self._instance_json(group, i)
            for i in group.instances
            if i.state is not InstanceState.TERMINATED
        ]
        for key in ("life_cycle_state", "health_status"):
            if key in query:
                rows = [r for r in rows if r[key] == query[key]]
        page, start, limit = _page(rows, query)
        return {
            "total_number": len(rows),
            "start_number": start,
            "limit": limit,
            "scaling_group_instances": page,
        }

    def _instance_json(self, group: Group, instance: Instance) -> dict[str, Any]:
        return {
            "instance_id": ids.instance_id(instance.id),
            "instance_name": instance.id,
            "scaling_group_id": ids.group_id(group.name),
            "scaling_group_name": group.name,
            "life_cycle_state": _INSTANCE_STATES[instance.state],
            "health_status": _INSTANCE_HEALTH[instance.health],
            "scaling_configuration_name": f"as-config-{group.name}",
            "scaling_configuration_id": ids.uid("config", group.name),
            "create_time": _utc(instance.launched_at or self.reader.now()),
            "protect_from_scaling_down": instance.protected,
        }

    # --- AS: policies ---------------------------------------------------------------------------

    def _policy_json(self, group: str, rule: SimpleRule | ScheduledRule) -> dict[str, Any]:
        alarm_id = self._rule_alarm_id(rule)[0] if isinstance(rule, SimpleRule) else None
        policy = codec.policy_body(rule, alarm_id)
        policy.update(
            {
                "scaling_group_id": ids.group_id(group),
                "scaling_policy_id": ids.policy_id(group, rule.name),
                "policy_status": "INSERVICE" if rule.enabled else "PAUSED",
                "create_time": _utc(self.reader.now()),
            }
        )
        policy.setdefault("scheduled_policy", {})
        if alarm_id is None:
            policy.pop("alarm_id", None)
        return policy

    def _list_policies(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        rows = [self._policy_json(name, r) for r in self._rules(name)]
        for key in ("scaling_policy_name", "scaling_policy_type", "scaling_policy_id"):
            if key in query:
                rows = [r for r in rows if r[key] == query[key]]
        page, start, limit = _page(rows, query)
        return {
            "total_number": len(rows),
            "start_number": start,
            "limit": limit,
            "scaling_policies": page,
        }

    def _alarm_for(self, alarm_id: str) -> tuple[dict[str, Any], tuple[str, str] | None]:
        """The CES alarm body by id, and the (group, rule) it is bound to, if any."""
        if alarm_id in self._free_alarms:
            return self._free_alarms[alarm_id], None
        for group in self.reader.list_groups():
            for rule in self._rules(group.name):
                if isinstance(rule, SimpleRule) and self._rule_alarm_id(rule)[0] == alarm_id:
                    body = codec.alarm_body(rule, ids.group_id(group.name))
                    body["alarm_name"] = self._rule_alarm_id(rule)[1]
                    return body, (group.name, rule.name)
        raise ApiError(404, "AS.0007", f"The requested resource [{alarm_id}] could not be found.")

    def _rule_from(
        self, group: str, policy: dict[str, Any], enabled: bool
    ) -> SimpleRule | ScheduledRule:
        alarm = None
        if policy.get("scaling_policy_type") == "ALARM":
            alarm, bound = self._alarm_for(str(policy.get("alarm_id")))
            if bound is not None and bound != (group, policy["scaling_policy_name"]):
                raise ApiError(400, "AS.0022", "the alarm is used by another policy")
        try:
            rule = codec.rule_of(
                group, {**policy, "policy_status": "INSERVICE" if enabled else "PAUSED"}, alarm
            )
        except (codec.Unexpressible, KeyError, ValueError) as err:
            raise ApiError(400, "AS.0022", f"request body error: {err}") from None
        return rule

    def _bind(self, rule: SimpleRule | ScheduledRule, alarm_id: str | None) -> None:
        if isinstance(rule, SimpleRule) and alarm_id in self._free_alarms:
            alarm = self._free_alarms.pop(alarm_id)
            self._bound[(rule.group, rule.name)] = (alarm_id, str(alarm.get("alarm_name", "")))

    def _create_policy(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        group = self._group_name(str(body.get("scaling_group_id")))
        name = str(body.get("scaling_policy_name") or "")
        if any(r.name == name for r in self.reader.list_rules(group)):
            raise ApiError(400, "AS.0022", f"The scaling policy name [{name}] already exists.")
        rule = self._rule_from(group, body, enabled=True)
        self.writer.put_rule(rule)
        self._bind(rule, body.get("alarm_id"))
        return {"scaling_policy_id": ids.policy_id(group, name)}

    def _update_policy(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        group, current = self._policy_owner(params["policy_id"])
        merged = self._policy_json(group, current)
        merged.update({k: v for k, v in body.items() if v is not None})
        if merged["scaling_policy_name"] != current.name:
            raise ApiError(400, "AS.0022", "renaming a policy is not supported by the emulator")
        rule = self._rule_from(group, merged, enabled=current.enabled)
        old_binding = self._bound.get((group, current.name))
        self.writer.put_rule(rule)
        if body.get("alarm_id") and (old_binding is None or old_binding[0] != body["alarm_id"]):
            self._bound.pop((group, current.name), None)
            self._bind(rule, body["alarm_id"])
        return {"scaling_policy_id": params["policy_id"]}

    def _delete_policy(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        group, rule = self._policy_owner(params["policy_id"])
        if isinstance(rule, SimpleRule):
            # The CES alarm outlives the policy, as in Cloud Eye.
            alarm_id, alarm_name = self._rule_alarm_id(rule)
            alarm = codec.alarm_body(rule, ids.group_id(group))
            alarm["alarm_name"] = alarm_name
            self._free_alarms[alarm_id] = alarm
            self._bound.pop((group, rule.name), None)
        self.writer.delete_rule(group, rule.name)
        return None

    def _policy_action(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        group, rule = self._policy_owner(params["policy_id"])
        action = body.get("action")
        if action == "execute":
            if not rule.enabled:
                raise ApiError(400, "AS.0022", "The scaling policy is not in the INSERVICE state.")
            self.writer.execute_rule(group, rule.name, honor_cooldown=False)
        elif action in ("pause", "resume"):
            self.writer.put_rule(rule.model_copy(update={"enabled": action == "resume"}))
        else:
            raise ApiError(
                400, "AS.0022", "request body error: action must be execute, resume or pause"
            )
        return None

    # --- AS: activity logs ----------------------------------------------------------------------

    def _list_activities(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        name = self._group_name(params["group_id"])
        activities = self.reader.list_activities(name, limit=10_000)
        rows = [self._activity_json(a) for a in activities]
        page, start, limit = _page(rows, query)
        return {
            "total_number": len(rows),
            "start_number": start,
            "limit": limit,
            "scaling_activity_log": page,
        }

    def _activity_json(self, activity: Activity) -> dict[str, Any]:
        before, after = activity.from_capacity, activity.to_capacity
        return {
            "id": ids.activity_id(activity.id),
            "status": _ACTIVITY_STATUS[activity.status],
            "start_time": _utc(activity.started_at),
            "end_time": _utc(activity.ended_at),
            "instance_value": before if before is not None else 0,
            "desire_value": after if after is not None else 0,
            "scaling_value": abs((after or 0) - (before or 0)),
            "description": activity.cause,
            "instance_added_list": "",
            "instance_removed_list": "",
            "instance_deleted_list": "",
        }

    # --- ELB v3 ---------------------------------------------------------------------------------

    def _balancers(self) -> list[Balancer]:
        return sorted(self.reader.list_balancers(), key=lambda b: ids.balancer_id(b.id))

    def _list_balancers(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        now = _utc(self.reader.now())
        rows = []
        for b in self._balancers():
            rows.append(
                {
                    "id": ids.balancer_id(b.id),
                    "name": b.name,
                    "description": "",
                    "provisioning_status": "ACTIVE",
                    "operating_status": "ONLINE",
                    "admin_state_up": True,
                    "provider": "vlb",
                    "project_id": params["project_id"],
                    "listeners": [{"id": ids.listener_id(b.id, lst.port)} for lst in b.listeners],
                    "pools": [{"id": ids.pool_id(b.id, lst.port)} for lst in b.listeners],
                    "vip_address": _ip(b.id),
                    "vip_subnet_cidr_id": ids.uid("subnet", "shop"),
                    "vpc_id": ids.uid("vpc", "shop"),
                    "availability_zone_list": sorted({be.zone for be in b.backends if be.zone}),
                    "guaranteed": True,
                    "eips": [],
                    "created_at": now,
                    "updated_at": now,
                    "enterprise_project_id": "0",
                }
            )
        page, info = _marker_page(rows, query)
        return {"loadbalancers": page, "page_info": info, "request_id": _request_id()}

    def _list_listeners(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        rows = []
        for b in self._balancers():
            for lst in b.listeners:
                rows.append(
                    {
                        "id": ids.listener_id(b.id, lst.port),
                        "name": lst.id or f"listener-{lst.port}",
                        "protocol": lst.protocol.upper(),
                        "protocol_port": lst.port,
                        "default_pool_id": ids.pool_id(b.id, lst.port),
                        "loadbalancers": [{"id": ids.balancer_id(b.id)}],
                        "admin_state_up": True,
                        "project_id": params["project_id"],
                        "description": "",
                    }
                )
        rows = _filter_list(rows, query, {"loadbalancer_id": lambda r: r["loadbalancers"][0]["id"]})
        page, info = _marker_page(rows, query)
        return {"listeners": page, "page_info": info, "request_id": _request_id()}

    def _list_pools(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        rows = []
        for b in self._balancers():
            for lst in b.listeners:
                pool = ids.pool_id(b.id, lst.port)
                rows.append(
                    {
                        "id": pool,
                        "name": f"pool-{lst.id or lst.port}",
                        "lb_algorithm": _ALGORITHMS.get(lst.algorithm, "ROUND_ROBIN"),
                        "protocol": lst.protocol.upper(),
                        "listeners": [{"id": ids.listener_id(b.id, lst.port)}],
                        "loadbalancers": [{"id": ids.balancer_id(b.id)}],
                        "members": [
                            {"id": ids.member_id(b.id, lst.port, be.id)} for be in b.backends
                        ],
                        "admin_state_up": True,
                        "ip_version": "v4",
                        "project_id": params["project_id"],
                        "description": "",
                        "type": "instance",
                    }
                )
        rows = _filter_list(rows, query, {"loadbalancer_id": lambda r: r["loadbalancers"][0]["id"]})
        page, info = _marker_page(rows, query)
        return {"pools": page, "page_info": info, "request_id": _request_id()}

    def _list_members(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        for b in self._balancers():
            for lst in b.listeners:
                if ids.pool_id(b.id, lst.port) != params["pool_id"]:
                    continue
                rows = [
                    self._member_json(b, lst.port, be, params["project_id"]) for be in b.backends
                ]
                page, info = _marker_page(rows, query)
                return {"members": page, "page_info": info, "request_id": _request_id()}
        raise ApiError(404, "ELB.8904", f"pool {params['pool_id']} could not be found.")

    def _member_json(
        self, balancer: Balancer, port: int, backend: Any, project: str
    ) -> dict[str, Any]:
        status = _MEMBER_HEALTH[backend.health]
        return {
            "id": ids.member_id(balancer.id, port, backend.id),
            "name": backend.id,
            "address": _ip(backend.id),
            "protocol_port": backend.port,
            "weight": backend.weight,
            "admin_state_up": True,
            "availability_zone": backend.zone,
            "subnet_cidr_id": ids.uid("subnet", "shop"),
            "ip_version": "v4",
            "operating_status": status,
            "status": [
                {"listener_id": ids.listener_id(balancer.id, port), "operating_status": status}
            ],
            "project_id": project,
            "member_type": "instance",
            "instance_id": ids.instance_id(backend.id),
        }

    # --- CES v1 ---------------------------------------------------------------------------------

    def _alarm_rows(self) -> list[dict[str, Any]]:
        """User alarms, the CES alarm of every policy shown, and alarms no policy uses yet.

        The sim also lists the alarms its own rules manage; those of rules Huawei cannot express
        (target tracking, step, ...) do not exist in Cloud Eye and are not shown.
        """
        rows: list[dict[str, Any]] = []
        rule_alarms: dict[tuple[str, str], Alarm] = {}
        for alarm in self.reader.list_alarms():
            if alarm.kind != "metric":
                continue  # Cloud Eye has no composite or predictive alarms
            if alarm.managed_by == "user":
                rows.append(self._sim_alarm_json(alarm))
            elif alarm.managed_by == "simple" and alarm.actions:
                rule_alarms[(alarm.group, alarm.actions[0])] = alarm
        now = self.reader.now()
        for group in self._groups():
            for rule in self._rules(group.name):
                if not isinstance(rule, SimpleRule):
                    continue
                body = codec.alarm_body(rule, ids.group_id(group.name))
                alarm_id, alarm_name = self._rule_alarm_id(rule)
                live = rule_alarms.get((group.name, rule.name))
                state = live.state.value if live is not None else "insufficient_data"
                since = live.since if live is not None and live.since else now
                body.update(
                    {
                        "alarm_id": alarm_id,
                        "alarm_name": alarm_name,
                        "alarm_state": state,
                        "update_time": _ms(since),
                        "ok_actions": [],
                        "insufficientdata_actions": [],
                        "enterprise_project_id": "0",
                    }
                )
                rows.append(body)
        for alarm_id, body in self._free_alarms.items():
            rows.append(
                {
                    **body,
                    "alarm_id": alarm_id,
                    "alarm_state": "insufficient_data",
                    "update_time": _ms(now),
                }
            )
        return sorted(rows, key=lambda r: r["alarm_id"])

    def _sim_alarm_json(self, alarm: Alarm) -> dict[str, Any]:
        namespace, metric_name, unit = (codec.METRICS | codec.DISPLAY_ONLY_METRICS).get(
            alarm.metric, ("SYS.AS", alarm.metric, "")
        )
        return {
            "alarm_id": ids.alarm_id("alarm", alarm.id),
            "alarm_name": alarm.name,
            "alarm_description": "",
            "metric": {
                "namespace": namespace,
                "metric_name": metric_name,
                "dimensions": [{"name": codec.GROUP_DIMENSION, "value": ids.group_id(alarm.group)}],
            },
            "condition": {
                "period": codec.PERIODS.get(alarm.period_s, 1),
                "filter": codec.FILTERS.get(alarm.statistic, "average"),
                "comparison_operator": alarm.comparison.value,
                "value": alarm.threshold,
                "unit": unit,
                # CES counts consecutive periods only: the sim's M of N shows as M.
                "count": min(
                    alarm.datapoints_to_alarm or alarm.evaluation_periods, codec.MAX_COUNT
                ),
                "suppress_duration": 0,
            },
            "alarm_enabled": True,
            "alarm_level": 2,
            "alarm_action_enabled": False,
            "alarm_actions": [],
            "ok_actions": [],
            "insufficientdata_actions": [],
            "alarm_state": alarm.state.value,
            "update_time": _ms(alarm.since or self.reader.now()),
            "enterprise_project_id": "0",
        }

    def _list_alarms(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        rows = self._alarm_rows()
        if query.get("order", "desc") == "desc":
            rows.reverse()
        try:
            limit = int(query.get("limit", str(CES_MAX_LIMIT)))
        except ValueError:
            limit = 0
        if not 0 < limit <= CES_MAX_LIMIT:
            raise ApiError(400, "ces.0014", "Some content in message body is incorrect. limit")
        start = 0
        if query.get("start"):
            positions = [i for i, r in enumerate(rows) if r["alarm_id"] == query["start"]]
            if not positions:
                raise ApiError(400, "ces.0014", "Some content in message body is incorrect. start")
            start = positions[0] + 1
        page = rows[start : start + limit]
        meta = {
            "count": len(page),
            "total": len(rows),
            "marker": page[-1]["alarm_id"] if page else "",
        }
        return {"metric_alarms": page, "meta_data": meta}

    def _create_alarm(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        for key in ("alarm_name", "metric", "condition"):
            if key not in body:
                raise ApiError(400, "ces.0014", f"Some content in message body is incorrect. {key}")
        alarm_id = ids.alarm_id("created", uuid.uuid4().hex)
        self._free_alarms[alarm_id] = dict(body)
        return {"alarm_id": alarm_id}

    def _update_alarm(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        alarm_id = params["alarm_id"]
        alarm, bound = self._alarm_for(alarm_id)
        updated = {**alarm, **{k: v for k, v in body.items() if v is not None}}
        if bound is None:
            self._free_alarms[alarm_id] = updated
            return None
        group, name = bound
        current = next(r for r in self._rules(group) if r.name == name)
        policy = self._policy_json(group, current)
        try:
            rule = codec.rule_of(group, policy, updated)
        except (codec.Unexpressible, KeyError, ValueError) as err:
            raise ApiError(
                400, "ces.0014", f"Some content in message body is incorrect. {err}"
            ) from None
        self.writer.put_rule(rule)
        if "alarm_name" in body:
            self._bound[(group, name)] = (alarm_id, str(body["alarm_name"]))
        return None

    def _delete_alarm(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        alarm_id = params["alarm_id"]
        if alarm_id in self._free_alarms:
            del self._free_alarms[alarm_id]
            return None
        self._alarm_for(alarm_id)  # 404 when unknown
        raise ApiError(400, "ces.0015", "The alarm rule is used by a scaling policy.")

    def _metric_data(self, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        try:
            namespace, metric_name = query["namespace"], query["metric_name"]
            dim_name, _, dim_value = query["dim.0"].partition(",")
            period = int(query["period"])
            start, end = int(query["from"]), int(query["to"])
            stat = query["filter"]
        except (KeyError, ValueError) as err:
            raise ApiError(
                400, "ces.0014", f"Some content in message body is incorrect. {err}"
            ) from None
        portable = codec.metric_of(namespace, metric_name)
        if portable is None or dim_name != codec.GROUP_DIMENSION:
            return {"datapoints": [], "metric_name": metric_name}
        group = self._group_name(dim_value)
        seconds = {1: 60}.get(period, period)
        since = timedelta(milliseconds=max(end - start, 0))
        series = self.reader.metric_series(group, portable, since, seconds)
        unit = (codec.METRICS | codec.DISPLAY_ONLY_METRICS)[portable][2]
        points = [
            {stat: p.value, "timestamp": _ms(p.at), "unit": unit}
            for p in series.points
            if p.value is not None
        ]
        return {"datapoints": points, "metric_name": metric_name}


def _backend_port(balancer: Balancer) -> int:
    return balancer.backends[0].port if balancer.backends else 80


def _filter_list(
    rows: list[dict[str, Any]],
    query: dict[str, str],
    keys: dict[str, Callable[[dict[str, Any]], str]],
) -> list[dict[str, Any]]:
    for key, get in keys.items():
        if key in query:
            rows = [r for r in rows if get(r) == query[key]]
    return rows


def make_server(
    reader: ProviderReader,
    writer: ProviderWriter,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    access_key_id: str,
    access_key_secret: str,
) -> EmulatorServer:
    emulator = HuaweiEmulator(
        reader, writer, access_key_id=access_key_id, access_key_secret=access_key_secret
    )
    return EmulatorServer(emulator.handle, emulator.action_of, HuaweiFaults(), host=host, port=port)
