"""Terminal charts with plotext, as text (so the CLI can print them and tests can read them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def line_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    title: str,
    width: int = 100,
    height: int = 18,
    hlines: Sequence[tuple[float, str]] = (),
) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    xs = list(range(len(points)))
    plt.plot(xs, [v for _, v in points], marker="braille")
    for value, _label in hlines:
        plt.hline(value)
    ticks = _ticks(points, 6)
    plt.xticks([i for i, _ in ticks], [label for _, label in ticks])
    plt.title(title)
    text: str = plt.build()
    plt.clear_figure()
    return text


def _ticks(points: Sequence[tuple[datetime, float]], count: int) -> list[tuple[int, str]]:
    if not points:
        return []
    step = max(1, len(points) // count)
    return [(i, points[i][0].strftime("%H:%M")) for i in range(0, len(points), step)]
