"""Every mutation on EC2 Auto Scaling and CloudWatch. Only the Console calls these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError, guard_replies
from scalectl.core.provider import WRITE_OPERATIONS, AnyRule, WriteResult
from scalectl.core.rules import (
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    StepRule,
    TargetTrackingRule,
)
from scalectl_aws import mapping, policies
from scalectl_aws.errors import translated
from scalectl_aws.reader import CAPABILITIES, AwsReader
from scalectl_aws.session import throttled_retry


def _request_id(response: dict[str, Any]) -> str:
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


def _refuse(message: str) -> ProviderError:
    return ProviderError(ErrorKind.INVALID, message, provider=mapping.PROVIDER, retryable=False)


@guard_replies(mapping.PROVIDER, WRITE_OPERATIONS)
class AwsWriter:
    def __init__(self, reader: AwsReader) -> None:
        self.reader = reader
        self.autoscaling = reader.clients.autoscaling
        self.cloudwatch = reader.clients.cloudwatch

    def _done(self, response: dict[str, Any], **fields: str) -> WriteResult:
        self.reader.invalidate()
        return WriteResult(request_id=_request_id(response), **fields)

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        name = mapping.group_name_from_arn(group)
        with translated():
            response = self.autoscaling.set_desired_capacity(
                AutoScalingGroupName=name, DesiredCapacity=desired, HonorCooldown=honor_cooldown
            )
        return self._done(response, native_id=name, detail=reason)

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        name = mapping.group_name_from_arn(group)
        params: dict[str, Any] = {
            "AutoScalingGroupName": name,
            "MinSize": min_size,
            "MaxSize": max_size,
        }
        if desired is not None:
            params["DesiredCapacity"] = desired
        with translated():
            response = self.autoscaling.update_auto_scaling_group(**params)
        return self._done(response, native_id=name)

    # -- rules ---------------------------------------------------------------------------------

    def put_rule(self, rule: AnyRule) -> WriteResult:
        problems = CAPABILITIES.problems(rule)
        if problems:
            raise _refuse(f"rule {rule.group}/{rule.name}: " + "; ".join(problems))
        if isinstance(rule, ScheduledRule):
            if not rule.enabled:
                raise _refuse(
                    f"rule {rule.group}/{rule.name}: "
                    + CAPABILITIES.unsupported["scheduled:disabled"]
                )
            with translated():
                response = self.autoscaling.put_scheduled_update_group_action(
                    **policies.rule_to_scheduled(rule)
                )
            return self._done(response, native_id=rule.name)
        label = None
        if isinstance(rule, TargetTrackingRule | PredictiveRule) and (
            rule.metric in mapping.NEEDS_RESOURCE_LABEL
        ):
            label = self.reader.resource_label(rule.group)
        with translated():
            response = self.autoscaling.put_scaling_policy(**policies.rule_to_policy(rule, label))
        # AWS returns the PolicyARN; moto drops it from the response, so ask for it then.
        arn = response.get("PolicyARN") or self._policy(rule.group, rule.name)["PolicyARN"]
        self.reader.invalidate()
        own = self._alarms_of(arn)
        if isinstance(rule, StepRule | SimpleRule):
            self._put_alarm(rule, arn, own)
        elif own:
            # The rule became target tracking or predictive: its old alarm would drive nothing.
            self._delete_own_alarms(own)
        return self._done(response, native_id=arn)

    def _put_alarm(
        self, rule: StepRule | SimpleRule, arn: str, linked: list[dict[str, Any]]
    ) -> None:
        # Update the alarm that already drives this policy (even one a user made), else ours.
        name = (
            linked[0]["AlarmName"]
            if linked
            else (f"{mapping.OWN_ALARM_PREFIX}{rule.group}-{rule.name}")
        )
        target_group = None
        if mapping.ALARM_METRICS[rule.metric][2] == "tg":
            target_group = mapping.target_group_label(
                self.reader.target_group_of(rule.group)["TargetGroupArn"]
            )
        with translated():
            self.cloudwatch.put_metric_alarm(
                **policies.rule_to_alarm(rule, name, arn, target_group)
            )

    def _policy(self, group: str, name: str) -> dict[str, Any]:
        with translated():
            found = self.autoscaling.describe_policies(
                AutoScalingGroupName=group, PolicyNames=[name]
            )["ScalingPolicies"]
        if not found:
            raise NotFoundError("rule", f"{group}/{name}")
        return dict(found[0])

    def _alarms_of(self, policy_arn: str) -> list[dict[str, Any]]:
        return [a for a in self.reader.raw_alarms() if policy_arn in a.get("AlarmActions", [])]

    def _delete_own_alarms(self, alarms: list[dict[str, Any]]) -> None:
        names = [
            a["AlarmName"] for a in alarms if a["AlarmName"].startswith(mapping.OWN_ALARM_PREFIX)
        ]
        if names:
            with translated():
                self.cloudwatch.delete_alarms(AlarmNames=names)

    def delete_rule(self, group: str, name: str) -> WriteResult:
        group = mapping.group_name_from_arn(group)
        with translated():
            policies = self.autoscaling.describe_policies(
                AutoScalingGroupName=group, PolicyNames=[name]
            )["ScalingPolicies"]
        if policies:
            arn = policies[0]["PolicyARN"]
            alarms = self._alarms_of(arn)
            with translated():
                response = self.autoscaling.delete_policy(
                    AutoScalingGroupName=group, PolicyName=name
                )
            # AWS removes the alarm's action but keeps a step/simple alarm: drop the one we made.
            self._delete_own_alarms(alarms)
            return self._done(response, native_id=arn)
        with translated():
            actions = self.autoscaling.describe_scheduled_actions(
                AutoScalingGroupName=group, ScheduledActionNames=[name]
            )["ScheduledUpdateGroupActions"]
            if not actions:
                raise NotFoundError("rule", f"{group}/{name}")
            response = self.autoscaling.delete_scheduled_action(
                AutoScalingGroupName=group, ScheduledActionName=name
            )
        return self._done(response, native_id=name)

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        group = mapping.group_name_from_arn(group)
        policy = self._policy(group, name)
        kind = policy.get("PolicyType", "SimpleScaling")
        params: dict[str, Any] = {"AutoScalingGroupName": group, "PolicyName": name}
        if kind == "SimpleScaling":
            params["HonorCooldown"] = honor_cooldown
        elif kind == "StepScaling":
            # A step policy needs a metric value to pick its step: breach the first step.
            rule = policies.policy_to_rule(policy, self._alarms_of(policy["PolicyARN"]))
            if not isinstance(rule, StepRule):
                raise _refuse(f"step policy {group}/{name} has no alarm to take a threshold from")
            first = rule.steps[0]
            offset = first.lower if first.lower is not None else (first.upper or 0.0) - 1.0
            params["BreachThreshold"] = rule.threshold
            params["MetricValue"] = rule.threshold + offset
        else:
            raise _refuse(f"{group}/{name}: AWS executes only simple and step policies")
        with translated():
            # Not idempotent: retried on throttling only (see Clients.autoscaling_once).
            once = self.reader.clients.autoscaling_once
            response = throttled_retry(
                lambda: once.execute_policy(**params), self.reader.clients.max_retries
            )
        return self._done(response, native_id=policy["PolicyARN"])

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        name = mapping.group_name_from_arn(group)
        params: dict[str, Any] = {"AutoScalingGroupName": name}
        if processes:
            params["ScalingProcesses"] = list(processes)
        with translated():
            response = self.autoscaling.suspend_processes(**params)
        return self._done(response, native_id=name)

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        name = mapping.group_name_from_arn(group)
        params: dict[str, Any] = {"AutoScalingGroupName": name}
        if processes:
            params["ScalingProcesses"] = list(processes)
        with translated():
            response = self.autoscaling.resume_processes(**params)
        return self._done(response, native_id=name)
