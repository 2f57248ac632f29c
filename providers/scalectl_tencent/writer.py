"""ProviderWriter over Tencent Cloud AS: manual scale, bounds, policies, scheduled actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalectl.core.errors import ErrorKind, ProviderError, guard_replies
from scalectl.core.provider import WRITE_OPERATIONS, AnyRule, WriteResult
from scalectl.core.rules import ScheduledRule, SimpleRule, TargetTrackingRule
from scalectl_tencent import mapping as m
from scalectl_tencent.capabilities import CAPABILITIES
from scalectl_tencent.client import PROVIDER
from scalectl_tencent.reader import TencentReader


def _invalid(message: str) -> ProviderError:
    return ProviderError(ErrorKind.INVALID, message, provider=PROVIDER, code="scalectl.Unsupported")


@guard_replies(PROVIDER, WRITE_OPERATIONS)
class TencentWriter:
    def __init__(self, reader: TencentReader) -> None:
        self.reader = reader
        self.session = reader.session

    def _write(
        self,
        service: str,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One mutating call. The reader's snapshot is dropped even when the call fails,
        since a failed call may have run."""
        try:
            return self.session.call(service, action, params, idempotent=idempotent)
        finally:
            self.reader.invalidate()

    def _result(self, reply: dict[str, Any], **extra: str) -> WriteResult:
        return WriteResult(request_id=str(reply.get("RequestId") or ""), **extra)

    # --- capacity -----------------------------------------------------------------------------

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        if honor_cooldown:
            raise _invalid(CAPABILITIES.unsupported["honor_cooldown"])
        group_id = self.reader.group_id(group)
        reply = self._write(
            "as",
            "ModifyDesiredCapacity",
            {"AutoScalingGroupId": group_id, "DesiredCapacity": desired},
        )
        return self._result(reply, native_id=group_id)

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        group_id = self.reader.group_id(group)
        params: dict[str, Any] = {
            "AutoScalingGroupId": group_id,
            "MinSize": min_size,
            "MaxSize": max_size,
        }
        if desired is not None:
            params["DesiredCapacity"] = desired
        reply = self._write("as", "ModifyAutoScalingGroup", params)
        return self._result(reply, native_id=group_id)

    # --- rules --------------------------------------------------------------------------------

    def _find(self, group_id: str, name: str) -> tuple[str, str, dict[str, Any]] | None:
        """('policy'|'scheduled', native id, wire entry) of the rule ``name`` in the group."""
        by_group = [{"Name": "auto-scaling-group-id", "Values": [group_id]}]
        for raw in self.session.paged(
            "as", "DescribeScalingPolicies", "ScalingPolicySet", {"Filters": by_group}
        ):
            if raw["ScalingPolicyName"] == name:
                return "policy", str(raw["AutoScalingPolicyId"]), raw
        for raw in self.session.paged(
            "as", "DescribeScheduledActions", "ScheduledActionSet", {"Filters": by_group}
        ):
            if raw["ScheduledActionName"] == name:
                return "scheduled", str(raw["ScheduledActionId"]), raw
        return None

    def _unchanged(self, rule: AnyRule, existing: tuple[str, str, dict[str, Any]]) -> bool:
        """Whether Tencent already holds this rule (descriptions do not exist there)."""
        kind, _, raw = existing
        now = self.reader.now()
        current: AnyRule | None
        if kind == "scheduled":
            current = m.action_to_rule(raw, rule.group, now)
        else:
            current = m.policy_to_rule(raw, rule.group)
        if current is None or current.kind != rule.kind:
            return False
        if isinstance(rule, ScheduledRule) and isinstance(current, ScheduledRule):
            # Compare what fires when: the same schedule in Beijing time.
            try:
                wanted = m.scheduled_to_action(rule, now)
                held = m.scheduled_to_action(current, now)
            except ValueError:
                return False
            wanted.pop("StartTime")
            held.pop("StartTime")
            same_start = (rule.start is None and current.start is None) or (
                rule.start == current.start
            )
            return wanted == held and same_start
        return current == rule.model_copy(update={"description": ""})

    def _delete(self, kind: str, native_id: str) -> dict[str, Any]:
        if kind == "policy":
            return self._write("as", "DeleteScalingPolicy", {"AutoScalingPolicyId": native_id})
        return self._write("as", "DeleteScheduledAction", {"ScheduledActionId": native_id})

    def put_rule(self, rule: AnyRule) -> WriteResult:
        problems = CAPABILITIES.problems(rule)
        if not rule.enabled:
            problems.append(CAPABILITIES.unsupported["disabled"])
        if isinstance(rule, TargetTrackingRule | SimpleRule):
            problems += m.policy_problems(rule)
        if problems:
            raise _invalid(f"rule {rule.group}/{rule.name}: " + "; ".join(problems))
        group_id = self.reader.group_id(rule.group)
        existing = self._find(group_id, rule.name)
        if existing is not None and self._unchanged(rule, existing):
            return WriteResult(native_id=existing[1], detail="unchanged")
        if isinstance(rule, ScheduledRule):
            try:
                params = m.scheduled_to_action(rule, self.reader.now())
            except ValueError as exc:
                raise _invalid(f"rule {rule.group}/{rule.name}: {exc}") from None
            if existing is not None and existing[0] == "scheduled":
                reply = self._write(
                    "as", "ModifyScheduledAction", {"ScheduledActionId": existing[1], **params}
                )
                return self._result(reply, native_id=existing[1])
            if existing is not None:
                self._delete(existing[0], existing[1])
            reply = self._write(
                "as",
                "CreateScheduledAction",
                {"AutoScalingGroupId": group_id, **params},
                idempotent=False,
            )
            return self._result(reply, native_id=str(reply.get("ScheduledActionId") or ""))
        assert isinstance(rule, TargetTrackingRule | SimpleRule)  # guaranteed by problems()
        params = m.rule_to_policy(rule)
        # The policy type cannot change in place (ModifyScalingPolicy has no type field).
        if (
            existing is not None
            and existing[0] == "policy"
            and existing[2].get("ScalingPolicyType") == params["ScalingPolicyType"]
        ):
            modify = {k: v for k, v in params.items() if k != "ScalingPolicyType"}
            reply = self._write(
                "as", "ModifyScalingPolicy", {"AutoScalingPolicyId": existing[1], **modify}
            )
            return self._result(reply, native_id=existing[1])
        if existing is not None:
            self._delete(existing[0], existing[1])
        reply = self._write(
            "as",
            "CreateScalingPolicy",
            {"AutoScalingGroupId": group_id, **params},
            idempotent=False,
        )
        return self._result(reply, native_id=str(reply.get("AutoScalingPolicyId") or ""))

    def delete_rule(self, group: str, name: str) -> WriteResult:
        existing = self._find(self.reader.group_id(group), name)
        if existing is None:
            raise ProviderError(
                ErrorKind.NOT_FOUND,
                f"rule {group}/{name} does not exist",
                provider=PROVIDER,
                code="ResourceNotFound.ScalingPolicyNotFound",
            )
        return self._result(self._delete(existing[0], existing[1]), native_id=existing[1])

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        existing = self._find(self.reader.group_id(group), name)
        if existing is None or existing[0] != "policy":
            raise ProviderError(
                ErrorKind.NOT_FOUND,
                f"scaling policy {group}/{name} does not exist",
                provider=PROVIDER,
                code="ResourceNotFound.ScalingPolicyNotFound",
            )
        reply = self._write(
            "as",
            "ExecuteScalingPolicy",
            {
                "AutoScalingPolicyId": existing[1],
                "HonorCooldown": honor_cooldown,
                "TriggerSource": "API",
            },
            idempotent=False,  # AS has no client token: a retried execute could run twice
        )
        return self._result(
            reply, activity_id=str(reply.get("ActivityId") or ""), native_id=existing[1]
        )

    # --- suspend / resume ---------------------------------------------------------------------

    def _whole_group(self, processes: Sequence[str]) -> None:
        if processes:
            raise _invalid(CAPABILITIES.unsupported["suspend_processes"])

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        self._whole_group(processes)
        group_id = self.reader.group_id(group)
        reply = self._write("as", "DisableAutoScalingGroup", {"AutoScalingGroupId": group_id})
        return self._result(reply, native_id=group_id)

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        self._whole_group(processes)
        group_id = self.reader.group_id(group)
        reply = self._write("as", "EnableAutoScalingGroup", {"AutoScalingGroupId": group_id})
        return self._result(reply, native_id=group_id)
