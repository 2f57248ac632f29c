"""Charts for the selected group: the metric with its target and alarm thresholds, and capacity.

Drawn with textual-plotext on the UI thread from data a worker already fetched. The x axis is
minutes before the provider's clock, so a paused sim draws the same picture every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from scalectl.core.model import METRICS, ActivityStatus, MetricSeries
from scalectl.i18n import t
from scalectl.tui.live import WINDOWS, ChartData, window_label

__all__ = ["WINDOWS", "CapacityChart", "MetricChart", "window_label"]


def _minutes_before(at: datetime, now: datetime) -> float:
    return (at - now).total_seconds() / 60.0


def desired_steps(
    data: ChartData, now: datetime, current: int | None
) -> tuple[list[float], list[float]]:
    """Desired capacity over the window, as a step line rebuilt from the scaling activities."""
    start = -data.window.total_seconds() / 60.0
    changes = sorted(
        (a for a in data.activities if a.from_capacity is not None and a.to_capacity is not None),
        key=lambda a: a.started_at,
    )
    changes = [a for a in changes if a.status is not ActivityStatus.CANCELLED]
    inside = [a for a in changes if _minutes_before(a.started_at, now) >= start]
    before = [a for a in changes if _minutes_before(a.started_at, now) < start]
    if before:
        level = before[-1].to_capacity
    elif inside:
        level = inside[0].from_capacity
    else:
        level = current
    if level is None:
        return [], []
    xs, ys = [start], [float(level)]
    for activity in inside:
        x = _minutes_before(activity.started_at, now)
        xs += [x, x]
        ys += [ys[-1], float(activity.to_capacity or 0)]
    if current is not None and inside and ys[-1] != current:
        xs += [0.0, 0.0]
        ys += [ys[-1], float(current)]
    else:
        xs.append(0.0)
        ys.append(ys[-1])
    return xs, ys


def _series(series: MetricSeries, now: datetime) -> tuple[list[float], list[float]]:
    points = [(p.at, p.value) for p in series.points if p.value is not None]
    return [_minutes_before(at, now) for at, _ in points], [
        float(v) for _, v in points if v is not None
    ]


class _Chart(Vertical):
    """A caption (any language, measured by Rich) over a plotext canvas (ASCII only inside:
    plotext counts characters, not terminal cells)."""

    DEFAULT_CSS = """
    _Chart { height: 1fr; }
    MetricChart { height: 3fr; }
    CapacityChart { height: 2fr; }
    _Chart > Static { height: 1; width: 100%; text-align: center; }
    _Chart > PlotextPlot { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="caption")
        yield PlotextPlot()

    @property
    def plt(self) -> Plot:
        return self.query_one(PlotextPlot).plt

    def caption(self, text: Text | str) -> None:
        self.query_one("#caption", Static).update(text)

    def colour(self, variable: str) -> tuple[int, int, int]:
        value = self.app.theme_variables.get(variable, "#888888")
        rgb = Color.parse(value).rgb
        return (rgb[0], rgb[1], rgb[2])

    def swatch(self, label: str, variable: str) -> Text:
        return Text.assemble(
            ("━ ", Color.parse(self.app.theme_variables.get(variable, "#888888")).hex), label
        )

    def empty(self, message: str) -> None:
        self.plt.clear_figure()
        self.caption(Text(message, style="dim"))
        self.query_one(PlotextPlot).refresh()

    def axis(self, window: timedelta) -> None:
        plt = self.plt
        span = window.total_seconds() / 60.0
        plt.xlim(-span, 0)
        ticks = [-span, -span * 2 / 3, -span / 3, 0]
        plt.xticks(ticks, [_tick(x) for x in ticks])
        self.query_one(PlotextPlot).refresh()


def _tick(minutes: float) -> str:
    if minutes == 0:
        return "now"
    if abs(minutes) >= 120:
        return f"{minutes / 60:.0f}h"
    return f"{minutes:.0f}m"


class MetricChart(_Chart):
    def show(self, data: ChartData | None, now: datetime | None) -> None:
        if data is None or now is None:
            self.empty(t("chart.no_group"))
            return
        series = data.metric
        plt = self.plt
        plt.clear_figure()
        metric = series.metric if series else "cpu"
        unit = series.unit if series else METRICS.get(metric, "")
        caption = Text(
            t("chart.metric", metric=metric, unit=unit, window=window_label(data.window))
        )
        points = [p for p in (series.points if series else ()) if p.value is not None]
        if not points:
            self.empty(t("chart.no_data"))
            return
        xs = [_minutes_before(p.at, now) for p in points]
        ys = [float(p.value) for p in points if p.value is not None]
        plt.plot(xs, ys, marker="braille", color=self.colour("primary"))
        top = max(ys)
        if data.target is not None:
            plt.hline(data.target, self.colour("success"))
            caption.append("  ")
            caption.append_text(self.swatch(t("chart.target", value=data.target), "success"))
            top = max(top, data.target)
        for threshold in data.thresholds:
            plt.hline(threshold, self.colour("error"))
            caption.append("  ")
            caption.append_text(self.swatch(t("chart.threshold", value=threshold), "error"))
            top = max(top, threshold)
        plt.ylim(0, max(1.0, top * 1.15))
        self.caption(caption)
        self.axis(data.window)


class CapacityChart(_Chart):
    def show(
        self,
        data: ChartData | None,
        now: datetime | None,
        current: int | None,
        in_service: Sequence[tuple[datetime, int]],
    ) -> None:
        if data is None or now is None:
            self.empty(t("chart.no_group"))
            return
        plt = self.plt
        plt.clear_figure()
        caption = Text(t("chart.capacity", window=window_label(data.window)))
        caption.append("  ")
        caption.append_text(self.swatch(t("chart.desired"), "accent"))
        caption.append("  ")
        caption.append_text(self.swatch(t("chart.in_service"), "success"))
        span = data.window.total_seconds() / 60.0
        if data.desired is not None and data.desired.points:
            xs, ys = _series(data.desired, now)
        else:
            xs, ys = desired_steps(data, now, current)
        if data.in_service is not None and data.in_service.points:
            seen = list(zip(*_series(data.in_service, now), strict=True))
        else:
            seen = [(_minutes_before(at, now), float(n)) for at, n in in_service]
        seen = [(x, n) for x, n in seen if -span <= x <= 0]
        top = max([*ys, *(n for _, n in seen)], default=1.0)
        if seen:
            plt.plot(
                [x for x, _ in seen],
                [n for _, n in seen],
                marker="braille",
                color=self.colour("success"),
            )
        if xs:
            plt.plot(xs, ys, marker="braille", color=self.colour("accent"))
        plt.ylim(0, max(1.0, top * 1.2))
        self.caption(caption)
        self.axis(data.window)
