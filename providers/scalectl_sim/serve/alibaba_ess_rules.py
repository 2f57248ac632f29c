"""ESS scaling rules, alarm tasks and scheduled tasks of the Alibaba emulator.

A portable simple or step rule is an ESS scaling rule plus the alarm task that triggers it; the
sim stores the pair as one rule, so a rule created before its CreateAlarm waits in the API's
pending store (see the notes in scalectl_sim.serve.alibaba).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalectl_alibaba import native

from scalectl.core.rules import ScheduledRule, SimpleRule, StepRule
from scalectl_sim.serve import alibaba_ids as ids
from scalectl_sim.serve.alibaba import ApiError, Params, invalid
from scalectl_sim.serve.alibaba_ess import (
    MAX_PAGE,
    NO_ALARM,
    NO_RULE,
    NO_TASK,
    find_rule,
    group_name,
    page_body,
    sim_rules,
)

if TYPE_CHECKING:
    from scalectl_sim.serve.alibaba import AlibabaApi


# -- scaling rules -------------------------------------------------------------------------------


def _wrap_rule(fields: dict[str, Any], group: str, region: str) -> dict[str, Any]:
    body = {
        "ScalingRuleId": ids.rule_id(group, fields["ScalingRuleName"]),
        "ScalingRuleAri": ids.rule_ari(region, group, fields["ScalingRuleName"]),
        "ScalingGroupId": ids.group_id(group),
        **{k: v for k, v in fields.items() if k != "StepAdjustments"},
    }
    if fields.get("ScalingRuleType") == "StepScalingRule":
        body["StepAdjustments"] = {"StepAdjustment": native.step_list(fields)}
    return body


def all_rule_fields(api: AlibabaApi, group: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(group, ESS rule fields) for every sim scaling rule and every pending one."""
    out = [
        (rule.group, native.rule_fields(rule))
        for rule in sim_rules(api, group)
        if not isinstance(rule, ScheduledRule)
    ]
    out += [
        (g, dict(fields))
        for (g, _), fields in sorted(api.pending_rules.items())
        if group is None or g == group
    ]
    return sorted(out, key=lambda item: (item[0], item[1]["ScalingRuleName"]))


