"""Guardrails: pure checks that say whether a mutation may go ahead, and why not.

The Console runs these before every write; they never call a provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from scalectl.core.errors import InputError
from scalectl.core.model import AdjustmentType

_TARGET = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%)?\s*$")


@dataclass(frozen=True)
class ScaleTarget:
    """What the operator typed: ``8`` (exact), ``+2`` / ``-1`` (change), ``-25%`` (percent)."""

    mode: Literal["to", "by", "percent"]
    value: float

    @classmethod
    def parse(cls, text: str) -> ScaleTarget:
        match = _TARGET.match(text or "")
        if not match:
            raise InputError(f"{text!r} is not a target: use 8, +2, -1 or -25%", field="target")
        number = float(match["num"])
        sign = -1.0 if match["sign"] == "-" else 1.0
        if match["pct"]:
            if not match["sign"]:
                raise InputError(
                    f"{text!r}: a percent change needs a sign, e.g. +50% or -25%", field="target"
                )
            return cls("percent", sign * number)
        if not number.is_integer():
            raise InputError(f"{text!r}: instance counts are whole numbers", field="target")
        if match["sign"]:
            return cls("by", sign * number)
        return cls("to", number)

    def resolve(self, current: int) -> int:
        if self.mode == "to":
            return int(self.value)
        if self.mode == "by":
            return current + int(self.value)
        # Percent follows the AWS rounding of PercentChangeInCapacity (magnitude at least 1).
        from scalectl.core.decide import apply_adjustment  # the decision engine loads on use

        return apply_adjustment(current, AdjustmentType.PERCENT, round(self.value))

    def describe(self) -> str:
        if self.mode == "to":
            return str(int(self.value))
        if self.mode == "by":
            return f"{int(self.value):+d}"
        return f"{self.value:+g}%"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    rule: str = (
        ""  # which guard refused: read_only, bounds, step_limit, zero, cooldown, confirmation
    )
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def refuse(cls, rule: str, reason: str, warnings: tuple[str, ...] = ()) -> Verdict:
        return cls(False, reason, rule, warnings)


def check_scale(
    *,
    group: str,
    current: int,
    desired: int,
    min_size: int,
    max_size: int,
    read_only: bool,
    step_limit: int,
    force: bool,
    honor_cooldown: bool,
    cooldown_left_s: float,
) -> Verdict:
    warnings: list[str] = []
    if read_only:
        return Verdict.refuse("read_only", "this profile is read-only: no change is possible")
    if desired < 0:
        return Verdict.refuse("bounds", f"{desired} is below zero")
    if desired > max_size:
        return Verdict.refuse(
            "bounds",
            f"{desired} is above {group}'s max {max_size}; raise the bounds first "
            f"(rules apply with a [[bounds]] entry)",
        )
    if desired < min_size:
        return Verdict.refuse(
            "bounds", f"{desired} is below {group}'s min {min_size}; lower the bounds first"
        )
    if desired == 0 and current > 0 and not force:
        return Verdict.refuse(
            "zero",
            f"scaling {group} to zero takes every instance away; "
            "pass --force if that is what you want",
        )
    step = abs(desired - current)
    if step > step_limit and not force:
        return Verdict.refuse(
            "step_limit",
            f"a step of {step} instances is larger than the limit {step_limit}; "
            "pass --force or scale in smaller steps",
        )
    if cooldown_left_s > 0:
        if honor_cooldown:
            return Verdict.refuse(
                "cooldown",
                f"{group} is in cooldown for {cooldown_left_s:.0f} s more (--honor-cooldown)",
            )
        warnings.append(
            f"cooldown {cooldown_left_s:.0f} s left (manual scaling does not wait "
            "for it unless --honor-cooldown)"
        )
    if desired == current:
        warnings.append(f"{group} is already at {current}: nothing to change")
    return Verdict(True, warnings=tuple(warnings))


def check_bounds(
    *, group: str, min_size: int, max_size: int, desired: int | None, read_only: bool
) -> Verdict:
    if read_only:
        return Verdict.refuse("read_only", "this profile is read-only: no change is possible")
    if min_size < 0 or max_size < 0:
        return Verdict.refuse("bounds", "bounds cannot be negative")
    if min_size > max_size:
        return Verdict.refuse("bounds", f"min {min_size} is above max {max_size}")
    if desired is not None and not min_size <= desired <= max_size:
        return Verdict.refuse("bounds", f"desired {desired} is outside [{min_size}, {max_size}]")
    return Verdict(True)
