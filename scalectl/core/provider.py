"""The provider interface: what every cloud adapter (and the sim) offers the core.

A provider plugin is registered under the entry-point group ``scalectl.providers`` and loaded
only when a profile uses it. It opens a *reader* (every query) and, only for a writable console,
a *writer* (every mutation). The Console is the only caller of a writer; a read-only Console is
built without one, so no code path can reach a mutation through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from scalectl.core.model import (
    Activity,
    AdjustmentType,
    Alarm,
    Balancer,
    Group,
    MetricSeries,
    PercentRounding,
)

# The rule schema (pydantic) is imported only where rules are handled, not by every read path:
# listing groups must not pay ~0.1 s for it.
if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule as AnyRule
    from scalectl.core.rules import Rule


def __getattr__(name: str) -> Any:
    # ``from scalectl.core.provider import AnyRule`` at run time (PEP 562): the rule union is
    # built on first use.
    if name == "AnyRule":
        from scalectl.core import rules

        return rules.AnyRule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Capabilities:
    """What a provider can express. ``unsupported`` maps a feature to the reason it cannot."""

    rule_kinds: frozenset[str]
    metrics: frozenset[str]
    adjustment_types: frozenset[AdjustmentType] = frozenset(AdjustmentType)
    percent_rounding: PercentRounding = PercentRounding.AWS
    m_of_n_alarms: bool = True
    composite_alarms: bool = False
    suspend_resume: bool = True
    honor_cooldown: bool = True
    scheduled_cron: bool = True
    scheduled_timezone: bool = True
    unsupported: Mapping[str, str] = field(default_factory=dict)

    def problems(self, rule: Rule) -> list[str]:
        """Why this provider cannot express ``rule`` as written (empty when it can)."""
        reasons: list[str] = []
        if rule.kind not in self.rule_kinds:
            reasons.append(self.unsupported.get(rule.kind, f"{rule.kind} rules are not supported"))
            return reasons
        metric = getattr(rule, "metric", None)
        if metric is not None and metric not in self.metrics:
            reasons.append(f"metric {metric!r} has no native equivalent here")
        adjustment = getattr(rule, "adjustment_type", None)
        if adjustment is not None and adjustment not in self.adjustment_types:
            reasons.append(f"adjustment type {adjustment.value!r} is not supported")
        dta = getattr(rule, "datapoints_to_alarm", None)
        periods = getattr(rule, "evaluation_periods", None)
        if not self.m_of_n_alarms and dta is not None and periods is not None and dta != periods:
            reasons.append(
                f"alarms count consecutive periods only: datapoints_to_alarm {dta} "
                f"must equal evaluation_periods {periods}"
            )
        if rule.kind == "scheduled":
            if getattr(rule, "cron", None) and not self.scheduled_cron:
                reasons.append(self.unsupported.get("cron", "cron recurrences are not supported"))
            if getattr(rule, "timezone", "UTC") != "UTC" and not self.scheduled_timezone:
                reasons.append(self.unsupported.get("timezone", "only UTC schedules are supported"))
        return reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_kinds": sorted(self.rule_kinds),
            "metrics": sorted(self.metrics),
            "adjustment_types": sorted(a.value for a in self.adjustment_types),
            "percent_rounding": self.percent_rounding.value,
            "m_of_n_alarms": self.m_of_n_alarms,
            "composite_alarms": self.composite_alarms,
            "suspend_resume": self.suspend_resume,
            "honor_cooldown": self.honor_cooldown,
            "unsupported": dict(self.unsupported),
        }


@dataclass(frozen=True)
class WriteResult:
    """What a provider write returned: ids to put in the audit log."""

    request_id: str = ""
    activity_id: str = ""
    native_id: str = ""
    detail: str = ""


@runtime_checkable
class ProviderReader(Protocol):
    """Every query. Lists are paged to the end by the adapter."""

    name: str  # provider kind: sim, aws, alibaba, tencent, huawei
    region: str

    def capabilities(self) -> Capabilities: ...

    def now(self) -> datetime:
        """The provider's clock (the sim's simulated time; wall time elsewhere)."""
        ...

    def identity(self) -> str:
        """Who we are at the provider (account id, access key id prefix); '' when unknown."""
        ...

    def list_groups(self) -> list[Group]: ...

    def get_group(self, group: str) -> Group:
        """A group with its instances, by name or id; NotFoundError when it does not exist."""
        ...

    def list_balancers(self) -> list[Balancer]: ...

    def list_alarms(self) -> list[Alarm]: ...

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]: ...

    def list_rules(self, group: str | None = None) -> list[AnyRule]: ...

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries: ...

    def close(self) -> None: ...

    # Optional: ``canonical_rule(rule) -> rule`` returns a rule as this provider will report it
    # back after a put (time zone shifted, fields it does not keep dropped). The planner uses it
    # so that rules already in place are not planned again.


@runtime_checkable
class ProviderWriter(Protocol):
    """Every mutation. Only ``Console`` calls these."""

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult: ...

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult: ...

    def put_rule(self, rule: AnyRule) -> WriteResult: ...

    def delete_rule(self, group: str, name: str) -> WriteResult: ...

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult: ...

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult: ...

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult: ...


class ProviderPlugin(Protocol):
    """The object an entry point names. ``profile`` is a ``scalectl.config.Profile``."""

    def open_reader(self, profile: Any) -> ProviderReader: ...

    def open_writer(self, profile: Any, reader: ProviderReader) -> ProviderWriter: ...


# Names of every mutating operation, used by the read-only tests to enumerate them.
WRITE_OPERATIONS: tuple[str, ...] = (
    "set_desired",
    "set_bounds",
    "put_rule",
    "delete_rule",
    "execute_rule",
    "suspend",
    "resume",
)
