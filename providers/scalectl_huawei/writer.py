"""Every mutation on Huawei Cloud: group size and bounds (UpdateScalingGroup), policies and their
CES alarms, policy execution, and pausing/resuming a group. Only the Console calls these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalectl.core.errors import ErrorKind, InputError, NotFoundError, ProviderError, guard_replies
from scalectl.core.provider import WRITE_OPERATIONS, AnyRule, WriteResult
from scalectl.core.rules import ScheduledRule, SimpleRule
from scalectl_huawei import codec
from scalectl_huawei.capabilities import CAPABILITIES
from scalectl_huawei.client import PROVIDER
from scalectl_huawei.reader import HuaweiReader


@guard_replies(PROVIDER, WRITE_OPERATIONS)
class HuaweiWriter:
    def __init__(self, reader: HuaweiReader) -> None:
        self.reader = reader
        self.api = reader.api

    def _write(self, service: str, method: str, request: Any, *, idempotent: bool = True) -> Any:
        """One mutating call. The reader's snapshot is dropped even when the call fails,
        since a failed call may have run."""
        try:
            return self.api.call(service, method, request, idempotent=idempotent)
        finally:
            self.reader.invalidate()

    # --- group size -----------------------------------------------------------------------------

    def _update_group(self, group: str, **fields: int) -> WriteResult:
        from huaweicloudsdkas.v1 import UpdateScalingGroupOption, UpdateScalingGroupRequest

        group_id = self.reader.group_id(group)
        self._write(
            "as",
            "update_scaling_group",
            UpdateScalingGroupRequest(
                scaling_group_id=group_id, body=UpdateScalingGroupOption(**fields)
            ),
        )
        return WriteResult(request_id=self.api.last_request_id(), native_id=group_id)

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        # UpdateScalingGroup has no cooldown flag: the Console's guard checks cooldown beforehand.
        return self._update_group(group, desire_instance_number=desired)

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        fields = {"min_instance_number": min_size, "max_instance_number": max_size}
        if desired is not None:
            fields["desire_instance_number"] = desired
        return self._update_group(group, **fields)

    # --- rules ----------------------------------------------------------------------------------

    def _policy(self, group_id: str, name: str) -> dict[str, Any] | None:
        return next(
            (p for p in self.reader.raw_policies(group_id) if p.get("scaling_policy_name") == name),
            None,
        )

    def put_rule(self, rule: AnyRule) -> WriteResult:
        problems = CAPABILITIES.problems(rule)
        if problems:
            raise InputError("; ".join(problems), field=f"rules.{rule.group}.{rule.name}")
        assert isinstance(rule, SimpleRule | ScheduledRule)  # the capability check says so
        current = [r for r in self.reader.list_rules(rule.group) if r.name == rule.name]
        if current and current[0] == rule:
            return WriteResult(detail="unchanged")
        group_id = self.reader.group_id(rule.group)
        policy = self._policy(group_id, rule.name)
        if (
            policy is not None
            and policy.get("scaling_policy_type") == "ALARM"
            and not isinstance(rule, SimpleRule)
        ):
            self.delete_rule(rule.group, rule.name)
            policy = None
        alarm_id = None
        if isinstance(rule, SimpleRule):
            alarm_id = self._put_alarm(rule, group_id, policy)
        body = codec.policy_body(rule, alarm_id)
        if policy is None:
            from huaweicloudsdkas.v1 import CreateScalingPolicyOption, CreateScalingPolicyRequest

            response = self._write(
                "as",
                "create_scaling_policy",
                CreateScalingPolicyRequest(
                    body=CreateScalingPolicyOption(scaling_group_id=group_id, **_models(body))
                ),
                idempotent=False,
            )
            policy_id = str(response.scaling_policy_id)
            enabled_now = True
        else:
            from huaweicloudsdkas.v1 import UpdateScalingPolicyOption, UpdateScalingPolicyRequest

            policy_id = str(policy["scaling_policy_id"])
            self._write(
                "as",
                "update_scaling_policy",
                UpdateScalingPolicyRequest(
                    scaling_policy_id=policy_id, body=UpdateScalingPolicyOption(**_models(body))
                ),
            )
            enabled_now = policy.get("policy_status") != "PAUSED"
        if rule.enabled != enabled_now:
            self._policy_action(policy_id, "resume" if rule.enabled else "pause")
        return WriteResult(request_id=self.api.last_request_id(), native_id=policy_id)

    def _put_alarm(self, rule: SimpleRule, group_id: str, policy: dict[str, Any] | None) -> str:
        """Create the CES alarm for a new ALARM policy, or update the existing policy's alarm."""
        body = codec.alarm_body(rule, group_id)
        if policy is not None and policy.get("alarm_id"):
            from huaweicloudsdkces.v1 import Condition, UpdateAlarmRequest, UpdateAlarmRequestBody

            alarm_id = str(policy["alarm_id"])
            self._write(
                "ces",
                "update_alarm",
                UpdateAlarmRequest(
                    alarm_id=alarm_id,
                    body=UpdateAlarmRequestBody(
                        alarm_description=body["alarm_description"],
                        condition=Condition(**body["condition"]),
                    ),
                ),
            )
            return alarm_id
        from huaweicloudsdkces.v1 import (
            CreateAlarmMetric,
            CreateAlarmRequest,
            CreateAlarmRequestBody,
            MetricsDimension,
            Notification,
        )

        metric = body["metric"]
        response = self._write(
            "ces",
            "create_alarm",
            CreateAlarmRequest(
                body=CreateAlarmRequestBody(
                    alarm_name=body["alarm_name"],
                    alarm_description=body["alarm_description"],
                    metric=CreateAlarmMetric(
                        namespace=metric["namespace"],
                        metric_name=metric["metric_name"],
                        dimensions=[MetricsDimension(**d) for d in metric["dimensions"]],
                    ),
                    condition=_condition(body["condition"]),
                    alarm_enabled=True,
                    alarm_action_enabled=True,
                    alarm_level=body["alarm_level"],
                    alarm_actions=[Notification(type="autoscaling", notification_list=[])],
                )
            ),
            idempotent=False,
        )
        return str(response.alarm_id)

    def delete_rule(self, group: str, name: str) -> WriteResult:
        from huaweicloudsdkas.v1 import DeleteScalingPolicyRequest

        policy = self._policy(self.reader.group_id(group), name)
        if policy is None:
            raise NotFoundError("rule", f"{group}/{name}")
        self._write(
            "as",
            "delete_scaling_policy",
            DeleteScalingPolicyRequest(scaling_policy_id=policy["scaling_policy_id"]),
        )
        if policy.get("alarm_id"):
            from huaweicloudsdkces.v1 import DeleteAlarmRequest

            # The alarm existed only to trigger this policy.
            self._write("ces", "delete_alarm", DeleteAlarmRequest(alarm_id=policy["alarm_id"]))
        return WriteResult(
            request_id=self.api.last_request_id(), native_id=str(policy["scaling_policy_id"])
        )

    def _policy_action(self, policy_id: str, action: str) -> Any:
        from huaweicloudsdkas.v1 import ExecuteScalingPolicyOption, ExecuteScalingPolicyRequest

        return self._write(
            "as",
            "execute_scaling_policy",
            ExecuteScalingPolicyRequest(
                scaling_policy_id=policy_id, body=ExecuteScalingPolicyOption(action=action)
            ),
            idempotent=action != "execute",  # no client token: a retried execute runs twice
        )

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        policy = self._policy(self.reader.group_id(group), name)
        if policy is None:
            raise NotFoundError("rule", f"{group}/{name}")
        self._policy_action(str(policy["scaling_policy_id"]), "execute")
        return WriteResult(
            request_id=self.api.last_request_id(), native_id=str(policy["scaling_policy_id"])
        )

    # --- pause / resume -------------------------------------------------------------------------

    def _group_action(self, group: str, action: str, processes: Sequence[str]) -> WriteResult:
        if processes:
            raise ProviderError(
                ErrorKind.INVALID, CAPABILITIES.unsupported["suspend_processes"], provider=PROVIDER
            )
        from huaweicloudsdkas.v1 import (
            PauseScalingGroupOption,
            PauseScalingGroupRequest,
            ResumeScalingGroupOption,
            ResumeScalingGroupRequest,
        )

        group_id = self.reader.group_id(group)
        if action == "pause":
            request: Any = PauseScalingGroupRequest(
                scaling_group_id=group_id, body=PauseScalingGroupOption(action="pause")
            )
            self._write("as", "pause_scaling_group", request)
        else:
            request = ResumeScalingGroupRequest(
                scaling_group_id=group_id, body=ResumeScalingGroupOption(action="resume")
            )
            self._write("as", "resume_scaling_group", request)
        return WriteResult(request_id=self.api.last_request_id(), native_id=group_id)

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        return self._group_action(group, "pause", processes)

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        return self._group_action(group, "resume", processes)


def _condition(fields: dict[str, Any]) -> Any:
    from huaweicloudsdkces.v1 import Condition

    return Condition(**fields)


def _models(body: dict[str, Any]) -> dict[str, Any]:
    """Policy body dict -> keyword arguments with the SDK's nested models."""
    from huaweicloudsdkas.v1 import ScalingPolicyActionV1, ScheduledPolicy

    kwargs = dict(body)
    kwargs["scaling_policy_action"] = ScalingPolicyActionV1(**body["scaling_policy_action"])
    if "scheduled_policy" in body:
        kwargs["scheduled_policy"] = ScheduledPolicy(**body["scheduled_policy"])
    return kwargs
