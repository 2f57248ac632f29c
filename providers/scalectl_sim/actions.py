"""Writes to the world from outside the autoscaler: the provider writer's calls (AWS semantics) and
the ``scalectl sim`` controls (flash sales, failures). Each acts at the world's current minute."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.core import schedule
from scalectl.core.decide import apply_adjustment, clamp, cooldown_left, select_step
from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError
from scalectl.core.provider import AnyRule
from scalectl.core.rules import ScheduledRule, SimpleRule, StepRule
from scalectl_sim import engine, lifecycle
from scalectl_sim.clock import PROVIDER, at_minute
from scalectl_sim.world import (
    IN_SERVICE,
    PENDING,
    FlashSale,
    SimActivity,
    SimGroup,
    World,
    unit_hash,
)

PROCESSES = (
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
)


def _error(kind: ErrorKind, code: str, message: str) -> ProviderError:
    return ProviderError(kind, message, provider=PROVIDER, code=code)


def find_group(world: World, name: str) -> SimGroup:
    group = world.group(name)
    if group is None:
        known = ", ".join(list(world.groups)[:8])
        raise NotFoundError("group", name, hint=f"known: {known}" if known else "")
    return group


def _check_cooldown(world: World, group: SimGroup, cooldown_s: int | None = None) -> None:
    """AWS HonorCooldown: refuse while an activity runs or the cooldown has not ended."""
    running = [a for a in world.activities.values() if a.group == group.name]
    if running:
        raise _error(
            ErrorKind.CONFLICT,
            "ScalingActivityInProgress",
            f"group {group.name}: scaling activity {running[0].id} is in progress",
        )
    snap = engine.snapshot(group, lifecycle.counts(group, world.now), world)
    left = cooldown_left(snap, at_minute(world.now), cooldown_s)
    if left > 0:
        raise _error(
            ErrorKind.CONFLICT,
            "ScalingActivityInProgress",
            f"group {group.name} is in its cooldown for another {left} s "
            f"(the last activity ended at {lifecycle.iso(group.last_activity_end or 0)})",
        )


def set_desired(
    world: World, name: str, desired: int, *, honor_cooldown: bool, reason: str
) -> SimActivity | None:
    group = find_group(world, name)
    if not group.min <= desired <= group.max:
        side = "above max" if desired > group.max else "below min"
        bound = group.max if desired > group.max else group.min
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            f"new desired capacity {desired} is {side} value {bound} for group {group.name}",
        )
    if honor_cooldown:
        _check_cooldown(world, group)
    why = f" (reason: {reason})" if reason else ""
    cause = (
        f"At {lifecycle.iso(world.now)} a user request explicitly set group desired capacity "
        f"changing the desired capacity from {group.desired} to {desired}{why}."
    )
    return lifecycle.change_desired(
        world, group, desired, cause, world.now, description="manual: set desired capacity"
    )


def set_bounds(
    world: World, name: str, *, min_size: int, max_size: int, desired: int | None
) -> SimActivity | None:
    group = find_group(world, name)
    if min_size < 0 or min_size > max_size:
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            f"min {min_size} must be between 0 and max {max_size}",
        )
    if desired is not None and not min_size <= desired <= max_size:
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            f"desired {desired} is outside [{min_size}, {max_size}]",
        )
    group.min, group.max = min_size, max_size
    new = clamp(group.desired if desired is None else desired, min_size, max_size)
    cause = (
        f"At {lifecycle.iso(world.now)} a user request update of the group constraints to "
        f"min: {min_size}, max: {max_size}, desired: {new} changing the desired capacity "
        f"from {group.desired} to {new}."
    )
    return lifecycle.change_desired(
        world, group, new, cause, world.now, description="manual: update group bounds"
    )


def put_rule(world: World, rule: AnyRule) -> None:
    group = find_group(world, rule.group)
    if isinstance(rule, ScheduledRule):
        if (rule.cron is None) == (rule.at is None):
            raise _error(
                ErrorKind.INVALID,
                "ValidationError",
                f"scheduled rule {rule.name}: set exactly one of cron or at",
            )
        if rule.cron is not None:
            problem = schedule.cron_problem(rule.cron)
            if problem:
                raise _error(ErrorKind.INVALID, "ValidationError", problem)
        if schedule.zone(rule.timezone) is None:
            raise _error(
                ErrorKind.INVALID, "ValidationError", f"unknown time zone {rule.timezone!r}"
            )
    if rule.group != group.name:
        rule = rule.model_copy(update={"group": group.name})  # an id was given: keep the name
    rules = [r for r in world.rules.get(group.name, []) if r.name != rule.name]
    rules.append(rule)
    world.rules[group.name] = sorted(rules, key=lambda r: r.name)
    # A changed rule starts with fresh alarms; a scheduled rule keeps its last run (no replays).
    states = world.rule_states.setdefault(group.name, {})
    previous = states.pop(rule.name, None)
    if isinstance(rule, ScheduledRule) and previous is not None:
        states[rule.name] = previous


def delete_rule(world: World, name: str, rule_name: str) -> None:
    group = find_group(world, name)
    rules = world.rules.get(group.name, [])
    if not any(r.name == rule_name for r in rules):
        raise NotFoundError("rule", f"{group.name}/{rule_name}")
    world.rules[group.name] = [r for r in rules if r.name != rule_name]
    world.rule_states.get(group.name, {}).pop(rule_name, None)


def execute_rule(
    world: World, name: str, rule_name: str, *, honor_cooldown: bool
) -> SimActivity | None:
    """AWS ExecutePolicy: simple and step rules only; a step rule uses the latest datapoint."""
    group = find_group(world, name)
    rule = next((r for r in world.rules.get(group.name, []) if r.name == rule_name), None)
    if rule is None:
        raise NotFoundError("rule", f"{group.name}/{rule_name}")
    if isinstance(rule, SimpleRule):
        if honor_cooldown:
            _check_cooldown(world, group, rule.cooldown_s)
        want = apply_adjustment(
            group.desired,
            rule.adjustment_type,
            rule.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
        )
        detail = f"adjustment {rule.adjustment:+d} ({rule.adjustment_type.value})"
    elif isinstance(rule, StepRule):
        values = [v for v in engine.history_of(group, rule.metric) if v is not None]
        if not values:
            raise _error(
                ErrorKind.CONFLICT,
                "ValidationError",
                f"step rule {rule.name}: no {rule.metric} datapoint to pick a step from",
            )
        metric = values[-1]
        step = select_step(rule.steps, metric - rule.threshold)
        if step is None:
            raise _error(
                ErrorKind.INVALID,
                "ValidationError",
                f"step rule {rule.name}: {rule.metric} {metric:.1f} is in no step "
                f"(threshold {rule.threshold:g})",
            )
        want = apply_adjustment(
            group.desired,
            rule.adjustment_type,
            step.adjustment,
            min_adjustment_magnitude=rule.min_adjustment_magnitude,
        )
        detail = f"{rule.metric} {metric:.1f}, step adjustment {step.adjustment:+d}"
    else:
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            f"only simple and step rules can be executed; {rule.name} is {rule.kind}",
        )
    new = clamp(want, group.min, group.max)
    cause = (
        f"At {lifecycle.iso(world.now)} a user request executed policy {rule.name} ({detail}) "
        f"changing the desired capacity from {group.desired} to {new}."
    )
    return lifecycle.change_desired(
        world, group, new, cause, world.now, description=f"manual: execute rule {rule.name}"
    )


def _processes(processes: Sequence[str]) -> list[str]:
    unknown = [p for p in processes if p not in PROCESSES]
    if unknown:
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            f"unknown process {unknown[0]!r} (known: {', '.join(PROCESSES)})",
        )
    return list(processes) or list(PROCESSES)


def suspend(world: World, name: str, processes: Sequence[str] = ()) -> list[str]:
    group = find_group(world, name)
    wanted = _processes(processes)
    group.suspended = [p for p in PROCESSES if p in group.suspended or p in wanted]
    return group.suspended


def resume(world: World, name: str, processes: Sequence[str] = ()) -> list[str]:
    group = find_group(world, name)
    wanted = _processes(processes)
    group.suspended = [p for p in group.suspended if p not in wanted]
    return group.suspended


# ---------------------------------------------------------------------------------------------
# sim controls


def flash_sale(
    world: World,
    multiplier: float,
    duration_min: int,
    ramp_min: int,
    groups: Sequence[str] | None = None,
    decay_min: int | None = None,
) -> FlashSale:
    if multiplier <= 0 or duration_min < 0 or ramp_min < 1:
        raise _error(
            ErrorKind.INVALID,
            "ValidationError",
            "a flash sale needs multiplier > 0, duration >= 0 and ramp >= 1 minute",
        )
    names = None if groups is None else [find_group(world, g).name for g in groups]
    world.sale_seq += 1
    sale = FlashSale(
        f"sale-{world.sale_seq:04d}",
        world.now,
        ramp_min,
        duration_min,
        decay_min if decay_min is not None else max(ramp_min, 10),
        multiplier,
        names,
    )
    world.flash_sales.append(sale)
    return sale


def fail_instances(world: World, target: str, count: int = 1) -> list[str]:
    """Fail one instance by id, or ``count`` serving instances of a group (picked by seed)."""
    for owner in world.groups.values():
        for inst in owner.instances:
            if inst.id == target:
                lifecycle.fail(world, owner, inst, "the instance was failed on command", world.now)
                return [inst.id]
    found = world.group(target)
    if found is None:
        raise NotFoundError("instance or group", target)
    group = found
    live = [
        i for i in group.instances if i.state in (PENDING, IN_SERVICE) and i.health == "healthy"
    ]
    live.sort(key=lambda i: unit_hash(world.seed, i.id, world.now, "pick"))
    chosen = live[:count]
    for inst in chosen:
        lifecycle.fail(world, group, inst, "the instance was failed on command", world.now)
    return [i.id for i in chosen]


def _check_zone(world: World, zone: str) -> None:
    zones = sorted({z for g in world.groups.values() for z in g.zones})
    if zone not in zones:
        raise NotFoundError("zone", zone, hint=f"known: {', '.join(zones)}")


def fail_zone(world: World, zone: str) -> list[str]:
    """Every instance in ``zone`` fails, and launches avoid it until it is healed."""
    _check_zone(world, zone)
    if zone not in world.failed_zones:
        world.failed_zones.append(zone)
    failed: list[str] = []
    for group in world.groups.values():
        for inst in group.instances:
            if (
                inst.zone == zone
                and inst.state in (PENDING, IN_SERVICE)
                and inst.health == "healthy"
            ):
                lifecycle.fail(world, group, inst, f"availability zone {zone} failed", world.now)
                failed.append(inst.id)
    return failed


def heal_zone(world: World, zone: str) -> list[str]:
    """The zone takes launches again; returns the zones still failed."""
    _check_zone(world, zone)
    world.failed_zones = [z for z in world.failed_zones if z != zone]
    world.rebalance = True  # AZRebalance moves capacity back into it, one instance at a time
    return list(world.failed_zones)
