"""Planning: the diff between the rules a file wants and the rules a provider has.

``rules apply`` converges the groups a file names: rules in the file and not at the provider are
created, rules that differ are modified, rules at the provider that the file does not list are
deleted. What the provider cannot express is listed with the reason and never applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from scalectl.core.model import Group
from scalectl.core.provider import AnyRule, Capabilities
from scalectl.core.rules import GroupBounds, RuleSet

ChangeKind = Literal["create", "modify", "delete", "bounds"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    group: str
    name: str  # rule name, or "bounds"
    before: AnyRule | GroupBounds | None = None
    after: AnyRule | GroupBounds | None = None
    fields: tuple[str, ...] = ()  # the fields that differ, for a modify

    def describe(self) -> str:
        if self.kind == "create":
            return f"+ create {getattr(self.after, 'kind', '')} rule {self.group}/{self.name}"
        if self.kind == "delete":
            kind = getattr(self.before, "kind", "")
            return f"- delete {kind} rule {self.group}/{self.name}"
        if self.kind == "bounds":
            return f"~ bounds of {self.group}: " + ", ".join(
                f"{f} {_get(self.before, f)} -> {_get(self.after, f)}" for f in self.fields
            )
        return f"~ modify rule {self.group}/{self.name}: " + ", ".join(
            f"{f} {_fmt(_get(self.before, f))} -> {_fmt(_get(self.after, f))}" for f in self.fields
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.kind,
            "group": self.group,
            "name": self.name,
            "fields": list(self.fields),
            "before": _dump(self.before),
            "after": _dump(self.after),
        }


@dataclass(frozen=True)
class Unsupported:
    group: str
    name: str
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"! cannot express {self.group}/{self.name}: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class RulePlan:
    changes: tuple[Change, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()
    groups: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "changes": [c.to_dict() for c in self.changes],
            "unsupported": [u.to_dict() for u in self.unsupported],
        }


def _get(obj: object, name: str) -> Any:
    return getattr(obj, name, None)


def _fmt(value: Any) -> str:
    if hasattr(value, "value"):
        return str(value.value)
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if hasattr(value, "model_dump"):
        return str(value.model_dump(exclude_none=True))
    return repr(value) if isinstance(value, str) else str(value)


def _dump(obj: object) -> Any:
    if obj is None:
        return None
    dump = getattr(obj, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_none=True)
    return obj


def diff_fields(before: AnyRule, after: AnyRule) -> tuple[str, ...]:
    if before.kind != after.kind:
        return ("kind",)
    a = before.model_dump()
    b = after.model_dump()
    return tuple(name for name in b if a.get(name) != b.get(name))


def plan_rules(
    wanted: RuleSet,
    current_rules: Sequence[AnyRule],
    groups: Sequence[Group],
    capabilities: Capabilities,
    canonical: Callable[[AnyRule], AnyRule] | None = None,
) -> RulePlan:
    """Diff ``wanted`` against the provider's rules for the groups ``wanted`` names.

    ``canonical`` turns a wanted rule into the form the provider will report it back in (a cron
    shifted to the cloud's time zone, a field the cloud does not keep dropped), so a rule that is
    already in place is not planned again.
    """
    canon = canonical or (lambda rule: rule)
    by_name = {g.name: g for g in groups}
    touched = sorted({r.group for r in wanted.rules} | {b.group for b in wanted.bounds})
    changes: list[Change] = []
    unsupported: list[Unsupported] = []

    for bounds in sorted(wanted.bounds, key=lambda b: b.group):
        group = by_name[bounds.group]
        have = GroupBounds(
            group=group.name,
            min=group.min,
            max=group.max,
            desired=group.desired if bounds.desired is not None else None,
        )
        differing = tuple(
            f
            for f in ("min", "max", "desired")
            if getattr(bounds, f) is not None and getattr(bounds, f) != getattr(have, f)
        )
        if differing:
            changes.append(Change("bounds", group.name, "bounds", have, bounds, differing))

    have_rules = {(r.group, r.name): r for r in current_rules if r.group in touched}
    want_rules = {(r.group, r.name): r for r in wanted.rules}
    for key in sorted(want_rules):
        rule = want_rules[key]
        problems = capabilities.problems(rule)
        if problems:
            unsupported.append(Unsupported(rule.group, rule.name, tuple(problems)))
            continue
        existing = have_rules.get(key)
        if existing is None:
            changes.append(Change("create", rule.group, rule.name, None, rule))
        elif existing != canon(rule):
            differing = diff_fields(existing, canon(rule))
            changes.append(Change("modify", rule.group, rule.name, existing, rule, differing))
    for key in sorted(have_rules):
        if key not in want_rules:
            rule = have_rules[key]
            changes.append(Change("delete", rule.group, rule.name, rule, None))
    return RulePlan(tuple(changes), tuple(unsupported), tuple(touched))
