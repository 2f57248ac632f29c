"""What Huawei AS v1 + CES v1 can express of the portable rules, and why not the rest."""

from __future__ import annotations

from dataclasses import dataclass

from scalectl.core.provider import Capabilities
from scalectl.core.rules import AdjustmentType, PercentRounding, Rule, ScheduledRule, SimpleRule
from scalectl_huawei import codec


@dataclass(frozen=True)
class HuaweiCapabilities(Capabilities):
    """The generic checks, plus Huawei's own limits (CES periods and counts, SET-only schedules)."""

    def problems(self, rule: Rule) -> list[str]:
        reasons = super().problems(rule)
        if rule.kind not in self.rule_kinds:
            return reasons
        extra: list[str] = []
        if isinstance(rule, SimpleRule):
            extra = codec.simple_problems(rule)
        elif isinstance(rule, ScheduledRule):
            extra = codec.scheduled_problems(rule)
        return reasons + [r for r in extra if r not in reasons]


CAPABILITIES = HuaweiCapabilities(
    rule_kinds=frozenset({"simple", "scheduled"}),
    metrics=frozenset(codec.METRICS),
    adjustment_types=frozenset(AdjustmentType),
    # Huawei does not document how a percentage becomes instances; AWS-style truncation
    # (at least 1) is the assumption the planner uses.
    percent_rounding=PercentRounding.AWS,
    m_of_n_alarms=False,
    composite_alarms=False,
    suspend_resume=True,
    # UpdateScalingGroup and ExecuteScalingPolicy take no honor-cooldown flag.
    honor_cooldown=False,
    scheduled_cron=True,
    scheduled_timezone=False,
    unsupported={
        **codec.UNSUPPORTED_KINDS,
        "timezone": "Huawei AS launch times are UTC only",
        "cron": "Huawei recurrences are Daily, Weekly or Monthly at one hh:mm",
        "suspend_processes": "Huawei pauses a whole group; single processes cannot be suspended",
        "requests_per_target": "Cloud Eye has no per-instance request metric for AS groups",
        "latency_ms": "latency is an ELB metric; AS alarm policies use AS group metrics",
        "error_rate": "error rate is an ELB metric; AS alarm policies use AS group metrics",
    },
)
