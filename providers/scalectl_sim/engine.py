"""One simulated minute: traffic -> balancers -> utilization -> lifecycle -> metrics -> alarms ->
the autoscaler (scalectl.core.decide) -> launches and terminations (scalectl_sim.lifecycle).

``tick(world, minute)`` simulates the minute starting at ``minute`` (its datapoint is stamped with
it); afterwards ``world.now`` is ``minute + 1`` and the autoscaler has acted at that instant.
Everything here is a function of the world and the minute: no wall clock, no global randomness.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from scalectl.core import alarm_rules, forecast, schedule
from scalectl.core.alarms import AlarmSpec, evaluate_detail
from scalectl.core.decide import Decision, GroupSnapshot, RuleState, decide
from scalectl.core.model import AlarmState, Comparison, MissingData
from scalectl.core.provider import AnyRule
from scalectl.core.rules import PredictiveRule, ScheduledRule, SimpleRule, StepRule
from scalectl_sim import balancing, traffic
from scalectl_sim.clock import at_minute, minute_of
from scalectl_sim.lifecycle import (
    Counts,
    change_desired,
    counts,
    lifecycle,
    random_failures,
    rebalance_zones,
    reconcile,
    serving,
)
from scalectl_sim.world import SimAlarm, SimGroup, SimListener, World

# Columns of a group's per-minute datapoint (group.recent and the store's metrics table).
METRIC_COLUMNS = (
    "cpu",
    "memory",
    "network_in",
    "network_out",
    "requests_per_target",
    "latency_ms",
    "error_rate",
    "requests",
    "desired",
    "in_service",
)
COLUMN = {name: i for i, name in enumerate(METRIC_COLUMNS)}
MIN_RECENT = 20  # minutes of datapoints kept in memory (target tracking's low alarm needs 15 + 2)
SAMPLE_MAX = 1000  # synthetic requests replayed through a balancer to learn its shares
HOURS_KEPT = 14 * 24  # hourly load kept for predictive rules
BYTES_PER_REQUEST = 2048.0
RESPONSE_BYTES = 16384.0


def _sample_size(load_rpm: float, cap: int = SAMPLE_MAX) -> int:
    if load_rpm >= cap:
        return cap
    return max(64, 1 << max(0, int(math.log2(max(load_rpm, 1.0)))))  # a few sizes, cache-friendly


@lru_cache(maxsize=8192)
def _distribution(
    algorithm: str, targets: tuple[balancing.Target, ...], n: int, key: str, concurrency: float
) -> balancing.Distribution:
    return balancing.simulate(algorithm, targets, n, key=key, concurrency=concurrency)


def listener_distribution(
    world: World, listener: SimListener, group: SimGroup, load_rpm: float
) -> balancing.Distribution:
    """The listener's split of a minute's requests over its backends. Cached on the backend set, the
    sample size and a load bucket, and seeded by the listener: the same world gives the same split.
    """
    backends = tuple((i.id, i.weight, i.size) for i in serving(group))
    capacity = sum(b[2] for b in backends) * group.capacity_rpm
    rho = load_rpm * listener.share / capacity if capacity else 0.0
    concurrency = 2.0
    if listener.algorithm in balancing.CONNECTION_BASED:
        concurrency = 2.0 ** min(3, max(-1, round(math.log2(max(rho * 4, 0.5)))))
    n = _sample_size(load_rpm * listener.share, world.sample_max)
    return _backend_distribution(
        listener.algorithm, backends, n, f"{world.seed}:{listener.id}", concurrency
    )


@lru_cache(maxsize=8192)
def _backend_distribution(
    algorithm: str,
    backends: tuple[tuple[str, int, float], ...],
    n: int,
    key: str,
    concurrency: float,
) -> balancing.Distribution:
    """Only source-IP hashing cares about backend identities; for the others the backends are
    replayed anonymously (by position), so a group that returns to a size it had before hits the
    cache of ``_distribution``."""
    if algorithm == "source_ip_hash":
        targets = tuple(balancing.Target(i, w, s) for i, w, s in backends)
        return _distribution(algorithm, targets, n, key, concurrency)
    anonymous = tuple(balancing.Target(f"#{j}", w, s) for j, (_, w, s) in enumerate(backends))
    dist = _distribution(algorithm, anonymous, n, key, concurrency)
    return balancing.Distribution(
        {b[0]: dist.counts[f"#{j}"] for j, b in enumerate(backends)},
        {b[0]: dist.connections[f"#{j}"] for j, b in enumerate(backends)},
        dist.total,
    )


def listeners_by_group(world: World) -> dict[str, list[SimListener]]:
    found: dict[str, list[SimListener]] = {}
    for balancer in world.balancers:
        for lst in balancer.listeners:
            found.setdefault(lst.group, []).append(lst)
    return found


# ---------------------------------------------------------------------------------------------
# Metrics


def measure(
    world: World,
    group: SimGroup,
    listeners: Sequence[SimListener],
    minute: int,
    load_rpm: float,
    c: Counts,
) -> list[float | None]:
    """The group's datapoint for ``minute``: where its requests went and what they did there."""
    requests = load_rpm
    if not c.in_service:
        return [
            None,
            None,
            None,
            None,
            None,
            None,
            100.0 if requests > 0 else None,
            round(requests, 3),
            group.desired,
            0,
        ]
    capacity = group.capacity_rpm
    total_size = c.size
    n = c.in_service
    if not listeners:
        # Spread by capacity, every backend runs at the same utilization: no per-instance work.
        rho = balancing.utilization(load_rpm, capacity * total_size)
        cpu_one = round(balancing.cpu_percent(rho), 3) if c.steady else None
        return [
            cpu_one,
            None if cpu_one is None else round(25.0 + 0.4 * cpu_one, 3),
            round(requests * BYTES_PER_REQUEST / n, 1),
            round(requests * RESPONSE_BYTES / n, 1),
            round(requests / n, 3),
            round(balancing.latency_ms(rho, group.latency_ms), 3),
            round(balancing.error_rate(rho), 4),
            round(requests, 3),
            group.desired,
            c.in_service,
        ]
    backends = serving(group)
    through_listeners = sum(lst.share for lst in listeners)
    # Requests not arriving through a listener (queues, direct calls) spread by capacity.
    direct = max(0.0, 1.0 - through_listeners) * load_rpm
    per_instance = {i.id: direct * i.size / total_size for i in backends}
    for lst in listeners:
        dist = listener_distribution(world, lst, group, load_rpm)
        if dist.total == 0:
            continue
        scale = load_rpm * lst.share / dist.total
        for iid, n in dist.counts.items():
            if iid in per_instance:
                per_instance[iid] += n * scale
    cpu_sum = lat_sum = err_sum = 0.0
    steady = 0
    for inst in backends:
        inst_load = per_instance[inst.id]
        rho = balancing.utilization(inst_load, capacity * inst.size)
        lat_sum += balancing.latency_ms(rho, group.latency_ms) * inst_load
        err_sum += balancing.error_rate(rho) * inst_load
        if minute >= inst.warm_until:  # warming instances are left out of the metric
            cpu_sum += balancing.cpu_percent(rho)
            steady += 1
    cpu = cpu_sum / steady if steady else None
    latency = lat_sum / requests if requests > 0 else group.latency_ms
    errors = err_sum / requests if requests > 0 else 0.05
    return [
        None if cpu is None else round(cpu, 3),
        None if cpu is None else round(25.0 + 0.4 * cpu, 3),
        round(requests * BYTES_PER_REQUEST / n, 1),
        round(requests * RESPONSE_BYTES / n, 1),
        round(requests / n, 3),
        round(latency, 3),
        round(errors, 4),
        round(requests, 3),
        group.desired,
        c.in_service,
    ]


