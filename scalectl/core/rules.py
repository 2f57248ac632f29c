"""The portable rule schema: one TOML format for scaling rules on every cloud.

A rule is identified by (group, name). Providers translate rules to and from their native
policies and declare in their capability table what they cannot express.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from scalectl.core.model import METRICS, Comparison, MissingData, Statistic

# The rules' vocabulary is defined in model (free of pydantic, for the read paths) and is part
# of this module's interface too.
from scalectl.core.model import RULE_KINDS as RULE_KINDS
from scalectl.core.model import AdjustmentType as AdjustmentType
from scalectl.core.model import MaxCapacityBehavior as MaxCapacityBehavior
from scalectl.core.model import PercentRounding as PercentRounding
from scalectl.core.model import PredictiveMode as PredictiveMode
from scalectl.core.schedule import cron_problem, zone


class _Base(BaseModel):
    # No NaN or infinity: they cannot be compared, and infinite step bounds are spelled by omission.
    # defer_build: a command that never validates a rule (groups list) does not pay for the schema.
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False, defer_build=True
    )


class Step(_Base):
    """One step of a step rule; bounds are relative to the alarm threshold (None = infinite)."""

    lower: float | None = None
    upper: float | None = None
    adjustment: int


def _step_order(step: Step) -> tuple[float, float]:
    lower = step.lower if step.lower is not None else float("-inf")
    upper = step.upper if step.upper is not None else float("inf")
    return (lower, upper)


class _RuleBase(_Base):
    name: Annotated[
        str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    ]
    group: Annotated[str, Field(min_length=1)]
    enabled: bool = True
    description: str = ""


class TargetTrackingRule(_RuleBase):
    kind: Literal["target_tracking"] = "target_tracking"
    metric: str = "cpu"
    target: Annotated[float, Field(gt=0)]
    disable_scale_in: bool = False
    warmup_s: Annotated[int, Field(ge=0, le=86400)] | None = None


class StepRule(_RuleBase):
    kind: Literal["step"] = "step"
    metric: str = "cpu"
    comparison: Comparison
    threshold: float
    statistic: Statistic = Statistic.AVERAGE
    period_s: Annotated[int, Field(ge=10, le=86400)] = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=1440)] = 1
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=1440)] | None = None
    missing_data: MissingData = MissingData.MISSING
    adjustment_type: AdjustmentType = AdjustmentType.CHANGE
    min_adjustment_magnitude: Annotated[int, Field(ge=1)] | None = None
    steps: Annotated[list[Step], Field(min_length=1)]
    warmup_s: Annotated[int, Field(ge=0, le=86400)] | None = None

    @field_validator("steps")
    @classmethod
    def _sorted_steps(cls, steps: list[Step]) -> list[Step]:
        # The order of steps carries no meaning at any cloud: keep them sorted by bound so two
        # rules with the same steps compare equal whatever order a file or an API gave them in.
        return sorted(steps, key=_step_order)


class SimpleRule(_RuleBase):
    kind: Literal["simple"] = "simple"
    metric: str = "cpu"
    comparison: Comparison
    threshold: float
    statistic: Statistic = Statistic.AVERAGE
    period_s: Annotated[int, Field(ge=10, le=86400)] = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=1440)] = 1
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=1440)] | None = None
    missing_data: MissingData = MissingData.MISSING
    adjustment_type: AdjustmentType = AdjustmentType.CHANGE
    adjustment: int
    min_adjustment_magnitude: Annotated[int, Field(ge=1)] | None = None
    cooldown_s: Annotated[int, Field(ge=0, le=86400)] | None = None


class ScheduledRule(_RuleBase):
    kind: Literal["scheduled"] = "scheduled"
    # Exactly one of cron (recurring, five fields) or at (one-off) is set.
    cron: str | None = None
    at: datetime | None = None
    timezone: str = "UTC"
    start: datetime | None = None
    end: datetime | None = None
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None
    desired: Annotated[int, Field(ge=0)] | None = None


class PredictiveRule(_RuleBase):
    kind: Literal["predictive"] = "predictive"
    metric: str = "cpu"
    target: Annotated[float, Field(gt=0)]
    mode: PredictiveMode = PredictiveMode.FORECAST_ONLY
    buffer_s: Annotated[int, Field(ge=0, lt=3600)] = 300
    max_capacity_behavior: MaxCapacityBehavior = MaxCapacityBehavior.HONOR
    max_capacity_buffer: Annotated[int, Field(ge=0, le=100)] | None = None


Rule = Annotated[
    TargetTrackingRule | StepRule | SimpleRule | ScheduledRule | PredictiveRule,
    Field(discriminator="kind"),
]


class GroupBounds(_Base):
    group: Annotated[str, Field(min_length=1)]
    min: Annotated[int, Field(ge=0)]
    max: Annotated[int, Field(ge=0)]
    desired: Annotated[int, Field(ge=0)] | None = None


class RuleSet(_Base):
    """What a rules file holds: optional group bounds and the rules."""

    version: Literal[1] = 1
    bounds: list[GroupBounds] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


@cache
def rule_adapter() -> TypeAdapter[AnyRule]:
    """Validates any rule from plain data (its kind picks the model); built once, on first use."""
    return TypeAdapter(Rule)


def rule_key(
    rule: TargetTrackingRule | StepRule | SimpleRule | ScheduledRule | PredictiveRule,
) -> tuple[str, str]:
    return (rule.group, rule.name)


AnyRule = TargetTrackingRule | StepRule | SimpleRule | ScheduledRule | PredictiveRule

# --- meaning checks -------------------------------------------------------------------------------
# Pydantic checks each field alone; these check what fields mean together (AWS rules, see
# reference/autoscaling-semantics.md section 1.2 and 1.3). Each problem names a field path.

Path = tuple[str | int, ...]


class Problem(NamedTuple):
    path: Path
    message: str


def format_path(path: Path) -> str:
    """``("rules", 2, "steps", 1)`` -> ``rules[2].steps[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def ruleset_problems(ruleset: RuleSet) -> list[Problem]:
    """Every meaning problem of a rule set, each with its full field path; empty when valid."""
    found: list[Problem] = []
    for index, bounds in enumerate(ruleset.bounds):
        found += [Problem(("bounds", index, *p.path), p.message) for p in bounds_problems(bounds)]
    for index, rule in enumerate(ruleset.rules):
        found += [Problem(("rules", index, *p.path), p.message) for p in rule_problems(rule)]
    found += list(_duplicates(ruleset))
    return found


def bounds_problems(bounds: GroupBounds) -> list[Problem]:
    return list(_capacity_problems(bounds.min, bounds.max, bounds.desired))


def rule_problems(rule: AnyRule) -> list[Problem]:
    """Meaning problems of one rule, with paths relative to the rule."""
    found: list[Problem] = []
    if not isinstance(rule, ScheduledRule) and rule.metric not in METRICS:
        known = ", ".join(METRICS)
        found.append(Problem(("metric",), f"unknown metric {rule.metric!r} (known: {known})"))
    if isinstance(rule, StepRule | SimpleRule):
        found += _alarm_problems(rule)
        found += _adjustment_problems(rule)
    if isinstance(rule, StepRule):
        found += _step_problems(rule)
    if isinstance(rule, ScheduledRule):
        found += _scheduled_problems(rule)
    if isinstance(rule, PredictiveRule):
        found += _predictive_problems(rule)
    return found


def _alarm_problems(rule: StepRule | SimpleRule) -> Iterator[Problem]:
    if not (rule.period_s in (10, 20, 30) or rule.period_s % 60 == 0):
        yield Problem(
            ("period_s",),
            f"period must be 10, 20, 30 or a multiple of 60 seconds, got {rule.period_s}",
        )
    if rule.evaluation_periods * rule.period_s > 86400:
        yield Problem(
            ("evaluation_periods",),
            f"evaluation_periods × period_s must not exceed one day (86400 s), "
            f"got {rule.evaluation_periods} × {rule.period_s} s",
        )
    if rule.datapoints_to_alarm is not None and rule.datapoints_to_alarm > rule.evaluation_periods:
        yield Problem(
            ("datapoints_to_alarm",),
            f"datapoints_to_alarm ({rule.datapoints_to_alarm}) must not exceed "
            f"evaluation_periods ({rule.evaluation_periods})",
        )


def _adjustment_problems(rule: StepRule | SimpleRule) -> Iterator[Problem]:
    if (
        rule.min_adjustment_magnitude is not None
        and rule.adjustment_type is not AdjustmentType.PERCENT
    ):
        yield Problem(
            ("min_adjustment_magnitude",),
            f"min_adjustment_magnitude applies only with adjustment_type = 'percent' "
            f"(here {rule.adjustment_type.value!r})",
        )
    if rule.adjustment_type is AdjustmentType.EXACT:
        adjustments: list[tuple[Path, int]] = (
            [(("steps", i, "adjustment"), s.adjustment) for i, s in enumerate(rule.steps)]
            if isinstance(rule, StepRule)
            else [(("adjustment",), rule.adjustment)]
        )
        for path, value in adjustments:
            if value < 0:
                yield Problem(path, f"an exact capacity cannot be negative, got {value}")


def _bound(value: float | None, infinity: str) -> str:
    if value is None:
        return infinity
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _interval(step: Step, above: bool) -> str:
    low, high = _bound(step.lower, "-inf"), _bound(step.upper, "+inf")
    # Above the threshold a step is [lower, upper); below it, (lower, upper].
    return f"[{low}, {high})" if above else f"({low}, {high}]"


def _step_problems(rule: StepRule) -> Iterator[Problem]:
    above = rule.comparison in (Comparison.GT, Comparison.GE)
    steps = rule.steps
    for index, step in enumerate(steps):
        path: Path = ("steps", index)
        if step.lower is None and step.upper is None:
            yield Problem(path, "a step needs a lower or an upper bound (or both)")
            return
        if step.lower is not None and step.upper is not None and step.lower >= step.upper:
            yield Problem(
                path,
                f"lower bound {_bound(step.lower, '')} must be below "
                f"upper bound {_bound(step.upper, '')}",
            )
            return
        if above and (step.lower is None or step.lower < 0):
            yield Problem(
                path,
                f"with comparison {rule.comparison.value!r} the steps lie above the threshold: "
                f"lower must be set and >= 0, got {_interval(step, above)}",
            )
            return
        if not above and (step.upper is None or step.upper > 0):
            yield Problem(
                path,
                f"with comparison {rule.comparison.value!r} the steps lie below the threshold: "
                f"upper must be set and <= 0, got {_interval(step, above)}",
            )
            return
    for end, name in (("lower", "-inf"), ("upper", "+inf")):
        open_ended = [index for index, step in enumerate(steps) if getattr(step, end) is None]
        if len(open_ended) > 1:
            yield Problem(
                ("steps", open_ended[1]),
                f"at most one step may have no {end} bound ({name}): "
                f"steps {open_ended[0]} and {open_ended[1]} both do",
            )
            return
    for index in range(1, len(steps)):
        before, step = steps[index - 1], steps[index]
        path = ("steps", index)
        low = step.lower if step.lower is not None else float("-inf")
        high_before = before.upper if before.upper is not None else float("inf")
        if high_before > low:
            yield Problem(
                path, f"steps overlap: {_interval(before, above)} and {_interval(step, above)}"
            )
            return
        if high_before < low:
            yield Problem(
                path, f"gap between steps: {_interval(before, above)} and {_interval(step, above)}"
            )
            return
    # Sorted, contiguous steps can only leave the outer end closed: the alarm side must stay open.
    if above and steps[-1].upper is not None:
        yield Problem(
            ("steps", len(steps) - 1), "the last step must have no upper bound (up to +inf)"
        )
    if not above and steps[0].lower is not None:
        yield Problem(("steps", 0), "the first step must have no lower bound (down to -inf)")


def _scheduled_problems(rule: ScheduledRule) -> Iterator[Problem]:
    if rule.cron is not None and rule.at is not None:
        yield Problem(("at",), "set either cron (recurring) or at (one-off), not both")
    if rule.cron is None and rule.at is None:
        yield Problem((), "a scheduled rule needs cron (recurring) or at (one-off)")
    if rule.cron is not None and (problem := cron_problem(rule.cron)) is not None:
        yield Problem(("cron",), problem)
    if zone(rule.timezone) is None:
        yield Problem(
            ("timezone",), f"unknown IANA time zone {rule.timezone!r} (e.g. 'UTC', 'Asia/Shanghai')"
        )
    aware = True
    for name in ("at", "start", "end"):
        value: datetime | None = getattr(rule, name)
        if value is not None and value.utcoffset() is None:
            aware = False
            yield Problem((name,), f"needs a UTC offset, e.g. {value.isoformat()}+00:00")
    if rule.at is not None:
        for name in ("start", "end"):
            if getattr(rule, name) is not None:
                yield Problem(
                    (name,), f"{name} applies only to recurring (cron) rules, not to one-off (at)"
                )
    if aware and rule.start is not None and rule.end is not None and rule.end <= rule.start:
        yield Problem(
            ("end",), f"end ({rule.end.isoformat()}) must be after start ({rule.start.isoformat()})"
        )
    if rule.min is None and rule.max is None and rule.desired is None:
        yield Problem((), "a scheduled rule must set at least one of min, max, desired")
    yield from _capacity_problems(rule.min, rule.max, rule.desired)


def _capacity_problems(low: int | None, high: int | None, desired: int | None) -> Iterator[Problem]:
    if low is not None and high is not None and low > high:
        yield Problem(("min",), f"min ({low}) must not exceed max ({high})")
    elif desired is not None and low is not None and desired < low:
        yield Problem(
            ("desired",), f"desired ({desired}) must be within [min, max], below min ({low})"
        )
    elif desired is not None and high is not None and desired > high:
        yield Problem(
            ("desired",), f"desired ({desired}) must be within [min, max], above max ({high})"
        )


def _predictive_problems(rule: PredictiveRule) -> Iterator[Problem]:
    increase = rule.max_capacity_behavior is MaxCapacityBehavior.INCREASE
    if rule.max_capacity_buffer is not None and not increase:
        yield Problem(
            ("max_capacity_buffer",),
            "max_capacity_buffer applies only with max_capacity_behavior = 'increase'",
        )
    if increase and rule.max_capacity_buffer is None:
        yield Problem(
            ("max_capacity_behavior",),
            "max_capacity_behavior = 'increase' needs max_capacity_buffer (percent)",
        )


def _duplicates(ruleset: RuleSet) -> Iterator[Problem]:
    seen_groups: dict[str, int] = {}
    for index, bounds in enumerate(ruleset.bounds):
        if bounds.group in seen_groups:
            yield Problem(
                ("bounds", index, "group"),
                f"duplicate bounds for group {bounds.group!r} "
                f"(first at bounds[{seen_groups[bounds.group]}])",
            )
        seen_groups.setdefault(bounds.group, index)
    first: dict[tuple[str, str], int] = {}
    for index, rule in enumerate(ruleset.rules):
        key = rule_key(rule)
        if key in first:
            yield Problem(
                ("rules", index, "name"),
                f"duplicate rule {rule.name!r} in group {rule.group!r} "
                f"(first at rules[{first[key]}])",
            )
        first.setdefault(key, index)


def canonical(ruleset: RuleSet) -> RuleSet:
    """The same rules in file order for a dump: bounds by group, rules by group then name."""
    return ruleset.model_copy(
        update={
            "bounds": sorted(ruleset.bounds, key=lambda b: b.group),
            "rules": sorted(ruleset.rules, key=rule_key),
        }
    )
