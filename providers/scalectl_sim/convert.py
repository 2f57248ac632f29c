"""Translation of the sim's world objects to the frozen ``scalectl.core.model`` types."""

from __future__ import annotations

from scalectl.core import alarm_rules
from scalectl.core.model import (
    Activity,
    ActivityStatus,
    Alarm,
    AlarmState,
    Algorithm,
    Backend,
    Balancer,
    Comparison,
    Group,
    Health,
    Instance,
    InstanceState,
    Listener,
    MissingData,
)
from scalectl.core.rules import SimpleRule, StepRule, TargetTrackingRule
from scalectl_sim import engine, lifecycle
from scalectl_sim.clock import PROVIDER, at_minute
from scalectl_sim.world import (
    HEALTHY,
    IN_SERVICE,
    PENDING,
    TERMINATING,
    SimActivity,
    SimGroup,
    SimInstance,
    World,
)

NATIVE_STATE = {PENDING: "Pending", IN_SERVICE: "InService", TERMINATING: "Terminating"}


def _instance(group: SimGroup, inst: SimInstance, minute: int) -> Instance:
    native = NATIVE_STATE.get(inst.state, inst.state)
    if inst.state == TERMINATING and inst.drain_until is not None and inst.health == HEALTHY:
        native = "Terminating:Wait"  # deregistered, draining connections
    return Instance(
        id=inst.id,
        state=InstanceState(inst.state),
        health=Health.HEALTHY if inst.health == HEALTHY else Health.UNHEALTHY,
        zone=inst.zone,
        group=group.name,
        launched_at=at_minute(inst.launched),
        warming=inst.warming(minute),
        protected=inst.protected,
        native_state=native,
    )


def scaling_groups(world: World) -> set[str]:
    """The groups with an activity in progress."""
    return {a.group for a in world.activities.values()}


def to_group(
    world: World, group: SimGroup, *, with_instances: bool, scaling: set[str] | None = None
) -> Group:
    """``scaling``: ``scaling_groups(world)``, when converting many groups."""
    c = lifecycle.counts(group, world.now)
    if scaling is None:
        scaling = scaling_groups(world)
    last = engine.latest(group, "cpu")
    return Group(
        id=group.id,
        name=group.name,
        provider=PROVIDER,
        region=world.region,
        min=group.min,
        max=group.max,
        desired=group.desired,
        in_service=c.in_service,
        status="scaling" if group.name in scaling else "active",
        pending=c.pending,
        terminating=c.terminating,
        zones=tuple(group.zones),
        default_cooldown_s=group.default_cooldown_s,
        warmup_s=group.warmup_s,
        suspended=tuple(group.suspended),
        balancer_ids=tuple(group.balancer_ids),
        instances=tuple(_instance(group, i, world.now) for i in group.instances)
        if with_instances
        else (),
        created_at=at_minute(group.created),
        metric=last,
    )


def _backend_health(inst: SimInstance) -> tuple[Health, str]:
    """ELBv2 target health: initial, healthy, unhealthy, draining."""
    if inst.health != HEALTHY:
        return Health.UNHEALTHY, "unhealthy"
    if inst.state == TERMINATING:
        return Health.UNKNOWN, "draining"
    if inst.state == PENDING:
        return Health.UNKNOWN, "initial"
    return Health.HEALTHY, "healthy"


def to_balancers(world: World) -> list[Balancer]:
    out: list[Balancer] = []
    for balancer in world.balancers:
        listeners: list[Listener] = []
        backends: list[Backend] = []
        groups: list[str] = []
        for lst in balancer.listeners:
            group = world.groups.get(lst.group)
            listeners.append(
                Listener(
                    lst.protocol,
                    lst.port,
                    Algorithm(lst.algorithm),
                    lst.native,
                    lst.id,
                    group=group.name if group is not None else "",
                )
            )
            if group is None:
                continue
            if group.id not in groups:
                groups.append(group.id)
            load = engine.latest(group, "requests")
            dist = engine.listener_distribution(world, lst, group, float(load or 0.0))
            shares = dist.shares()
            for inst in group.instances:
                # Targets the balancer knows: registered, being registered, or draining.
                known = (
                    inst.registered
                    or inst.state == TERMINATING
                    or (inst.state == PENDING and inst.in_service_at - 1 <= world.now)
                )
                if not known and inst.health == HEALTHY:
                    continue
                health, native = _backend_health(inst)
                backends.append(
                    Backend(
                        id=inst.id,
                        port=lst.backend_port,
                        weight=inst.weight,
                        health=health,
                        zone=inst.zone,
                        native_health=native,
                        load_share=round(shares.get(inst.id, 0.0), 4),
                        connections=dist.connections.get(inst.id, 0),
                        group=group.name,
                    )
                )
        out.append(
            Balancer(
                balancer.id,
                balancer.name,
                PROVIDER,
                tuple(listeners),
                tuple(backends),
                world.region,
                "active",
                tuple(groups),
            )
        )
    return out