def _record(world: World, group: SimGroup, minute: int, row: list[float | None], keep: int) -> None:
    recent = group.recent
    first = recent.get(METRIC_COLUMNS[0])
    if first is None or first.maxlen != keep:  # new group, loaded world, or rules changed
        for name in METRIC_COLUMNS:
            recent[name] = deque(recent.get(name, ()), maxlen=keep)
    for name, value in zip(METRIC_COLUMNS, row, strict=True):
        recent[name].append(value)  # a bounded deque drops the oldest by itself
    world.out_metrics.append((group.name, minute, *row))
    # Hourly total load (cpu x instances making it) for predictive rules.
    cpu, in_service = row[COLUMN["cpu"]], row[COLUMN["in_service"]]
    if cpu is not None and in_service:
        group.hour_acc += cpu * float(in_service)
        group.hour_n += 1
    if (minute + 1) % 60 == 0:
        group.hourly.append(round(group.hour_acc / group.hour_n, 3) if group.hour_n else 0.0)
        if len(group.hourly) > HOURS_KEPT:
            del group.hourly[: len(group.hourly) - HOURS_KEPT]
        group.hour_acc, group.hour_n = 0.0, 0


def history_of(group: SimGroup, metric: str) -> list[float | None]:
    """Recent datapoints of ``metric``, oldest first."""
    column = group.recent.get(metric)
    return list(column) if column is not None else []


def latest(group: SimGroup, metric: str) -> float | None:
    column = group.recent.get(metric)
    return column[-1] if column else None


