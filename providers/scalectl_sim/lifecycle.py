"""Instances and activities: launch, register, serve, warm up, fail, drain, terminate; and the
scaling activities that carry a capacity change out (AWS-style causes, in progress until every
instance is in service or terminated).

Everything here is a function of the world and the minute: no wall clock, no global randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scalectl_sim.clock import at_minute
from scalectl_sim.world import (
    HEALTHY,
    IN_SERVICE,
    PENDING,
    TERMINATED,
    TERMINATING,
    UNHEALTHY,
    SimActivity,
    SimGroup,
    SimInstance,
    World,
    unit_hash,
)


def iso(minute: int) -> str:
    return at_minute(minute).isoformat()


@dataclass(slots=True)
class Counts:
    pending: int = 0  # launching, healthy
    steady: int = 0  # in service, healthy, warmed up: these make the metric
    warming: int = 0
    terminating: int = 0
    unhealthy: int = 0  # failed, waiting to be replaced
    size: float = 0.0  # capacity units in service (a large instance counts 2)

    @property
    def in_service(self) -> int:
        return self.steady + self.warming

    @property
    def live(self) -> int:
        """Instances that count toward the desired capacity."""
        return self.pending + self.steady + self.warming


def counts(group: SimGroup, minute: int) -> Counts:
    c = Counts()
    for inst in group.instances:
        if inst.state == TERMINATING:
            c.terminating += 1
        elif inst.health != HEALTHY:
            c.unhealthy += 1
        elif inst.state == PENDING:
            c.pending += 1
        elif inst.state == IN_SERVICE:
            c.size += inst.size
            if minute < inst.warm_until:
                c.warming += 1
            else:
                c.steady += 1
    return c


def serving(group: SimGroup) -> list[SimInstance]:
    """Backends eligible for new requests: registered, healthy, in service, not draining."""
    return [
        i for i in group.instances if i.state == IN_SERVICE and i.registered and i.health == HEALTHY
    ]


# ---------------------------------------------------------------------------------------------
# Activities


def open_activity(
    world: World,
    group: SimGroup,
    cause: str,
    minute: int,
    *,
    from_capacity: int | None = None,
    to_capacity: int | None = None,
    description: str = "",
) -> SimActivity:
    world.activity_seq += 1
    act = SimActivity(
        f"act-{world.activity_seq:06d}",
        group.name,
        cause,
        minute,
        description=description,
        from_capacity=from_capacity,
        to_capacity=to_capacity,
    )
    world.activities[act.id] = act
    world.out_activities[act.id] = act
    group.current_activity = act.id
    return act


def _attach(world: World, group: SimGroup, inst: SimInstance, minute: int) -> None:
    """Make ``inst`` part of the group's current activity (creating one when there is none)."""
    act = world.activities.get(group.current_activity)
    if act is None:
        cap = sum(1 for i in group.instances if i.counts)
        act = open_activity(
            world,
            group,
            f"At {iso(minute)} an instance was started in response to a difference between "
            f"desired and actual capacity, increasing the capacity from {cap} to {group.desired}.",
            minute,
            from_capacity=cap,
            to_capacity=group.desired,
        )
    _detach(world, group, inst, minute)
    inst.activity = act.id
    act.waiting.append(inst.id)
    act.total += 1
    world.out_activities[act.id] = act


def _detach(world: World, group: SimGroup, inst: SimInstance, minute: int) -> None:
    act = world.activities.get(inst.activity)
    inst.activity = ""
    if act is None or inst.id not in act.waiting:
        return
    act.waiting.remove(inst.id)
    _maybe_finish(world, group, act, minute)


def _maybe_finish(world: World, group: SimGroup, act: SimActivity, minute: int) -> None:
    world.out_activities[act.id] = act
    if act.waiting:
        return
    act.status = "successful"
    act.ended = minute
    if act.total:
        group.last_activity_end = minute  # the cooldown runs from here
    del world.activities[act.id]
    if group.current_activity == act.id:
        group.current_activity = ""


def change_desired(
    world: World, group: SimGroup, desired: int, cause: str, minute: int, description: str = ""
) -> SimActivity | None:
    """Set the desired capacity and open the activity that will carry it out."""
    before = group.desired
    if desired == before:
        return None
    group.desired = desired
    act = open_activity(
        world,
        group,
        cause,
        minute,
        from_capacity=before,
        to_capacity=desired,
        description=description,
    )
    reconcile(world, group, minute)  # finishes the activity at once when nothing has to change
    return act


# ---------------------------------------------------------------------------------------------
# Lifecycle