def to_alarms(world: World) -> list[Alarm]:
    out: list[Alarm] = []
    for a in world.alarms:
        composite = a.kind == "composite"
        out.append(
            Alarm(
                id=a.id,
                name=a.name,
                provider=PROVIDER,
                state=AlarmState(a.state),
                metric=a.metric,
                comparison=Comparison(a.comparison),
                threshold=float(a.threshold),
                group=a.group,
                since=at_minute(a.since),
                value=a.value,
                evaluation_periods=a.evaluation_periods,
                datapoints_to_alarm=a.datapoints_to_alarm or a.evaluation_periods,
                missing_data=MissingData(a.missing_data),
                managed_by="user",
                kind=a.kind,
                rule=a.rule,
                parts=alarm_rules.parts(alarm_rules.parse_rule(a.rule)) if composite else (),
                horizon_s=a.horizon_s if a.kind == "predictive" else None,
                expected_at=None if a.expected_at is None else at_minute(a.expected_at),
            )
        )
    for group_name, rules in world.rules.items():
        group = world.groups.get(group_name)
        if group is None:
            continue
        states = world.rule_states.get(group_name, {})
        for rule in rules:
            state = states.get(rule.name)
            alarm_states = state.alarm_states if state is not None else {}
            if isinstance(rule, TargetTrackingRule):
                value = _latest(group, rule.metric)
                specs = [("high", "AlarmHigh", Comparison.GT, rule.target, 3)]
                if not rule.disable_scale_in:
                    specs.append(
                        ("low", "AlarmLow", Comparison.LT, round(0.9 * rule.target, 3), 15)
                    )
                for key, label, comparison, threshold, periods in specs:
                    out.append(
                        Alarm(
                            id=f"alarm-tt-{group_name}-{rule.name}-{key}",
                            name=f"TargetTracking-{group_name}-{label}-{rule.name}",
                            provider=PROVIDER,
                            state=alarm_states.get(key, AlarmState.INSUFFICIENT_DATA),
                            metric=rule.metric,
                            comparison=comparison,
                            threshold=threshold,
                            group=group_name,
                            value=value,
                            evaluation_periods=periods,
                            datapoints_to_alarm=periods,
                            actions=(rule.name,),
                            managed_by="target_tracking",
                        )
                    )
            elif isinstance(rule, StepRule | SimpleRule):
                out.append(
                    Alarm(
                        id=f"alarm-{rule.kind}-{group_name}-{rule.name}",
                        name=f"{group_name}-{rule.name}",
                        provider=PROVIDER,
                        state=alarm_states.get("main", AlarmState.INSUFFICIENT_DATA),
                        metric=rule.metric,
                        comparison=rule.comparison,
                        threshold=rule.threshold,
                        group=group_name,
                        value=_latest(group, rule.metric),
                        period_s=rule.period_s,
                        evaluation_periods=rule.evaluation_periods,
                        datapoints_to_alarm=rule.datapoints_to_alarm or rule.evaluation_periods,
                        statistic=rule.statistic,
                        missing_data=rule.missing_data,
                        actions=(rule.name,),
                        managed_by=rule.kind,
                    )
                )
    return out


def _latest(group: SimGroup, metric: str) -> float | None:
    value = engine.latest(group, metric)
    return None if value is None else float(value)


def to_activity(act: SimActivity) -> Activity:
    progress = None
    if act.total:
        progress = (act.total - len(act.waiting)) * 100 // act.total
    elif act.status == "successful":
        progress = 100
    return Activity(
        id=act.id,
        group=act.group,
        status=ActivityStatus(act.status),
        cause=act.cause,
        started_at=at_minute(act.started),
        ended_at=None if act.ended is None else at_minute(act.ended),
        description=act.description,
        from_capacity=act.from_capacity,
        to_capacity=act.to_capacity,
        progress=progress,
    )