def describe_scaling_rules(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    gid = p.text("ScalingGroupId")
    group = group_name(api, gid) if gid else None
    want_ids = set(p.repeated("ScalingRuleId"))
    want_names = set(p.repeated("ScalingRuleName"))
    want_aris = set(p.repeated("ScalingRuleAri"))
    want_type = p.text("ScalingRuleType")
    items = []
    for g, fields in all_rule_fields(api, group):
        body = _wrap_rule(fields, g, region)
        if want_ids and body["ScalingRuleId"] not in want_ids:
            continue
        if want_names and body["ScalingRuleName"] not in want_names:
            continue
        if want_aris and body["ScalingRuleAri"] not in want_aris:
            continue
        if want_type and body["ScalingRuleType"] != want_type:
            continue
        items.append(body)
    return page_body("ScalingRules", "ScalingRule", items, number, size)


_RULE_KEYS = (
    "ScalingRuleType",
    "AdjustmentType",
    "AdjustmentValue",
    "MinAdjustmentMagnitude",
    "Cooldown",
    "MetricName",
    "TargetValue",
    "DisableScaleIn",
    "EstimatedInstanceWarmup",
    "PredictiveScalingMode",
    "PredictiveValueBehavior",
    "PredictiveValueBuffer",
    "PredictiveTaskBufferTime",
    "InitialMaxSize",
)


def _rule_params(p: Params) -> dict[str, Any]:
    fields: dict[str, Any] = {k: p.values[k] for k in _RULE_KEYS if p.text(k) is not None}
    steps = p.repeated_maps("StepAdjustment")
    if steps:
        fields["StepAdjustments"] = steps
    return fields


def _current_fields(
    api: AlibabaApi, group: str, name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A rule's ESS fields and its alarm fields (None when it has none yet)."""
    if (group, name) in api.pending_rules:
        return dict(api.pending_rules[(group, name)]), None
    rule = find_rule(api, group, name)
    if rule is None or isinstance(rule, ScheduledRule):
        raise NO_RULE
    alarm = native.alarm_fields(rule) if isinstance(rule, SimpleRule | StepRule) else None
    return native.rule_fields(rule), alarm


def _store(
    api: AlibabaApi, group: str, fields: dict[str, Any], alarm: dict[str, Any] | None
) -> None:
    name = fields["ScalingRuleName"]
    rule = native.rule_from_native(group, fields, alarm)
    if rule is None:  # a simple/step rule with no alarm task yet
        native.rule_from_native(group, fields, _PROBE_ALARM)  # validates the rule half now
        api.pending_rules[(group, name)] = fields
        return
    api.writer.put_rule(rule)
    api.pending_rules.pop((group, name), None)


# A stand-in alarm used only to validate a pending rule's own fields.
_PROBE_ALARM = {"MetricName": "CpuUtilization", "ComparisonOperator": ">=", "Threshold": 1}


def create_scaling_rule(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group = group_name(api, p.need("ScalingGroupId"))
    name = p.need("ScalingRuleName")
    if (group, name) in api.pending_rules or find_rule(api, group, name) is not None:
        raise ApiError(
            400,
            "InvalidScalingRuleName.Duplicate",
            'The specified value of parameter "ScalingRuleName" is duplicated.',
        )
    fields = {"ScalingRuleName": name, "ScalingRuleType": "SimpleScalingRule", **_rule_params(p)}
    _store(api, group, fields, None)
    return {
        "ScalingRuleId": ids.rule_id(group, name),
        "ScalingRuleAri": ids.rule_ari(region, group, name),
    }


def _rule_key(ident: str) -> tuple[str, str]:
    found = ids.rule_of_ari(ident)
    if found is None:
        raise NO_RULE
    return found


def modify_scaling_rule(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group, name = _rule_key(p.need("ScalingRuleId"))
    fields, alarm = _current_fields(api, group, name)
    update = _rule_params(p)
    update.pop("ScalingRuleType", None)  # the type of a rule cannot change
    fields.update(update)
    _store(api, group, fields, alarm)
    return {}


def delete_scaling_rule(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group, name = _rule_key(p.need("ScalingRuleId"))
    if api.pending_rules.pop((group, name), None) is None:
        if find_rule(api, group, name) is None:
            raise NO_RULE
        api.writer.delete_rule(group, name)
    return {}


def execute_scaling_rule(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group, name = _rule_key(p.need("ScalingRuleAri"))
    token = p.text("ClientToken")
    if token and (group, name, token) in api.client_tokens:
        return {"ScalingActivityId": api.client_tokens[(group, name, token)]}
    rule = find_rule(api, group, name)
    if rule is None:
        if (group, name) in api.pending_rules:
            raise ApiError(
                400,
                "InvalidParameter",
                "The sim runs simple and step rules once "
                "they have an alarm task (see the emulator notes).",
            )
        raise NO_RULE
    if not isinstance(rule, SimpleRule | StepRule):
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "Only simple and step scaling rules can be executed.",
        )
    if isinstance(rule, StepRule):
        for key in ("MetricValue", "BreachThreshold"):
            if p.number(key) is None:
                raise ApiError(
                    400,
                    f"MissingParameter.{key}",
                    f'The input parameter "{key}" that is mandatory for processing '
                    "this request is not supplied.",
                )
    result = api.writer.execute_rule(group, name, honor_cooldown=False)
    activity = ids.activity_id(result.activity_id) if result.activity_id else ""
    if token:
        api.client_tokens[(group, name, token)] = activity
    return {"ScalingActivityId": activity}


# -- alarm tasks ---------------------------------------------------------------------------------


def _dimensions(group: str) -> dict[str, Any]:
    return {
        "Dimension": [
            {"DimensionKey": "scaling_group", "DimensionValue": ids.group_id(group)},
            {"DimensionKey": "userId", "DimensionValue": ids.ACCOUNT_ID},
        ]
    }


def all_alarms(api: AlibabaApi, region: str) -> list[dict[str, Any]]:
    """Every alarm task: one per simple/step rule (its trigger) and the sim's other alarms.

    The sim keeps a rule's alarm as an alarm whose actions name the rule; that alarm's name and
    state are shown on the rule's task, so nothing is listed twice.
    """
    names = {g.id: g.name for g in api.reader.list_groups()}
    all_rules = {(r.group, r.name): r for r in sim_rules(api)}
    sim = list(api.reader.list_alarms())
    owner: dict[tuple[str, str], Any] = {}
    for alarm in sim:
        group = names.get(alarm.group, alarm.group)
        for action in alarm.actions:
            rule = all_rules.get((group, action))
            if isinstance(rule, SimpleRule | StepRule):
                owner.setdefault((group, action), alarm)
    out = []
    for (group, name), rule in sorted(all_rules.items()):
        if not isinstance(rule, SimpleRule | StepRule):
            continue
        mine = owner.get((group, name))
        fields = native.alarm_fields(rule)
        if mine is not None:
            fields["Name"] = mine.name
        out.append(
            {
                **fields,
                "AlarmTaskId": ids.alarm_task_id("rule", group, name),
                "ScalingGroupId": ids.group_id(group),
                "State": mine.state.value.upper() if mine else "INSUFFICIENT_DATA",
                "AlarmActions": {"AlarmAction": [ids.rule_ari(region, group, name)]},
                "Dimensions": _dimensions(group),
            }
        )
    shown = {id(a) for a in owner.values()}
    for alarm in sim:
        if id(alarm) in shown:
            continue
        group = names.get(alarm.group, alarm.group)
        metric = native.TT_METRICS.get(alarm.metric)
        actions = [
            ids.rule_ari(region, group, a) if (group, a) in all_rules else a for a in alarm.actions
        ]
        body: dict[str, Any] = {
            "AlarmTaskId": ids.alarm_task_id("sim", group, alarm.id),
            "Name": alarm.name,
            "Description": "",
            "ScalingGroupId": ids.group_id(group) if group else "",
            "MetricType": "system" if metric else "custom",
            "MetricName": metric or alarm.metric,
            "Statistics": native.STATISTICS.get(alarm.statistic, "Average"),
            "ComparisonOperator": alarm.comparison.value,
            "Threshold": alarm.threshold,
            "Period": alarm.period_s,
            "EvaluationCount": alarm.evaluation_periods,
            "State": alarm.state.value.upper(),
            "Enable": True,
            "AlarmActions": {"AlarmAction": actions},
            "Dimensions": _dimensions(group),
        }
        if alarm.managed_by == "target_tracking":
            # As ESS marks the tasks a target-tracking rule owns (DescribeAlarms example).
            body["Description"] = (
                "DO NOT EDIT OR DELETE.For TargetTrackingScalingRule scalingRuleAri:"
                + ", ".join(actions)
            )
        out.append(body)
    return out


def describe_alarms(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    gid = p.text("ScalingGroupId")
    if gid:
        group_name(api, gid)
    filters = {
        "ScalingGroupId": gid,
        "AlarmTaskId": p.text("AlarmTaskId"),
        "MetricName": p.text("MetricName"),
        "MetricType": p.text("MetricType"),
        "State": p.text("State"),
    }
    enable = p.text("IsEnable")
    items = [
        a
        for a in all_alarms(api, region)
        if all(v is None or a.get(k) == v for k, v in filters.items())
        and (enable is None or str(a["Enable"]).lower() == enable.lower())
    ]
    return page_body("AlarmList", "Alarm", items, number, size)


_ALARM_KEYS = (
    "Name",
    "Description",
    "MetricType",
    "MetricName",
    "Statistics",
    "ComparisonOperator",
    "Threshold",
    "Period",
    "EvaluationCount",
)


def _alarm_params(p: Params) -> dict[str, Any]:
    period = p.integer("Period")
    if period is not None and period not in native.ALARM_PERIODS:
        raise invalid("Period", "Valid values: 60, 120, 300, 900.")
    op = p.text("ComparisonOperator")
    if op is not None and op not in (">=", "<=", ">", "<"):
        raise invalid("ComparisonOperator")
    return {k: p.values[k] for k in _ALARM_KEYS if p.text(k) is not None}


def _alarm_rule(api: AlibabaApi, ident: str) -> tuple[str, str]:
    found = ids.decode("ata", ident, 3)
    if found is None:
        raise NO_ALARM
    kind, group, key = found
    if kind != "rule":
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "The sim's own alarms are read-only through the emulator.",
        )
    if find_rule(api, group, key) is None:
        raise NO_ALARM
    return group, key


def create_alarm(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group = group_name(api, p.need("ScalingGroupId"))
    p.need("MetricName")
    p.need("Threshold")
    actions = p.repeated("AlarmAction")
    targets = [ids.rule_of_ari(a) for a in actions]
    if len(targets) != 1 or targets[0] is None or targets[0][0] != group:
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "The sim links each alarm task to "
            "exactly one simple or step scaling rule of the same group (AlarmAction.1).",
        )
    _, name = targets[0]
    fields, alarm = _current_fields(api, group, name)
    if alarm is not None:
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "That scaling rule already has an alarm task; modify it instead.",
        )
    if fields.get("ScalingRuleType") not in ("SimpleScalingRule", "StepScalingRule"):
        raise ApiError(
            400, "InvalidParameter.NotSupported", "Alarm tasks trigger simple or step rules."
        )
    new_alarm = {"Enable": True, "EvaluationCount": 3, "Period": 300, **_alarm_params(p)}
    _store(api, group, fields, new_alarm)
    return {"AlarmTaskId": ids.alarm_task_id("rule", group, name)}


def modify_alarm(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group, name = _alarm_rule(api, p.need("AlarmTaskId"))
    fields, alarm = _current_fields(api, group, name)
    _store(api, group, fields, {**(alarm or {}), **_alarm_params(p)})
    return {}


def _set_alarm_enabled(api: AlibabaApi, p: Params, enabled: bool) -> dict[str, Any]:
    group, name = _alarm_rule(api, p.need("AlarmTaskId"))
    fields, alarm = _current_fields(api, group, name)
    _store(api, group, fields, {**(alarm or {}), "Enable": enabled})
    return {}


def enable_alarm(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    return _set_alarm_enabled(api, p, True)


def disable_alarm(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    return _set_alarm_enabled(api, p, False)


def delete_alarm(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group, name = _alarm_rule(api, p.need("AlarmTaskId"))
    fields, _ = _current_fields(api, group, name)
    api.writer.delete_rule(group, name)
    api.pending_rules[(group, name)] = fields  # the rule stays, without its trigger
    return {}


# -- scheduled tasks -----------------------------------------------------------------------------


def _task_body(rule: ScheduledRule) -> dict[str, Any]:
    return {
        "ScheduledTaskId": ids.task_id(rule.group, rule.name),
        "ScalingGroupId": ids.group_id(rule.group),
        "LaunchExpirationTime": 600,
        **native.task_fields(rule),
    }


def _tasks(api: AlibabaApi, group: str | None = None) -> list[ScheduledRule]:
    return sorted(
        (r for r in sim_rules(api, group) if isinstance(r, ScheduledRule)),
        key=lambda r: (r.group, r.name),
    )


def describe_scheduled_tasks(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    number, size = p.page(MAX_PAGE)
    gid = p.text("ScalingGroupId")
    group = group_name(api, gid) if gid else None
    want_ids = set(p.repeated("ScheduledTaskId"))
    want_names = set(p.repeated("ScheduledTaskName"))
    items = [
        _task_body(r)
        for r in _tasks(api, group)
        if (not want_ids or ids.task_id(r.group, r.name) in want_ids)
        and (not want_names or r.name in want_names)
    ]
    return page_body("ScheduledTasks", "ScheduledTask", items, number, size)


_TASK_KEYS = (
    "ScheduledTaskName",
    "Description",
    "LaunchTime",
    "RecurrenceType",
    "RecurrenceValue",
    "RecurrenceEndTime",
    "MinValue",
    "MaxValue",
    "DesiredCapacity",
    "TaskEnabled",
)


def _task_params(p: Params) -> dict[str, Any]:
    if p.text("ScheduledAction"):
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "The sim's scheduled tasks set "
            "MinValue/MaxValue/DesiredCapacity of a group; ScheduledAction is not "
            "supported.",
        )
    kind = p.text("RecurrenceType")
    if kind is not None and kind != "Cron":
        raise ApiError(
            400,
            "InvalidParameter.NotSupported",
            "The sim takes RecurrenceType Cron (five fields, UTC) only.",
        )
    return {k: p.values[k] for k in _TASK_KEYS if p.text(k) is not None}


def create_scheduled_task(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    group = group_name(api, p.need("ScalingGroupId"))
    name = p.need("ScheduledTaskName")
    if any(r.name == name for r in _tasks(api)):
        raise ApiError(
            400,
            "InvalidScheduledTaskName.Duplicate",
            'The specified value of parameter "ScheduledTaskName" is duplicated.',
        )
    fields = _task_params(p)
    if "RecurrenceType" not in fields and "LaunchTime" not in fields:
        raise ApiError(
            400,
            "MissingParameter.LaunchTime",
            'The input parameter "LaunchTime" '
            "that is mandatory for processing this request is not supplied.",
        )
    api.writer.put_rule(native.rule_from_task(group, fields))
    return {"ScheduledTaskId": ids.task_id(group, name)}


def _task_key(api: AlibabaApi, ident: str) -> ScheduledRule:
    found = ids.decode("sst", ident, 2)
    if found is None:
        raise NO_TASK
    for rule in _tasks(api, found[0]):
        if rule.name == found[1]:
            return rule
    raise NO_TASK


def modify_scheduled_task(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    rule = _task_key(api, p.need("ScheduledTaskId"))
    fields = {**native.task_fields(rule), **_task_params(p)}
    if fields.get("ScheduledTaskName") != rule.name:
        raise invalid("ScheduledTaskName", "The sim keys tasks by name; it cannot be renamed.")
    api.writer.put_rule(native.rule_from_task(rule.group, fields))
    return {}


def delete_scheduled_task(api: AlibabaApi, p: Params, region: str) -> dict[str, Any]:
    rule = _task_key(api, p.need("ScheduledTaskId"))
    api.writer.delete_rule(rule.group, rule.name)
    return {}


ACTIONS = {
    "DescribeScalingRules": describe_scaling_rules,
    "CreateScalingRule": create_scaling_rule,
    "ModifyScalingRule": modify_scaling_rule,
    "DeleteScalingRule": delete_scaling_rule,
    "ExecuteScalingRule": execute_scaling_rule,
    "DescribeAlarms": describe_alarms,
    "CreateAlarm": create_alarm,
    "ModifyAlarm": modify_alarm,
    "EnableAlarm": enable_alarm,
    "DisableAlarm": disable_alarm,
    "DeleteAlarm": delete_alarm,
    "DescribeScheduledTasks": describe_scheduled_tasks,
    "CreateScheduledTask": create_scheduled_task,
    "ModifyScheduledTask": modify_scheduled_task,
    "DeleteScheduledTask": delete_scheduled_task,
}