def _refresh_next_event(group: SimGroup, minute: int) -> None:
    upcoming = [math.inf]
    for inst in group.instances:
        if inst.state == PENDING:
            upcoming.append(inst.in_service_at - 1 if not inst.registered else inst.in_service_at)
        elif inst.state == TERMINATING and inst.drain_until is not None:
            upcoming.append(inst.drain_until)
        elif inst.state == IN_SERVICE and inst.warm_until > minute:
            upcoming.append(inst.warm_until)
        elif inst.health == UNHEALTHY:
            upcoming.append(minute + 1)
    nxt = min(upcoming)
    group.next_event = int(nxt) if nxt != math.inf else 2**62


def lifecycle(world: World, group: SimGroup, minute: int) -> bool:
    """Move instances along pending -> registered -> in service, and draining -> terminated.
    Returns False when nothing was due (the group's counts are unchanged)."""
    if minute < group.next_event:
        return False
    keep: list[SimInstance] = []
    for inst in group.instances:
        if inst.state == PENDING and inst.health == HEALTHY:
            if not inst.registered and minute >= inst.in_service_at - 1:
                inst.registered = True  # registered with the balancer before it is InService
            if minute >= inst.in_service_at:
                inst.state = IN_SERVICE
                _detach(world, group, inst, minute)
        elif (
            inst.state == TERMINATING
            and inst.drain_until is not None
            and minute >= inst.drain_until
        ):
            inst.state = TERMINATED
            _detach(world, group, inst, minute)
            continue  # terminated instances leave the group
        keep.append(inst)
    group.instances = keep
    _refresh_next_event(group, minute)
    return True


def fail(world: World, group: SimGroup, inst: SimInstance, cause: str, minute: int) -> None:
    """An instance stops answering: the balancer stops sending to it; the group will replace it."""
    if inst.health == UNHEALTHY or inst.state in (TERMINATING, TERMINATED):
        return
    inst.health = UNHEALTHY
    inst.registered = False
    inst.cause = cause
    group.next_event = min(group.next_event, minute)


def random_failures(world: World, group: SimGroup, minute: int) -> None:
    """A small seeded failure rate: one draw per group per minute keeps it cheap on big worlds."""
    draw = unit_hash(world.seed, group.name, minute, "fail")
    if draw >= world.failure_rate * len(group.instances):
        return
    live = [i for i in group.instances if i.state == IN_SERVICE and i.health == HEALTHY]
    if not live or draw >= world.failure_rate * len(live):
        return
    victim = live[int(unit_hash(world.seed, group.name, minute, "which") * len(live))]
    fail(world, group, victim, "the instance failed its EC2 status checks", minute)


def _zone_for_launch(world: World, group: SimGroup) -> str | None:
    """The healthy zone with the fewest instances (launches avoid failed zones)."""
    zones = [z for z in group.zones if z not in world.failed_zones]
    if not zones:
        return None
    load = {z: 0 for z in zones}
    for inst in group.instances:
        if inst.counts and inst.zone in load:
            load[inst.zone] += 1
    return min(zones, key=lambda z: (load[z], zones.index(z)))


def _launch(world: World, group: SimGroup, zone: str, minute: int) -> SimInstance:
    group.launch_seq += 1
    seq = group.launch_seq
    large = group.large_every > 0 and seq % group.large_every == 0
    boot_min = max(1, math.ceil(group.boot_s / 60))
    inst = SimInstance(
        id=f"i-{group.name}-{seq:06d}",
        zone=zone,
        launched=minute,
        in_service_at=minute + boot_min,
        warm_until=minute + boot_min + math.ceil(group.warmup_s / 60),
        weight=200 if large else 100,
        size=2.0 if large else 1.0,
    )
    group.instances.append(inst)
    _attach(world, group, inst, minute)
    return inst


def rebalance_zones(world: World, group: SimGroup, minute: int) -> bool:
    """AWS AZRebalance, one instance at a time: launch in the emptiest healthy zone and terminate
    (after draining) the oldest in the fullest. Returns True when the group was unbalanced."""
    zones = [z for z in group.zones if z not in world.failed_zones]
    if len(zones) < 2 or "AZRebalance" in group.suspended:
        return False
    if any(a.group == group.name for a in world.activities.values()):
        return True  # wait for the group to settle, then look again
    per_zone = {z: 0 for z in zones}
    for inst in group.instances:
        if inst.counts and inst.zone in per_zone:
            per_zone[inst.zone] += 1
    low = min(zones, key=lambda z: (per_zone[z], zones.index(z)))
    high = max(zones, key=lambda z: (per_zone[z], -zones.index(z)))
    if per_zone[high] - per_zone[low] <= 1:
        return False
    victim = min(
        (i for i in group.instances if i.counts and i.zone == high and not i.protected),
        key=lambda i: (i.launched, i.id),
        default=None,
    )
    if victim is None:
        return False
    open_activity(
        world,
        group,
        f"At {iso(minute)} an instance was launched in {low} and {victim.id} in {high} is being "
        f"terminated to rebalance the group across availability zones "
        f"({high}: {per_zone[high]}, {low}: {per_zone[low]}).",
        minute,
        from_capacity=group.desired,
        to_capacity=group.desired,
        description="AZRebalance",
    )
    _launch(world, group, low, minute)
    _terminate(world, group, victim, minute, drain=True)
    _refresh_next_event(group, minute)
    return True


