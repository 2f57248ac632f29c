"""The backtest's event-driven replay: the minutes of ``backtest._Replay``, deciding only on the
ticks where the group's rules could change something.

Between two lifecycle events (instances going in service or finishing their warm-up) only a
decision changes the group. The replay fills the metric a stretch of minutes ahead (the load over
the instances in service), marks the minutes that breach each alarm threshold (one byte each,
shared by the alarms and the statistics that compare with the same threshold), and finds with
``bytes.find`` the first tick whose window holds enough of them. Only those ticks are decided: by
the compiled rules (``fastdecide``), or by decide() itself on the ticks the compiled rules do not
cover (the first minutes, scheduled actions, windows with a missing datapoint). A change throws
away what was filled after it. The statistics are counted once, over the final metric.
tests/unit/test_backtest.py compares the result with deciding every minute.

Where the time goes (30 days of a noisy load, ~1,800 changes): about a third filling the metric
and the marks (C-level map and bytes), the rest once per change in this loop, in the compiled
decision and in building the result. The loop keeps the group in local variables: attribute
lookups there would cost as much as the work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from scalectl.core.decide import GroupSnapshot, RuleState, decide
from scalectl.core.fastdecide import Change, CompiledRules, Values, breaches
from scalectl.core.model import Comparison
from scalectl.core.provider import AnyRule

MINUTE = timedelta(minutes=1)
# Minutes filled ahead at a time. A change throws what was filled after it away, and on a noisy
# load changes come every few dozen minutes; a shorter stretch costs more turns of the loop.
AHEAD = 24

Event = tuple[int, str, int, int, str | None, str]  # tick, kind, from, to, rule, reason
Point = tuple[int, int, int, int]  # timeline: tick, desired, in service, warm
Key = tuple[str, Comparison, float]  # breach marks: metric, comparison, threshold


@dataclass(frozen=True)
class Setup:
    group: str
    rules: Sequence[AnyRule]  # the enabled ones
    load: Sequence[float]
    start: datetime
    min: int
    max: int
    desired: int
    boot_min: int
    warmup_min: int
    warmup_s: int
    default_cooldown_s: int
    tt_low_fraction: float
    factor: Mapping[str, float]  # metric value per load unit on one instance in service
    metrics: Sequence[str]
    target: float
    saturation: float
    forced: Sequence[int]  # ticks decide() must see (first minutes, scheduled actions), sorted
    history_len: int


@dataclass
class Outcome:
    events: list[Event] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    instance_minutes: int = 0
    above_target: int = 0
    above_saturation: int = 0
    unserved: int = 0
    peak: float | None = None
    calls: int = 0


@dataclass
class _Group:
    """What decide() itself needs besides the capacity counts the loop keeps."""

    min: int
    max: int
    desired: int
    warm: int
    warming: int
    pending: int
    last_end: int | None


class EventReplay:
    def __init__(self, setup: Setup, rules: CompiledRules) -> None:
        self.s = setup
        self.plan = rules
        self.n = n = len(setup.load)
        self.series: dict[str, list[float | None]] = {m: [None] * n for m in setup.metrics}
        # Breach marks, one byte a minute for each distinct (metric, comparison, threshold).
        self.marks: dict[Key, bytearray] = {}
        for watch in rules.watches:
            key = (watch.metric, watch.comparison, float(watch.threshold))
            self.marks.setdefault(key, bytearray(n))
        self.states: dict[str, RuleState] = {}
        # Minutes measured while no instance was warm: [begin, end, instances in service].
        # (Breach marks are 0 there; the statistics count them from this list.)
        self.zero: list[list[int]] = []

    # -- the rare paths --

    def _decide(self, tick: int, g: _Group) -> tuple[Change | None, int | None, int | None]:
        """decide() itself, for the ticks the compiled rules do not cover."""
        s = self.s
        snapshot = GroupSnapshot(
            name=s.group,
            min=g.min,
            max=g.max,
            desired=g.desired,
            in_service=g.warm,
            warming=g.warming,
            pending=g.pending,
            default_cooldown_s=s.default_cooldown_s,
            warmup_s=s.warmup_s,
            last_activity_end=None if g.last_end is None else s.start + g.last_end * MINUTE,
            activity_in_progress=g.pending > 0,
        )
        low = max(0, tick - s.history_len)
        history = {m: values[low:tick] for m, values in self.series.items()}
        decision = decide(
            snapshot,
            s.rules,
            history,
            s.start + tick * MINUTE,
            states=self.states,
            tt_low_fraction=s.tt_low_fraction,
        )
        self.states = {**self.states, **decision.rule_states}
        change: Change | None = None
        if decision.desired != decision.current:
            change = (decision.desired, decision.kind, decision.rule, decision.reason)
        return change, decision.new_min, decision.new_max

    def _unmeasured(self, begin: int, end: int, serving: int) -> int:
        """Minutes [begin, end) have no warm instance: no datapoint. Returns the last of them."""
        self.zero.append([begin, end, serving])
        for series in self.series.values():
            series[begin:end] = [None] * (end - begin)
        for hot in self.marks.values():
            hot[begin:end] = bytes(end - begin)
        return end - 1

    def _forget(self, minute: int) -> int:
        """Minutes from ``minute`` on will be measured again. Returns the last one left without
        a datapoint (-1: none)."""
        self.zero = [[b, min(e, minute), s] for b, e, s in self.zero if b < minute]
        return max((e - 1 for _, e, _ in self.zero), default=-1)

    def _statistics(self, out: Outcome) -> None:
        """Count the minutes above the target and saturation over the final metric: from the
        alarms' marks when one has the same threshold, else value by value."""
        s = self.s
        cpu = self.series["cpu"]
        served = [v for v in cpu if v is not None] if self.zero else cast(list[float], cpu)
        extra: list[float] = []
        for begin, end, serving in self.zero:
            if serving > 0:  # instances in service, none warm: no datapoint, yet a utilization
                scale = s.factor["cpu"] / serving
                extra.extend(map(scale.__mul__, s.load[begin:end]))
            else:
                unserved = sum(1 for v in s.load[begin:end] if v > 0)
                out.unserved += unserved
                out.above_target += unserved
                out.above_saturation += unserved
        out.above_target += self._above(s.target, served) + sum(map(s.target.__lt__, extra))
        out.above_saturation += self._above(s.saturation, served)
        out.above_saturation += sum(map(s.saturation.__lt__, extra))
        peaks = [max(part) for part in (served, extra) if part]
        out.peak = max(peaks) if peaks else None

    def _above(self, level: float, served: list[float]) -> int:
        """Minutes whose datapoint is above ``level``: the breach marks of an alarm on it."""
        marks = self.marks.get(("cpu", Comparison.GT, level))
        return sum(map(level.__lt__, served)) if marks is None else marks.count(1)

    # -- the loop --

    def run(self) -> Outcome:
        s, plan = self.s, self.plan
        n, load = self.n, s.load
        series = cast(Mapping[str, Values], self.series)
        # Per metric: its series, its factor, and its breach marks: (marks, predicate, whether
        # high values breach).
        fills = [
            (
                values,
                s.factor[metric],
                [
                    (hot, breaches(c, t), c in (Comparison.GT, Comparison.GE))
                    for (m, c, t), hot in self.marks.items()
                    if m == metric
                ],
            )
            for metric, values in self.series.items()
        ]

        def fill(begin: int, end: int, serving: int) -> None:
            """The metric over minutes [begin, end): the load over the instances in service."""
            segment = load[begin:end]
            for values, factor, hots in fills:
                scale = factor / serving
                filled = list(map(scale.__mul__, segment))
                values[begin:end] = filled
                low, high = min(filled), max(filled)
                for hot, breaching, rising in hots:
                    if not breaching(high if rising else low):
                        hot[begin:end] = bytes(end - begin)  # no minute breaches
                    elif breaching(low if rising else high):
                        hot[begin:end] = b"\x01" * (end - begin)  # every minute does
                    else:
                        hot[begin:end] = bytes(map(breaching, filled))

        watches = [
            (
                w,
                self.marks[(w.metric, w.comparison, float(w.threshold))],
                b"\x01" * w.recent,
                self.series[w.metric],
                -(-(s.default_cooldown_s if w.cooldown_s is None else w.cooldown_s) // 60),
            )
            for w in plan.watches
        ]
        compiled = plan.decide
        forced, nforced, at_forced = s.forced, len(s.forced), 0
        span = plan.span
        boot, warmup = s.boot_min, s.warmup_min

        low, high = s.min, s.max
        desired = warm = s.desired
        cohorts: list[list[int]] = []  # [count, in-service tick, warm tick]
        last_end: int | None = None
        out = Outcome(points=[(0, desired, warm, warm)])
        points, events = out.points, out.events
        billed = 0  # instance minutes are counted up to this minute
        calls = 0
        measured = 0  # minutes [0, measured) hold the current state's values
        none_last = -1  # the last of them without a datapoint
        event = n  # the next lifecycle tick
        tick = 1  # the first tick not decided yet (tick 0 only starts the replay)
        serving = warm
        while tick < n:
            lifecycle = event == tick
            if lifecycle:  # instances go in service, or finish warming up
                if measured < tick:  # the minutes before belong to the state that ends here
                    if warm:
                        fill(measured, tick, serving)
                    else:
                        none_last = self._unmeasured(measured, tick, serving)
                    measured = tick
                arrived = later = False
                for c in cohorts:
                    if c[1] == tick:
                        arrived = True
                    elif c[1] > tick:
                        later = True
                    if c[2] <= tick:
                        warm += c[0]
                if arrived and not later:
                    last_end = tick  # the cooldown runs from the last launch's end
                cohorts = [c for c in cohorts if c[2] > tick]
            # The state holds until the next lifecycle event; the metric until the next instance
            # goes in service (or, with none warm, until one is warm).
            warming = pending = 0
            event = cap = n
            for c in cohorts:
                if c[1] > tick:
                    pending += c[0]
                    cap = min(cap, c[1])
                    event = min(event, c[1])
                else:
                    warming += c[0]
                    event = min(event, c[2])
            event = min(event, n)
            cap = event if not warm else min(cap, n)
            serving = warm + warming
            if lifecycle:
                point = (tick, desired, serving, warm)
                last = points[-1]
                if last[0] == tick:
                    points[-1] = point
                elif last[1:] != point[1:]:
                    points.append(point)
            # The alarms that could act in this state, from which tick, and how the newest
            # minute must compare for target tracking (a bound on it: above, or at most).
            busy = warming > 0 or pending > 0
            counted = max(desired, serving + pending)
            inside = low <= desired <= high
            active = []
            for w, hot, ones, values, wait in watches:
                if not ((w.out and desired < high) or (w.inward and desired > low)):
                    continue  # at the bound it would move toward
                if w.busy_blocks and busy:
                    continue
                first = 0
                if w.waits:  # a simple rule: after the activity and its cooldown
                    if pending:
                        continue
                    if last_end is not None:
                        first = last_end + wait
                newest = w.newest(desired, warm, counted)
                active.append((hot, w.recent, w.needed, ones, first, values, newest, w.out))
            while tick < event:
                if measured < event:  # fill the metric ahead
                    begin = measured
                    measured = min(cap, max(measured, tick) + AHEAD)
                    if warm:
                        fill(begin, measured, serving)
                    else:
                        none_last = self._unmeasured(begin, measured, serving)
                end = event if event <= measured else measured + 1  # their minutes are measured
                # The first tick in [tick, end) where a decision may change something.
                while at_forced < nforced and forced[at_forced] < tick:
                    at_forced += 1
                best = end
                if at_forced < nforced and forced[at_forced] < end:
                    best = forced[at_forced]
                complete = inside and tick > none_last + span
                if not complete:
                    best = tick
                elif best > tick:
                    for hot, recent, needed, ones, first, values, newest, above in active:
                        if first < tick:
                            first = tick
                        while first < best:
                            if needed == recent:
                                found = hot.find(ones, first - recent, best - 1)
                                if found < 0:
                                    break
                                first = found + recent
                            elif needed:
                                found = hot.find(1, first - recent, best - 1)
                                if found < 0:
                                    break
                                first = max(first, found + 1)
                                if first >= best:
                                    break
                                if hot.count(1, first - recent, first) < needed:
                                    first += 1
                                    continue
                            if newest is not None:
                                latest = values[first - 1]
                                assert latest is not None
                                if (latest <= newest) if above else (latest > newest):
                                    first += 1
                                    continue
                            best = first
                if best == end:
                    tick = end
                    continue
                at = best
                tick = at + 1
                calls += 1
                new_min = new_max = None
                if complete and not (at_forced < nforced and forced[at_forced] == at):
                    change = compiled(
                        series, at, desired, warm, warming, pending, low, high, last_end
                    )
                    if change is None:
                        continue
                else:
                    g = _Group(low, high, desired, warm, warming, pending, last_end)
                    change, new_min, new_max = self._decide(at, g)
                    if new_min is None and new_max is None and change is None:
                        continue
                    low = low if new_min is None else new_min
                    high = high if new_max is None else new_max
                if change is not None:
                    new, kind, rule, reason = change
                    out.instance_minutes += desired * (at - billed)
                    billed = at
                    events.append((at, kind, desired, new, rule, reason))
                    delta = new - desired
                    desired = new
                    if delta > 0:
                        begin = at + boot
                        cohorts.append([delta, begin, begin + warmup])
                        forget = begin
                    else:
                        remove = -delta
                        for c in sorted(cohorts, key=lambda c: -c[1]):  # pending, newest first
                            taken = min(c[0], remove)
                            c[0] -= taken
                            remove -= taken
                        cohorts = [c for c in cohorts if c[0] > 0]
                        warm -= remove
                        last_end = at
                        forget = at
                    if measured > forget:
                        measured = forget
                        if self.zero:
                            none_last = self._forget(forget)
                serving = warm
                event = n
                for c in cohorts:
                    if c[1] > at:
                        event = min(event, c[1])
                    else:
                        serving += c[0]
                        event = min(event, c[2])
                point = (at, desired, serving, warm)
                last = points[-1]
                if last[0] == at:
                    points[-1] = point
                elif last[1:] != point[1:]:
                    points.append(point)
                break  # the state changed: where is the next event, how far the metric holds
        if measured < n:
            if warm:
                fill(measured, n, serving)
            else:
                self._unmeasured(measured, n, serving)
        out.instance_minutes += desired * (n - billed)
        out.calls = calls
        self._statistics(out)
        return out
