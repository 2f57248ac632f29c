"""What-if in the rule editor: the edited rules against the current ones, replayed by the core's
backtest on the group's own recent history (cpu x instances in service, per minute).

``run_whatif`` reads the provider and replays; it runs in a thread worker and touches no widget.
``comparison_rows`` and ``capacity_lines`` are pure, so the panel only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scalectl.core import backtest as bt
from scalectl.core.errors import InputError, ProviderError, ScalectlError
from scalectl.core.model import MetricPoint
from scalectl.core.provider import AnyRule, ProviderReader
from scalectl.core.trace import Trace
from scalectl.i18n import t

WINDOWS: tuple[timedelta, ...] = (
    timedelta(hours=24),
    timedelta(hours=6),
    timedelta(days=3),
    timedelta(days=7),
)
FALLBACK_TARGET = 70.0  # what "above target" means when neither rule set names a cpu target


@dataclass(frozen=True)
class WhatIf:
    group: str
    window: timedelta
    minutes: int
    current: bt.BacktestResult
    edited: bt.BacktestResult
    note: str = ""  # e.g. minutes carried forward, or an assumed instance count


def _filled(points: Sequence[MetricPoint]) -> tuple[list[float], datetime, int]:
    """Per-minute values with missing minutes carried forward (a trace has no holes)."""
    known = [(p.at, float(p.value)) for p in points if p.value is not None]
    if not known:
        raise InputError("no cpu datapoints in the window")
    start, end = known[0][0], known[-1][0]
    by_time = dict(known)
    values: list[float] = []
    last, filled = known[0][1], 0
    for i in range(int((end - start).total_seconds() // 60) + 1):
        value = by_time.get(start + timedelta(minutes=i))
        if value is None:
            filled += 1
        else:
            last = value
        values.append(last)
    return values, start, filled


def group_trace(reader: ProviderReader, group: str, window: timedelta) -> tuple[Trace, str]:
    """The group's load as the CLI's ``backtest --group`` builds it: cpu x in service."""
    info = reader.get_group(group)
    cpu = reader.metric_series(group, "cpu", window, period_s=60)
    values, start, filled = _filled(cpu.points)
    notes = [t("whatif.filled", n=filled)] if filled else []
    try:
        seen = reader.metric_series(group, "in_service", window, period_s=60)
        by_time = {p.at: p.value for p in seen.points}
        counts, last = [], max(1, info.in_service)
        for i in range(len(values)):
            found = by_time.get(start + timedelta(minutes=i))
            last = int(found) if found else last
            counts.append(max(1, last))
    except (InputError, ProviderError):
        notes.append(t("whatif.assumed", n=info.in_service))
        counts = [max(1, info.in_service)] * len(values)
    trace = Trace(start, tuple(values), "utilization", tuple(counts), f"{group} history")
    return trace, " · ".join(notes)


def run_whatif(
    reader: ProviderReader,
    group: str,
    current: Sequence[AnyRule],
    edited: Sequence[AnyRule],
    window: timedelta,
) -> WhatIf:
    """Replay both rule sets on the same load, with the group's bounds and one cpu target."""
    info = reader.get_group(group)
    trace, note = group_trace(reader, group, window)
    load = bt.load_of(trace, capacity=None)
    model = bt.CapacityModel(load.capacity, requests=False)
    aim = bt.default_target(list(edited)) or bt.default_target(list(current)) or FALLBACK_TARGET
    first = trace.instances[0] if trace.instances else None

    def replay(name: str, rules: Sequence[AnyRule]) -> bt.BacktestResult:
        own = tuple(r for r in rules if r.group == group)
        for rule in own:
            metric = getattr(rule, "metric", None)
            if rule.enabled and metric is not None and metric not in bt.MODELLED_METRICS:
                raise InputError(t("whatif.unmodelled", rule=rule.name, metric=metric))
        rules_ = bt.GroupRules(group, own, info.min, info.max, first)
        return bt.backtest(rules_, load, model, name=name, target=aim)

    return WhatIf(
        group,
        window,
        len(trace),
        replay(t("whatif.current"), current),
        replay(t("whatif.edited"), edited),
        note,
    )


def try_whatif(
    reader: ProviderReader,
    group: str,
    current: Sequence[AnyRule],
    edited: Sequence[AnyRule],
    window: timedelta,
) -> WhatIf | str:
    """The what-if, or the one-line reason there is none (no history, a metric not modelled)."""
    try:
        return run_whatif(reader, group, current, edited, window)
    except ScalectlError as exc:
        return str(exc).splitlines()[0]


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def comparison_rows(whatif: WhatIf) -> list[tuple[str, str, str]]:
    """(measure, current, edited) for the side-by-side table."""
    a, b = whatif.current, whatif.edited
    return [
        (t("whatif.instance_hours"), _num(a.instance_hours), _num(b.instance_hours)),
        (
            t("whatif.above_target", target=a.target),
            str(a.minutes_above_target),
            str(b.minutes_above_target),
        ),
        (t("whatif.peak"), _num(a.peak_utilization), _num(b.peak_utilization)),
        (t("whatif.scale_outs"), str(a.scale_outs), str(b.scale_outs)),
        (t("whatif.scale_ins"), str(a.scale_ins), str(b.scale_ins)),
    ]


def capacity_lines(whatif: WhatIf) -> tuple[list[float], list[int], list[int]]:
    """Hours before the end of the window, and desired capacity per minute for both sets."""
    current = whatif.current.desired_per_minute()
    edited = whatif.edited.desired_per_minute()
    n = min(len(current), len(edited))
    xs = [(i - n) / 60 for i in range(n)]
    return xs, current[:n], edited[:n]


def window_label(window: timedelta) -> str:
    hours = int(window.total_seconds() // 3600)
    return f"{hours // 24}d" if hours >= 48 else f"{hours}h"
