"""Live data: what one poll fetches, and the messages a poll worker posts.

``fetch`` runs in a thread worker and touches no widget: it only calls the provider reader and
returns plain data. Each source is fetched on its own, so one failing source (say alarms) marks
only its panel stale while the others stay fresh. Every message carries the generation of the
poll that made it; the app drops replies from an older generation (a profile or window change).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.message import Message

from scalectl.core.errors import ScalectlError
from scalectl.core.model import Activity, Alarm, Balancer, Group, MetricSeries
from scalectl.core.provider import ProviderReader

if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule

T = TypeVar("T")

SOURCES = ("groups", "balancers", "alarms", "activity", "charts")

WINDOWS: tuple[timedelta, ...] = (
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)


def window_label(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes >= 60 else f"{minutes}m"


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A source's data, or the provider's one-line error message."""

    value: T | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def pending(self) -> bool:
        """Not fetched by this poll (the quick first poll): neither data nor an error."""
        return self.value is None and not self.error


PENDING: Outcome[Any] = Outcome()


@dataclass(frozen=True)
class ChartData:
    group: str
    metric: MetricSeries | None
    target: float | None  # the target-tracking rule's target for that metric
    thresholds: tuple[float, ...]  # the group's alarm thresholds on that metric
    activities: tuple[Activity, ...]  # desired capacity over the window, where no series exists
    window: timedelta
    desired: MetricSeries | None = None  # capacity series, where the provider records them
    in_service: MetricSeries | None = None


@dataclass(frozen=True)
class Snapshot:
    generation: int
    clock: datetime | None  # the provider's clock (the sim's simulated time)
    groups: Outcome[list[Group]]
    balancers: Outcome[list[Balancer]]
    alarms: Outcome[list[Alarm]]
    activity: Outcome[list[Activity]]
    rules: Outcome[list[AnyRule]]
    charts: Outcome[ChartData] | None
    took_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    partial: bool = False  # the quick first poll: more of the same poll follows


def _try(call: Callable[[], T]) -> Outcome[T]:
    try:
        return Outcome(call())
    except ScalectlError as exc:
        return Outcome(error=str(exc))
    except Exception as exc:  # an adapter bug must show in the panel, never kill the app
        return Outcome(error=f"{type(exc).__name__}: {exc}")


def fetch_chart(
    reader: ProviderReader,
    group: str,
    window: timedelta,
    rules: list[AnyRule],
    alarms: list[Alarm],
    metric: str | None = None,
) -> ChartData:
    if metric is None:
        # The metric the group scales on (its target-tracking rule), else CPU.
        metric = next(
            (
                str(getattr(r, "metric", "cpu"))
                for r in rules
                if r.group == group and r.kind == "target_tracking" and r.enabled
            ),
            "cpu",
        )
    target = next(
        (
            float(r.target)
            for r in rules
            if r.group == group
            and r.kind == "target_tracking"
            and getattr(r, "metric", "") == metric
        ),
        None,
    )
    # Target-tracking alarms sit on the target line already: show the operator's own alarms.
    thresholds = tuple(
        sorted(
            {
                a.threshold
                for a in alarms
                if a.group == group and a.metric == metric and a.managed_by == "user"
            }
        )
    )
    period = 60 if window <= timedelta(hours=6) else 300
    series = reader.metric_series(group, metric, window, period_s=period)
    activities = tuple(reader.list_activities(group, limit=200))
    # Not a portable metric: a provider without it says so, and the chart falls back to the
    # activities (desired) and the polls it has seen (in service).
    capacity = {
        name: _series_or_none(reader, group, name, window, period)
        for name in ("desired", "in_service")
    }
    return ChartData(
        group,
        series,
        target,
        thresholds,
        activities,
        window,
        capacity["desired"],
        capacity["in_service"],
    )


def _series_or_none(
    reader: ProviderReader, group: str, metric: str, window: timedelta, period: int
) -> MetricSeries | None:
    return _try(lambda: reader.metric_series(group, metric, window, period)).value


def fetch_groups(reader: ProviderReader, generation: int) -> Snapshot:
    """The first thing on screen: the groups alone, before the other panels and the rules (which
    need the rule schema loaded: ~0.15 s that the first paint does not wait for)."""
    started = time.perf_counter()
    clock = _try(reader.now)
    return Snapshot(
        generation=generation,
        clock=clock.value,
        groups=_try(reader.list_groups),
        balancers=PENDING,
        alarms=PENDING,
        activity=PENDING,
        rules=PENDING,
        charts=None,
        took_s=time.perf_counter() - started,
        partial=True,
    )


def fetch(
    reader: ProviderReader, generation: int, chart_group: str | None, window: timedelta
) -> Snapshot:
    """One poll of every source (runs in a worker thread)."""
    started = time.perf_counter()
    clock = _try(reader.now)
    groups = _try(reader.list_groups)
    # Between sources, give the GIL to the UI thread: a key press waits one source, not all.
    time.sleep(0)
    balancers = _try(reader.list_balancers)
    time.sleep(0)
    alarms = _try(reader.list_alarms)
    time.sleep(0)
    activity = _try(lambda: reader.list_activities(None, limit=100))
    time.sleep(0)
    rules = _try(lambda: reader.list_rules(None))
    time.sleep(0)
    charts: Outcome[ChartData] | None = None
    if chart_group is not None:
        charts = _try(
            lambda: fetch_chart(reader, chart_group, window, rules.value or [], alarms.value or [])
        )
    return Snapshot(
        generation=generation,
        clock=clock.value,
        groups=groups,
        balancers=balancers,
        alarms=alarms,
        activity=activity,
        rules=rules,
        charts=charts,
        took_s=time.perf_counter() - started,
    )


class DataArrived(Message):
    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class ChartArrived(Message):
    def __init__(self, generation: int, chart: Outcome[ChartData]) -> None:
        super().__init__()
        self.generation = generation
        self.chart = chart


class ActionDone(Message):
    """A mutation finished (ok or not): the text goes to a toast."""

    def __init__(self, text: str, *, ok: bool) -> None:
        super().__init__()
        self.text = text
        self.ok = ok
