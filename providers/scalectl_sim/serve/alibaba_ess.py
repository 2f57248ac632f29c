"""ESS (Auto Scaling, 2014-08-28) groups, instances, processes and activities of the Alibaba
emulator, over the sim reader/writer (rules, alarm and scheduled tasks: alibaba_ess_rules).

Response shapes follow the JSON examples of AlibabaCloudDocs/ess ``intl.en-US/API Reference``:
lists are double-wrapped (``ScalingGroups.ScalingGroup[]``), paging is PageNumber (from 1) and
PageSize (at most 50), times are ``yyyy-MM-ddTHH:mmZ`` in UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalectl_alibaba import native

from scalectl.core.model import ActivityStatus, Group, InstanceState
from scalectl.core.provider import AnyRule
from scalectl_sim.serve import alibaba_ids as ids
from scalectl_sim.serve.alibaba import ApiError, Params, invalid, paged

if TYPE_CHECKING:
    from scalectl_sim.serve.alibaba import AlibabaApi

MAX_PAGE = 50
NO_GROUP = ApiError(
    404, "InvalidScalingGroupId.NotFound", "The specified scaling group does not exist."
)
NO_RULE = ApiError(
    404, "InvalidScalingRuleId.NotFound", "The specified scaling rule does not exist."
)
NO_ALARM = ApiError(404, "InvalidAlarmTaskId.NotFound", "The specified alarm task does not exist.")
NO_TASK = ApiError(
    404, "InvalidScheduledTaskId.NotFound", "The specified scheduled task does not exist."
)

_STATES = {
    InstanceState.PENDING: "Pending",
    InstanceState.IN_SERVICE: "InService",
    InstanceState.STANDBY: "Standby",
    InstanceState.TERMINATING: "Removing",
}
_ACTIVITY = {
    ActivityStatus.IN_PROGRESS: "InProgress",
    ActivityStatus.SUCCESSFUL: "Successful",
    ActivityStatus.FAILED: "Failed",
    ActivityStatus.CANCELLED: "Failed",
    ActivityStatus.REJECTED: "Rejected",
}


def page_body(key: str, item: str, items: list[Any], number: int, size: int) -> dict[str, Any]:
    return {
        "TotalCount": len(items),
        "PageNumber": number,
        "PageSize": size,
        key: {item: paged(items, number, size)},
    }


# -- lookups -------------------------------------------------------------------------------------


def groups(api: AlibabaApi) -> dict[str, Group]:
    return {g.name: g for g in api.reader.list_groups()}


def group_name(api: AlibabaApi, ident: str) -> str:
    found = ids.decode("asg", ident)
    if not found or found[0] not in groups(api):
        raise NO_GROUP
    return found[0]


def sim_rules(api: AlibabaApi, group: str | None = None) -> list[AnyRule]:
    return list(api.reader.list_rules(group))


def find_rule(api: AlibabaApi, group: str, name: str) -> AnyRule | None:
    for rule in sim_rules(api, group):
        if rule.group == group and rule.name == name:
            return rule
    return None


def balancer_map(api: AlibabaApi, sim_groups: list[Group]) -> dict[str, list[str]]:
    """Sim group name -> its SLB ids (from the group's own list and the balancers' group lists)."""
    names = {g.id: g.name for g in sim_groups}
    out: dict[str, list[str]] = {}
    for group in sim_groups:
        out[group.name] = [ids.balancer_id(b) for b in group.balancer_ids]
    for balancer in api.reader.list_balancers():
        for gid in balancer.group_ids:
            name = names.get(gid, gid)
            lb = ids.balancer_id(balancer.id)
            if name in out and lb not in out[name]:
                out[name].append(lb)
    return out


# -- scaling groups and instances ----------------------------------------------------------------


def group_body(group: Group, region: str, lbs: list[str]) -> dict[str, Any]:
    status = {"active": "Active", "deleting": "Deleting"}.get(group.status.lower(), "Inactive")
    suspended = [native.PROCESSES.get(p, p) for p in group.suspended]
    return {
        "ScalingGroupId": ids.group_id(group.name),
        "ScalingGroupName": group.name,
        "RegionId": region,
        "MinSize": group.min,
        "MaxSize": group.max,
        "DesiredCapacity": group.desired,
        "EnableDesiredCapacity": True,
        "TotalCapacity": group.in_service + group.pending,
        "ActiveCapacity": group.in_service,
        "PendingCapacity": group.pending,
        "RemovingCapacity": group.terminating,
        "PendingWaitCapacity": 0,
        "RemovingWaitCapacity": 0,
        "StandbyCapacity": 0,
        "ProtectedCapacity": 0,
        "StoppedCapacity": 0,
        "TotalInstanceCount": group.in_service + group.pending + group.terminating,
        "LifecycleState": status,
        "DefaultCooldown": group.default_cooldown_s,
        "HealthCheckType": "ECS",
        "GroupType": "ECS",
        "MultiAZPolicy": "BALANCE",
        "ScalingPolicy": "release",
        "GroupDeletionProtection": False,
        "ActiveScalingConfigurationId": "asc-" + ids.group_id(group.name)[4:],
        "CreationTime": ids.ess_time(group.created_at),
        "LoadBalancerIds": {"LoadBalancerId": lbs},
        "VSwitchIds": {"VSwitchId": []},
        "VServerGroups": {"VServerGroup": []},
        "RemovalPolicies": {"RemovalPolicy": ["OldestScalingConfiguration", "OldestInstance"]},
        "SuspendedProcesses": {"SuspendedProcess": suspended},
    }


def describe_scaling_groups(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    wanted_ids = set(p.repeated("ScalingGroupId"))
    wanted_name = p.text("ScalingGroupName")
    sim_groups = api.reader.list_groups()
    chosen = [
        g
        for g in sorted(sim_groups, key=lambda g: g.name)
        if (not wanted_ids or ids.group_id(g.name) in wanted_ids)
        and (not wanted_name or g.name == wanted_name)
    ]
    lbs = balancer_map(api, sim_groups)
    body = page_body("ScalingGroups", "ScalingGroup", chosen, number, size)
    page = body["ScalingGroups"]["ScalingGroup"]  # only the page's groups are rendered
    body["ScalingGroups"]["ScalingGroup"] = [
        group_body(g, region, lbs.get(g.name, [])) for g in page
    ]
    return body


def describe_scaling_instances(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    name = group_name(api, p.need("ScalingGroupId"))
    state_filter = p.text("LifecycleState")
    health_filter = p.text("HealthStatus")
    group = api.reader.get_group(name)
    items = []
    for inst in group.instances:
        if inst.state not in _STATES:
            continue  # ESS no longer lists released instances
        state = (
            "Protected"
            if inst.protected and inst.state is InstanceState.IN_SERVICE
            else _STATES[inst.state]
        )
        health = "Healthy" if inst.health.value == "healthy" else "Unhealthy"
        if (state_filter and state != state_filter) or (health_filter and health != health_filter):
            continue
        warm = "NoNeedWarmup"
        if inst.state is InstanceState.IN_SERVICE:
            warm = "WaitingForInstanceWarmup" if inst.warming else "InstanceWarmupFinish"
        items.append(
            {
                "InstanceId": ids.instance_id(inst.id),
                "ScalingGroupId": ids.group_id(name),
                "ScalingConfigurationId": "asc-" + ids.group_id(name)[4:],
                "ZoneId": inst.zone,
                "LifecycleState": state,
                "HealthStatus": health,
                "CreationType": "AutoCreated",
                "CreatedTime": ids.ess_time(inst.launched_at),
                "CreationTime": ids.ess_time(inst.launched_at),
                "LoadBalancerWeight": 50,
                "WeightedCapacity": 1,
                "WarmupState": warm,
                "Entrusted": True,
            }
        )
    body = page_body("ScalingInstances", "ScalingInstance", items, number, size)
    body["TotalSpotCount"] = 0
    return body


def modify_scaling_group(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    name = group_name(api, p.need("ScalingGroupId"))
    group = groups(api)[name]
    low = p.integer("MinSize", low=0, high=2000)
    high = p.integer("MaxSize", low=0, high=2000)
    desired = p.integer("DesiredCapacity", low=0, high=2000)
    new_min = group.min if low is None else low
    new_max = group.max if high is None else high
    if new_min > new_max:
        raise ApiError(
            400,
            "IncorrectCapacity.MinSize",
            "The MinSize must be less than or equal to the MaxSize.",
        )
    if desired is not None and not new_min <= desired <= new_max:
        raise ApiError(
            400,
            "IncorrectCapacity.DesiredCapacity",
            "The DesiredCapacity must be between the MinSize and the MaxSize.",
        )
    if low is not None or high is not None:
        api.writer.set_bounds(name, min_size=new_min, max_size=new_max, desired=desired)
    elif desired is not None:
        api.writer.set_desired(
            name,
            desired,
            honor_cooldown=False,
            reason="ModifyScalingGroup through the Alibaba ESS API",
        )
    return {}


def _processes(p: Params) -> list[str]:
    names = p.repeated("Process")
    if not names:
        raise ApiError(
            400,
            "MissingParameter.Process",
            'The input parameter "Process" that is '
            "mandatory for processing this request is not supplied.",
        )
    unknown = [n for n in names if n not in native.PROCESS_FROM_NATIVE]
    if unknown:
        raise invalid("Process", f"Unknown process {unknown[0]!r}.")
    return [native.PROCESS_FROM_NATIVE[n] for n in names]


def suspend_processes(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    api.writer.suspend(group_name(api, p.need("ScalingGroupId")), _processes(p))
    return {}


def resume_processes(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    api.writer.resume(group_name(api, p.need("ScalingGroupId")), _processes(p))
    return {}


# -- activities ----------------------------------------------------------------------------------


def describe_scaling_activities(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    group = group_name(api, p.need("ScalingGroupId"))
    status = p.text("StatusCode")
    items = []
    for act in api.reader.list_activities(group, limit=1000):
        code = _ACTIVITY[act.status]
        if status and code != status:
            continue
        changed = abs((act.to_capacity or 0) - (act.from_capacity or 0))
        items.append(
            {
                "ScalingActivityId": ids.activity_id(act.id),
                "ScalingGroupId": ids.group_id(group),
                "Description": act.description,
                "Cause": act.cause,
                "StartTime": ids.ess_time(act.started_at),
                "EndTime": ids.ess_time(act.ended_at),
                "Progress": act.progress
                if act.progress is not None
                else (100 if act.status is ActivityStatus.SUCCESSFUL else 0),
                "StatusCode": code,
                "StatusMessage": act.description,
                "TotalCapacity": act.to_capacity if act.to_capacity is not None else 0,
                "ScalingInstanceNumber": changed,
                "AttachedCapacity": 0,
                "AutoCreatedCapacity": act.to_capacity if act.to_capacity is not None else 0,
            }
        )
    return page_body("ScalingActivities", "ScalingActivity", items, number, size)


ACTIONS = {
    "DescribeScalingGroups": describe_scaling_groups,
    "DescribeScalingInstances": describe_scaling_instances,
    "ModifyScalingGroup": modify_scaling_group,
    "SuspendProcesses": suspend_processes,
    "ResumeProcesses": resume_processes,
    "DescribeScalingActivities": describe_scaling_activities,
}