def _pick_victims(group: SimGroup, count: int) -> list[SimInstance]:
    """AWS default termination policy, simplified: balance zones first, then the oldest instance."""
    chosen: list[SimInstance] = []
    candidates = [i for i in group.instances if i.counts and not i.protected]
    for _ in range(count):
        if not candidates:
            break
        per_zone: dict[str, int] = {}
        for inst in candidates:
            per_zone[inst.zone] = per_zone.get(inst.zone, 0) + 1
        zone = max(
            per_zone, key=lambda z: (per_zone[z], -group.zones.index(z) if z in group.zones else 0)
        )
        victim = min((i for i in candidates if i.zone == zone), key=lambda i: (i.launched, i.id))
        candidates.remove(victim)
        chosen.append(victim)
    return chosen


def _terminate(
    world: World, group: SimGroup, inst: SimInstance, minute: int, *, drain: bool
) -> None:
    was_serving = inst.registered and inst.state == IN_SERVICE
    inst.state = TERMINATING
    inst.registered = False
    drain_min = math.ceil(world.drain_s / 60) if drain and was_serving else 1
    inst.drain_until = minute + drain_min
    _attach(world, group, inst, minute)
    group.next_event = min(group.next_event, inst.drain_until)


def reconcile(world: World, group: SimGroup, minute: int) -> None:
    """Make the group's instances match its desired capacity (and replace unhealthy ones)."""
    suspended = set(group.suspended)
    if "ReplaceUnhealthy" not in suspended and "HealthCheck" not in suspended:
        sick = [
            i for i in group.instances if i.health == UNHEALTHY and i.state in (PENDING, IN_SERVICE)
        ]
        if sick:
            names = ", ".join(i.id for i in sick)
            causes = sorted({i.cause for i in sick})
            cap = sum(1 for i in group.instances if i.counts)
            open_activity(
                world,
                group,
                f"At {iso(minute)} an instance was taken out of service in response to a health "
                f"check failure ({'; '.join(causes)}): {names}; launching replacements to bring "
                f"capacity from {cap} back to {group.desired}.",
                minute,
                from_capacity=cap,
                to_capacity=group.desired,
                description=f"Terminating and replacing {len(sick)} unhealthy instance(s)",
            )
            for inst in sick:
                _terminate(world, group, inst, minute, drain=False)
    live = [i for i in group.instances if i.counts]
    missing = group.desired - len(live)
    if missing > 0 and "Launch" not in suspended:
        for _ in range(missing):
            zone = _zone_for_launch(world, group)
            if zone is None:
                act = world.activities.get(group.current_activity)
                if act is not None:
                    act.description = "No healthy availability zone to launch instances in"
                    world.out_activities[act.id] = act
                break
            _launch(world, group, zone, minute)
    elif missing < 0 and "Terminate" not in suspended:
        for inst in _pick_victims(group, -missing):
            _terminate(world, group, inst, minute, drain=True)
    act = world.activities.get(group.current_activity)
    if act is not None and not act.waiting:
        if sum(1 for i in group.instances if i.counts) == group.desired:
            _maybe_finish(world, group, act, minute)
        else:  # a suspended process (or no healthy zone) holds it until it can go on
            blocked = [p for p in ("Launch", "Terminate") if p in suspended]
            if blocked and not act.description.startswith("waiting"):
                act.description = f"waiting: {', '.join(blocked)} suspended"
                world.out_activities[act.id] = act
    _refresh_next_event(group, minute)


def populate(world: World, minute: int) -> None:
    """Give every group its desired capacity, already in service and warm (no activities): the
    state a world starts from before its history is simulated."""
    for group in world.groups.values():
        for n in range(group.desired):
            group.launch_seq += 1
            seq = group.launch_seq
            large = group.large_every > 0 and seq % group.large_every == 0
            group.instances.append(
                SimInstance(
                    id=f"i-{group.name}-{seq:06d}",
                    zone=group.zones[n % len(group.zones)],
                    launched=minute - 60,
                    in_service_at=minute - 55,
                    warm_until=minute - 50,
                    weight=200 if large else 100,
                    size=2.0 if large else 1.0,
                    state=IN_SERVICE,
                    registered=True,
                )
            )
        _refresh_next_event(group, minute)