def _recent_needed(rules: Sequence[AnyRule]) -> int:
    needed = MIN_RECENT
    for rule in rules:
        if isinstance(rule, StepRule | SimpleRule):
            periods = rule.evaluation_periods + 2
            needed = max(needed, periods * max(1, rule.period_s // 60) + 1)
    return needed


# ---------------------------------------------------------------------------------------------
# Alarms and the autoscaler


@lru_cache(maxsize=16384)
def _alarm_spec(
    comparison: str, threshold: float, periods: int, datapoints: int | None, missing: str
) -> AlarmSpec:
    # A world's alarms change rarely; their specs are built once, not every simulated minute.
    return AlarmSpec(Comparison(comparison), threshold, periods, datapoints, MissingData(missing))


PREDICT_WINDOW = 15  # minutes of history a predictive alarm fits its trend on (recent: reacts fast)
PREDICTIVE, COMPOSITE = "predictive", "composite"


@lru_cache(maxsize=1024)
def _composite_rule(text: str) -> alarm_rules.Node:
    return alarm_rules.parse_rule(text)


def evaluate_alarms(world: World, minute: int) -> None:
    """Metric alarms first, then predictive ones, then composites (over the states just set; a
    composite naming another composite sees it as evaluated earlier in the list)."""
    composites: list[SimAlarm] = []
    for alarm in world.alarms:
        if alarm.kind == COMPOSITE:
            composites.append(alarm)
            continue
        group = world.groups.get(alarm.group)
        if group is None:
            continue
        if alarm.kind == PREDICTIVE:
            _evaluate_predictive(alarm, group, minute)
            continue
        spec = _alarm_spec(
            alarm.comparison,
            alarm.threshold,
            alarm.evaluation_periods,
            alarm.datapoints_to_alarm,
            alarm.missing_data,
        )
        values = history_of(group, alarm.metric)
        result = evaluate_detail(spec, values, AlarmState(alarm.state))
        alarm.value = values[-1] if values else None
        if result.state.value != alarm.state:  # inline: this runs for every alarm every minute
            alarm.state = result.state.value
            alarm.since = minute
    if composites:
        states = {a.name: AlarmState(a.state) for a in world.alarms}
        for alarm in composites:
            state = alarm_rules.evaluate_composite(_composite_rule(alarm.rule), states)
            _set_state(alarm, state, minute)
            states[alarm.name] = state


def _set_state(alarm: SimAlarm, state: AlarmState, minute: int) -> None:
    if state.value != alarm.state:
        alarm.state = state.value
        alarm.since = minute


def _evaluate_predictive(alarm: SimAlarm, group: SimGroup, minute: int) -> None:
    """ALARM when the metric's recent trend breaches the threshold within the horizon."""
    values = history_of(group, alarm.metric)[-PREDICT_WINDOW:]
    first = minute - len(values)  # values[-1] is the minute that just ended
    points = [(at_minute(first + k), v) for k, v in enumerate(values)]
    prediction = alarm_rules.predict_breach(
        points,
        at_minute(minute),
        comparison=Comparison(alarm.comparison),
        threshold=alarm.threshold,
        horizon=timedelta(seconds=alarm.horizon_s),
        trend_window=PREDICT_WINDOW,
    )
    alarm.value = values[-1] if values else None
    alarm.expected_at = (
        None if prediction.expected_at is None else minute_of(prediction.expected_at)
    )
    _set_state(alarm, prediction.state, minute)


FORECAST_REFRESH_H = 6  # AWS refits predictive forecasts every 6 hours (reference §1.2)


def refresh_forecast(group: SimGroup, minute: int) -> list[float]:
    """The group's hourly total-load forecast (scalectl.core.forecast) from the current hour. It is
    refitted on the first tick of each 6-hour window (00, 06, 12, 18 UTC) and covers 48 h from
    then; between refits the current hour's slice of the last fit is used."""
    hour = minute // 60
    made = group.forecast_hour
    if made < 0 or hour // FORECAST_REFRESH_H != made // FORECAST_REFRESH_H:
        last = hour - 1  # group.hourly[-1] is the hour that ended last
        points = [
            (at_minute((last - len(group.hourly) + 1 + k) * 60), value)
            for k, value in enumerate(group.hourly)
        ]
        fitted = forecast.forecast_hourly(points, at_minute(minute), hours=48 + FORECAST_REFRESH_H)
        group.forecast = [round(v, 3) for v in fitted or []]
        group.forecast_hour = made = hour
    return group.forecast[hour - made :]


@lru_cache(maxsize=4096)
def _next_fire(rule: ScheduledRule, after: datetime) -> datetime | None:
    return schedule.next_fire(rule, after)


def _due(rules: Sequence[AnyRule], states: Mapping[str, RuleState], now: datetime) -> list[AnyRule]:
    """The rules to evaluate now: scheduled rules only when one of their fire times has come (the
    others' state is kept by the caller), which spares a cron evaluation per rule per minute."""
    due: list[AnyRule] = []
    for rule in rules:
        if isinstance(rule, ScheduledRule) and rule.enabled:
            state = states.get(rule.name)
            if state is not None and state.last_scheduled_run is not None:
                fire = _next_fire(rule, state.last_scheduled_run)
                if fire is None or fire > now:
                    continue
        due.append(rule)
    return due


def busy_groups(world: World) -> set[str]:
    return {a.group for a in world.activities.values()}


# Frozen snapshots are slow to build and a steady group's does not change from minute to minute:
# the same field values give the same (shared, immutable) snapshot.
_snapshot = lru_cache(maxsize=8192)(GroupSnapshot)


def snapshot(
    group: SimGroup, c: Counts, world: World, busy: set[str] | None = None
) -> GroupSnapshot:
    return _snapshot(
        name=group.name,
        min=group.min,
        max=group.max,
        desired=group.desired,
        in_service=c.steady,
        warming=c.warming,
        pending=c.pending,
        default_cooldown_s=group.default_cooldown_s,
        warmup_s=group.warmup_s,
        last_activity_end=None
        if group.last_activity_end is None
        else at_minute(group.last_activity_end),
        activity_in_progress=group.name in (busy_groups(world) if busy is None else busy),
        suspended=frozenset(group.suspended),
    )


def decision_cause(decision: Decision, now: datetime) -> str:
    reason = decision.reason.replace(f": {decision.current} -> {decision.desired}", "")
    return (
        f"At {now.isoformat()} {reason}, changing the desired capacity from "
        f"{decision.current} to {decision.desired}."
    )


def autoscale(
    world: World,
    group: SimGroup,
    minute: int,
    busy: set[str] | None = None,
    c: Counts | None = None,
) -> Decision | None:
    rules = world.rules.get(group.name, [])
    if not rules:
        return None
    now = at_minute(minute)
    if c is None:
        c = counts(group, minute)
    metrics = {getattr(r, "metric", None) for r in rules} - {None}
    history = {m: history_of(group, m) for m in metrics if isinstance(m, str) and m in COLUMN}
    hourly: dict[str, Any] | None = None
    predictive = [r for r in rules if isinstance(r, PredictiveRule) and r.enabled]
    if predictive:
        hourly = {r.metric: refresh_forecast(group, minute) for r in predictive}
    known = world.rule_states.get(group.name, {})
    decision = decide(
        snapshot(group, c, world, busy),
        _due(rules, known, now),
        history,
        now,
        states=known,
        forecast=hourly,
    )
    names = {r.name for r in rules}
    states = {name: s for name, s in known.items() if name in names}
    states.update(decision.rule_states)
    world.rule_states[group.name] = states
    if decision.new_min is not None:
        group.min = decision.new_min
    if decision.new_max is not None:
        group.max = decision.new_max
    if decision.desired != group.desired:
        change_desired(
            world,
            group,
            decision.desired,
            decision_cause(decision, now),
            minute,
            description=f"{decision.kind} by rule {decision.rule}",
        )
    return decision


# ---------------------------------------------------------------------------------------------
# The tick


def tick(world: World, minute: int) -> None:
    if minute != world.now:
        raise ValueError(f"tick({minute}) but the world stands at minute {world.now}")
    by_group = listeners_by_group(world)
    measured: dict[str, Counts] = {}
    predicted = {a.group for a in world.alarms if a.kind == PREDICTIVE}
    for group in world.groups.values():
        lifecycle(world, group, minute)
        random_failures(world, group, minute)
        c = measured[group.name] = counts(group, minute)
        load_rpm = traffic.load(world.seed, group, minute, world.flash_sales)
        row = measure(world, group, by_group.get(group.name, ()), minute, load_rpm, c)
        keep = _recent_needed(world.rules.get(group.name, ()))
        if group.name in predicted:
            keep = max(keep, PREDICT_WINDOW)
        _record(world, group, minute, row, keep)
    world.now = now = minute + 1
    evaluate_alarms(world, now)
    current: dict[str, Counts] = {}
    for group in world.groups.values():
        # Counts change only when a lifecycle event was due (warm-up ends are events too).
        ran = lifecycle(world, group, now)
        current[group.name] = counts(group, now) if ran else measured[group.name]
    busy = busy_groups(world)
    for group in world.groups.values():
        c = current[group.name]
        before = group.desired
        autoscale(world, group, now, busy, c)
        if group.desired == before and c.live == group.desired and not c.unhealthy:
            continue  # nothing to launch, terminate or replace
        reconcile(world, group, now)
    if world.rebalance:  # set when a zone comes back; cleared once every group is balanced
        unbalanced = [rebalance_zones(world, g, now) for g in world.groups.values()]
        world.rebalance = any(unbalanced)
    world.flash_sales = [s for s in world.flash_sales if s.end > now - 24 * 60]
