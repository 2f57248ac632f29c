"""What Tencent Cloud AS can express, and why not the rest (autoscaling-semantics.md §4, §6)."""

from __future__ import annotations

from scalectl.core.provider import Capabilities
from scalectl.core.rules import AdjustmentType, PercentRounding

CAPABILITIES = Capabilities(
    rule_kinds=frozenset({"target_tracking", "simple", "scheduled"}),
    metrics=frozenset({"cpu", "memory", "network_in", "network_out"}),
    adjustment_types=frozenset(AdjustmentType),
    # Tencent does not document percent rounding; AWS's rule (truncate, at least 1) is assumed.
    percent_rounding=PercentRounding.AWS,
    m_of_n_alarms=False,
    composite_alarms=False,
    suspend_resume=True,
    honor_cooldown=False,
    scheduled_cron=True,
    scheduled_timezone=True,
    unsupported={
        "step": "Tencent AS has no step scaling policies (ScalingPolicyType is SIMPLE or "
        "TARGET_TRACKING only)",
        "predictive": "Tencent AS has no predictive scaling",
        "m_of_n": "alarms count consecutive periods (ContinuousTime 1-10): M must equal N",
        "honor_cooldown": "ModifyDesiredCapacity has no HonorCooldown (only ExecuteScalingPolicy)",
        "suspend_processes": "DisableAutoScalingGroup stops the whole group; single processes "
        "cannot be suspended",
        "timezone": "scheduled actions run in Beijing time (UTC+8); UTC crons are shifted by "
        "8 hours when the shift is expressible",
        "memory_target_tracking": "target tracking offers CPU and LAN/WAN traffic only",
        "missing_data": "missing-data treatment is not configurable",
        "disabled": "scaling policies and scheduled actions cannot be disabled one by one "
        "(only the whole group, DisableAutoScalingGroup)",
        "description": "policies and scheduled actions have no description field",
        "metrics": "latency, error rate and requests per target have no AS alarm metric",
    },
)
