"""What-if in the rule editor: the edited rules against the current ones, replayed by the core's
backtest on the group's own recent history (cpu x instances in service, per minute).

``run_whatif`` reads the provider and replays; it runs in a thread worker and touches no widget.
``comparison_rows`` and ``capacity_lines`` are pure, so the panel only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from scalectl.core import backtest as bt
from scalectl.core.errors import InputError, ScalectlError
from scalectl.core.provider import AnyRule, ProviderReader
from scalectl.core.trace import Trace, group_history
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


def group_trace(reader: ProviderReader, group: str, window: timedelta) -> tuple[Trace, str]:
    """The group's load as the CLI's ``backtest --group`` builds it: cpu x in service."""
    history = group_history(reader, group, window)
    notes = [t("whatif.filled", n=history.filled)] if history.filled else []
    if history.assumed_instances is not None:
        notes.append(t("whatif.assumed", n=history.assumed_instances))
    return history.trace, " · ".join(notes)


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
