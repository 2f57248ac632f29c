"""The what-if panel of the plan dialog: current rules against edited ones, side by side.

The replay runs in a thread worker (it reads the group's history); the panel shows "replaying…"
until the answer for the latest window arrives, and ``w`` changes the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static
from textual_plotext import PlotextPlot

from scalectl.core.provider import AnyRule
from scalectl.i18n import t
from scalectl.tui import fmt
from scalectl.tui.whatif import (
    WINDOWS,
    WhatIf,
    capacity_lines,
    comparison_rows,
    try_whatif,
    window_label,
)

if TYPE_CHECKING:
    from scalectl.tui.app import ScalectlApp


class WhatIfReady(Message):
    def __init__(self, token: int, result: WhatIf | str) -> None:
        super().__init__()
        self.token = token
        self.result = result


def comparison_table(whatif: WhatIf) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    table.add_column(t("whatif.measure"))
    table.add_column(t("whatif.current"), justify="right")
    table.add_column(t("whatif.edited"), justify="right")
    for measure, current, edited in comparison_rows(whatif):
        style = "" if current == edited else fmt.style("bold $accent")
        table.add_row(measure, current, Text(edited, style=style))
    return table


class WhatIfPanel(Vertical):
    DEFAULT_CSS = """
    WhatIfPanel { height: auto; border-top: solid $primary 50%; }
    WhatIfPanel #whatif-title { height: 1; text-style: bold; }
    WhatIfPanel #whatif-body { height: auto; }
    WhatIfPanel PlotextPlot { height: 9; display: none; }
    WhatIfPanel.-ready PlotextPlot { display: block; }
    """

    def __init__(self, group: str, current: Sequence[AnyRule], edited: Sequence[AnyRule]) -> None:
        super().__init__(id="whatif")
        self.group = group
        self.current = list(current)
        self.edited = list(edited)
        self.window_index = 0
        self.token = 0
        self.result: WhatIf | str | None = None

    @property
    def window(self) -> timedelta:
        return WINDOWS[self.window_index]

    def compose(self) -> ComposeResult:
        yield Static(id="whatif-title")
        yield Static(id="whatif-body")
        yield PlotextPlot(id="whatif-chart")

    def on_mount(self) -> None:
        self.replay()

    def next_window(self) -> None:
        self.window_index = (self.window_index + 1) % len(WINDOWS)
        self.replay()

    def replay(self) -> None:
        self.token += 1
        self.result = None
        self.remove_class("-ready")
        self.query_one("#whatif-title", Static).update(
            t("whatif.title", group=self.group, window=window_label(self.window))
        )
        self.query_one("#whatif-body", Static).update(Text(t("whatif.running"), style="dim"))
        self._replay(self.token, self.window)

    @work(thread=True, exclusive=True, group="whatif", exit_on_error=False)
    def _replay(self, token: int, window: timedelta) -> None:
        app = cast("ScalectlApp", self.app)
        with app.provider_lock:
            result = try_whatif(app.core.reader, self.group, self.current, self.edited, window)
        self.post_message(WhatIfReady(token, result))

    def on_what_if_ready(self, message: WhatIfReady) -> None:
        message.stop()
        if message.token != self.token:
            return  # an answer for a window no longer asked for
        self.result = message.result
        body = self.query_one("#whatif-body", Static)
        if isinstance(message.result, str):
            body.update(Text(t("whatif.none", reason=message.result), style="dim"))
            return
        whatif = message.result
        body.update(comparison_table(whatif))
        self.add_class("-ready")
        self.draw(whatif)

    def draw(self, whatif: WhatIf) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        xs, current, edited = capacity_lines(whatif)
        plt.plot(
            xs, current, marker="braille", color=self._rgb("primary"), label=t("whatif.current")
        )
        plt.plot(xs, edited, marker="braille", color=self._rgb("accent"), label=t("whatif.edited"))
        plt.ylim(0, max([1, *current, *edited]) * 1.2)
        span = -xs[0] if xs else 1.0
        ticks = [-span, -span * 3 / 4, -span / 2, -span / 4, 0.0]
        plt.xticks(ticks, [f"{x:.0f}h" if x else "now" for x in ticks])
        plot.refresh()

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        r, g, b = Color.parse(self.app.theme_variables.get(variable, "#888888")).rgb
        return (r, g, b)
