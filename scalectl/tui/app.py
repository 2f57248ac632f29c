"""The scalectl TUI: a dashboard over the Console, and the on-call monitor view.

Thin by design: it shows what the provider reader returns and sends every change through the
Console, which decides. Provider calls run in thread workers that post messages and never touch
a widget; they are serialized by one lock, so polls never overlap each other or a write. Each
poll re-arms its timer when it completes, and its reply carries a generation number: a reply
from before a window change or a reset is dropped.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from scalectl.core.errors import InputError, RefusedError, ScalectlError
from scalectl.core.model import ActivityStatus, Alarm, Balancer, Group
from scalectl.i18n import resolve_lang, set_lang, t
from scalectl.tui import fmt
from scalectl.tui.collector import first_frame_drawn, freeze_startup_objects
from scalectl.tui.keys import MUTATING_ACTIONS, Mode, table
from scalectl.tui.live import (
    WINDOWS,
    ActionDone,
    ChartArrived,
    ChartData,
    DataArrived,
    Outcome,
    Snapshot,
    fetch,
    fetch_chart,
    fetch_groups,
    window_label,
)
from scalectl.tui.panels import KeyedTable, Panel, Row
from scalectl.tui.themes import DEFAULT_THEME, ThemeProblem, discover

if TYPE_CHECKING:
    from scalectl.cli.context import AppContext
    from scalectl.core.console import Console
    from scalectl.core.rules import AnyRule
    from scalectl.tui.screens.rules import RulesScreen
    from scalectl.tui.screens.scale import ScaleRequest
    from scalectl.tui.screens.whatif import WhatIfPanel

# The group, help and scale screens, the rule editor, its what-if (plotext) and the rules-file
# loader load when first opened: they are not needed for the first paint.

GROUP_COLUMNS = (
    ("name", "col.name"),
    ("capacity", "col.capacity"),
    ("bar", "col.bar"),
    ("status", "col.status"),
    ("metric", "col.metric"),
    ("rules", "col.rules"),
)
BALANCER_COLUMNS = (
    ("balancer", "col.balancer"),
    ("listener", "col.listener"),
    ("algorithm", "col.algorithm"),
    ("health", "col.health"),
    ("share", "col.share"),
)
# What matters first: at 100 columns the panel shows state, name and value; the group (in the
# panel's title when one is selected) and the time come after.
ALARM_COLUMNS = (
    ("state", "col.state"),
    ("name", "col.name"),
    ("value", "col.value"),
    ("group", "col.group"),
    ("since", "col.since"),
)
ACTIVITY_COLUMNS = (
    ("started", "col.started"),
    ("group", "col.group"),
    ("status", "col.status"),
    ("change", "col.change"),
    ("cause", "col.cause"),
)
SOURCE_COLUMNS = {
    "alarms": ALARM_COLUMNS,
    "balancers": BALANCER_COLUMNS,
    "activity": ACTIVITY_COLUMNS,
}
MAX_BACKOFF_S = 30.0
# The detail panels follow a moved cursor once it has rested this long: longer than a held
# key's auto-repeat interval (25-30 a second), so the keys move the cursor alone, and short
# enough to look immediate after a single key.
REFILTER_DELAY_S = 0.05
FIRST_PAINT_WAIT_S = 1.0  # the rest of the first poll waits at most this long for its paint
NAME_CELLS = 24  # longer names are elided with … (the full name is in the detail screen)
CAUSE_CELLS = 60
_CAUSE_TIME = re.compile(r"^At \S+ ")  # the Started column already says when
# Keys that act on the dashboard's tables; on another screen they stand down.
DASHBOARD_ACTIONS = frozenset(
    {"open_group", "scale", "rules", "filter", "clear_filter", "window", "balancers"}
)
THEME_CYCLE = ("scalectl-dark", "scalectl-light", "scalectl-high-contrast")


# --- rows: pure functions of the data (no widget) ----------------------------------------------


# Per group: the inputs of each cell, and the cell made from them.
RowCache = dict[str, tuple[tuple[object, ...], tuple[Text, ...]]]


def group_rows(
    groups: list[Group],
    rules: list[AnyRule],
    running: set[str],
    pattern: str,
    cache: RowCache | None = None,
) -> list[Row]:
    """The groups table's rows. With ``cache``, each cell whose own inputs did not change is the
    previous cell object: a refresh where only the metric moved formats one cell per group, and
    the table's diff sees the rest as identical at once."""
    by_group: dict[str, list[AnyRule]] = {}
    for rule in rules:
        by_group.setdefault(rule.group, []).append(rule)
    matcher = group_matcher(pattern)
    palette = fmt.palette_version()
    rows: list[Row] = []
    for g in groups:
        if not matcher(g.name):
            continue
        own = by_group.get(g.name, [])
        target = next(
            (
                float(getattr(r, "target", 0))
                for r in own
                if r.kind == "target_tracking" and r.enabled and getattr(r, "metric", "") == "cpu"
            ),
            None,
        )
        summary = fmt.rule_summary(own)
        is_running = g.name in running
        inputs: tuple[object, ...] = (
            (g.name, palette),
            (g.min, g.desired, g.in_service, g.max),
            (g.desired, g.max, palette),
            (g.suspended, is_running, g.status, palette),
            _metric_key(g.metric, target, palette),
            summary,
        )
        hit = cache.get(g.name) if cache is not None else None
        if hit is not None and hit[0] == inputs:
            rows.append((g.name, hit[1]))
            continue
        old_inputs, old_cells = hit if hit is not None else ((), ())
        cells = tuple(
            old_cells[i]
            if i < len(old_inputs) and old_inputs[i] == inputs[i]
            else _group_cell(i, g, is_running, target, summary)
            for i in range(len(inputs))
        )
        if cache is not None:
            cache[g.name] = (inputs, cells)
        rows.append((g.name, cells))
    return rows


def _metric_key(metric: float | None, target: float | None, palette: int) -> object:
    # What metric_cell shows: the rounded value and its colour band, not the raw float.
    if metric is None:
        return (None, palette)
    if target is None:
        return (f"{metric:.0f}", palette)
    return (f"{metric:.0f}", metric > target * 1.2, metric > target, target, palette)


def _group_cell(column: int, g: Group, running: bool, target: float | None, summary: str) -> Text:
    """One cell of GROUP_COLUMNS, by position."""
    if column == 0:
        return Text(fmt.elide(g.name, NAME_CELLS), style="bold")
    if column == 1:
        return Text(fmt.capacity(g))
    if column == 2:
        return Text(fmt.bar(g.desired, g.max), style=fmt.style("$primary"))
    if column == 3:
        return fmt.status_cell(g, running)
    if column == 4:
        return fmt.metric_cell(g, target)
    return Text(summary)


def group_matcher(pattern: str) -> Callable[[str], bool]:
    """k9s-style filter: a regex (case-insensitive), ``!`` in front inverts it."""
    invert = pattern.startswith("!")
    body = pattern[1:] if invert else pattern
    if not body:
        return lambda _name: True
    try:
        regex = re.compile(body, re.IGNORECASE)
    except re.error:
        regex = re.compile(re.escape(body), re.IGNORECASE)
    return lambda name: bool(regex.search(name)) != invert


def balancer_rows(balancers: list[Balancer], group: Group | None) -> list[Row]:
    rows: list[Row] = []
    for lb in balancers:
        if group is not None and not ({group.id, group.name} & set(lb.group_ids)):
            continue
        names = {group.id, group.name} if group is not None else set()
        for listener in lb.listeners:
            if names and listener.group and listener.group not in names:
                continue  # another group's listener on a shared balancer
            rows.append(
                (
                    f"{lb.id}/{listener.id or listener.port}",
                    (
                        Text(lb.name, style="bold"),
                        Text(f"{listener.protocol}:{listener.port}"),
                        Text(listener.algorithm.value),
                        Text(""),
                        Text(""),
                    ),
                )
            )
        for backend in sorted(lb.backends, key=lambda b: b.id):
            if names and backend.group and backend.group not in names:
                continue
            share = "" if backend.load_share is None else f"{backend.load_share * 100:.0f}%"
            rows.append(
                (
                    f"{lb.id}/{backend.id}:{backend.port}",
                    (
                        Text(""),
                        Text(f"{backend.id}:{backend.port}", style="dim"),
                        Text(f"w{backend.weight}"),
                        fmt.health(backend.health),
                        Text(share),
                    ),
                )
            )
    return rows


def alarm_rows(alarms: list[Alarm], group: str | None, clock: datetime | None) -> list[Row]:
    chosen = [a for a in alarms if group is None or a.group == group]
    chosen.sort(key=lambda a: (fmt.ALARM_ORDER[a.state], a.name))
    states = fmt.alarm_states(alarms)
    return [
        (
            a.id,
            (
                fmt.alarm_state(a),
                Text(fmt.elide(a.name, NAME_CELLS)),
                fmt.alarm_value(a, clock, states),
                Text(fmt.elide(a.group, 12)),
                Text(fmt.when(a.since, clock)),
            ),
        )
        for a in chosen
    ]


def activity_rows(
    snapshot_activity: list[Any], group: str | None, clock: datetime | None
) -> list[Row]:
    chosen = [a for a in snapshot_activity if group is None or a.group == group]
    chosen.sort(key=lambda a: a.started_at, reverse=True)
    return [
        (
            a.id,
            (
                Text(fmt.when(a.started_at, clock)),
                Text(fmt.elide(a.group, 12)),
                fmt.activity_status(a),
                Text(fmt.activity_change(a)),
                Text(fmt.elide(_cause(a), CAUSE_CELLS)),
            ),
        )
        for a in chosen[:50]
    ]


# --- the app ---------------------------------------------------------------------------------


class ScalectlApp(App[None]):
    TITLE = "scalectl"
    CSS = """
    Screen { layers: base; }
    #header { height: 1; background: $panel; color: $text; padding: 0 1; }
    #header.-ro { background: $warning 30%; }
    .dash-row { height: 1fr; }
    #groups-panel { width: 3fr; }
    #charts-panel { width: 2fr; }
    /* Narrow: the groups table needs its ~64 cells; the charts take what is left. */
    Screen.-narrow #groups-panel { width: 1fr; }
    Screen.-narrow #charts-panel { width: 36; }
    #filter { dock: bottom; display: none; height: 3; }
    /* Narrow screens: two panels in the bottom row; b swaps activity and balancers. */
    Screen.-narrow #balancers-panel { display: none; }
    Screen.-narrow.-balancers #balancers-panel { display: block; }
    Screen.-narrow.-balancers #activity-panel { display: none; }
    #filter.-active { display: block; }
    .-monitor-alarms { height: 1fr; }
    App.-monitor Screen.-short CapacityChart { display: none; }
    """
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "colon"

    def __init__(
        self,
        *,
        console: Console,
        profile_name: str,
        provider: str,
        region: str,
        mode: Mode = Mode.NORMAL,
        accent: str | None = None,
        interval: float = 2.0,
        theme: str = DEFAULT_THEME,
        themes_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # A read-only console is always shown as the monitor's rules: no mutating key at all.
        self.mode = Mode.MONITOR if console.read_only else mode
        super().__init__()
        # Below 150 columns the bottom row shows two panels; b swaps activity and balancers.
        self.HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]
        # Below 45 rows the monitor's middle row is too short for two charts: keep the metric.
        self.VERTICAL_BREAKPOINTS = [(0, "-short"), (45, "-tall")]
        self.core = console
        self.profile_name = profile_name
        self.provider_name = provider
        self.region = region
        self.accent = _colour(accent)
        self.interval = interval
        self.clock = clock
        self.themes_dir = themes_dir
        self.wanted_theme = theme
        self.provider_lock = threading.RLock()
        self.generation = 0
        self.window_index = 1
        self.pattern = ""
        self.snapshot: Snapshot | None = None
        self.chart: ChartData | None = None
        self.selected: str | None = None
        self.polls = 0
        self.failures = 0
        self._polling = False
        self._timer: Timer | None = None
        # Set once the quick first poll's groups are on screen: the rest of that poll waits for
        # it, so the first paint does not share the CPU with loading the other panels.
        self._first_paint = threading.Event()
        self._chart_timer: Timer | None = None
        self._refilter_timer: Timer | None = None  # the panels follow a moved cursor (select)
        self._selections = 0
        self._highlighted: str | None = None  # the row of the last RowHighlighted handled
        self._header_shown: Text | None = None
        self._charts_drawn: tuple[object, ...] | None = None  # what draw_charts drew last
        self._in_service: dict[str, deque[tuple[datetime, int]]] = {}
        self._row_cache: RowCache = {}
        self._charts_pending: Timer | None = None
        self._charts_ready = False
        self.last_apply_s = 0.0  # UI-thread time of the last refresh (benchmarks read it)
        self.commands = table(self.mode)
        for command in self.commands:
            self.bind(
                command.key,
                command.action,
                description=command.title,
                show=command.show,
                key_display=command.key_display,
            )
        if self.mode is Mode.MONITOR:
            self.add_class("-monitor")
        self._theme_problems = self._set_up_themes()
        # The first groups are fetched while Textual starts (its imports are done, its CSS,
        # compose and layout are not): a fast provider's groups are in the first frame.
        self._early_groups: Future[Snapshot] = Future()
        self._early_pending = True  # not yet shown (on mount) nor handed to the first poll
        threading.Thread(target=self._fetch_early_groups, name="first-groups", daemon=True).start()

    def _fetch_early_groups(self) -> None:
        try:
            with self.provider_lock:
                snapshot = fetch_groups(self.core.reader, self.generation)
        except BaseException as exc:  # a bug: the first poll raises it, as it would have itself
            self._early_groups.set_exception(exc)
            return
        self._early_groups.set_result(snapshot)

    def _set_up_themes(self) -> list[ThemeProblem]:
        """Register the themes and pick one before the app runs, so the stylesheet is parsed once,
        with the chosen theme's variables. Set on mount, or through its watcher here, the theme
        would have the stylesheet parsed again and the screen laid out again (~5 ms of start)."""
        themes, problems = discover(self.themes_dir)
        for theme in themes:
            self.register_theme(theme)
        for name in (self.wanted_theme, DEFAULT_THEME):
            if name in self.available_themes:
                self.set_reactive(App.theme, name)  # what the watcher does first is done here
                dark = self.current_theme.dark
                self.add_class(f"-theme-{name}")
                self.set_class(dark, "-dark-mode", update=False)
                self.set_class(not dark, "-light-mode", update=False)
                self._refresh_truecolor_filter(self.ansi_theme)
                break
        self.stylesheet.set_variables(self.get_css_variables())
        return problems

    # -- layout --------------------------------------------------------------------------------

    @property
    def main(self) -> Screen[Any]:
        """The dashboard (the default screen), whichever screen is on top."""
        return self.screen_stack[0]

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        groups = Panel(t("panel.groups"), id="groups-panel")
        charts = Panel(t("panel.charts"), id="charts-panel")
        # The charts, and the alarms, balancers and activity tables, mount with their first
        # data (see source_table): the first frame shows the groups without waiting to lay out
        # and draw three empty tables (~13 ms of a ~0.2 s start).
        alarms = Panel(t("panel.alarms"), id="alarms-panel")
        balancers = Panel(t("panel.balancers"), id="balancers-panel")
        activity = Panel(t("panel.activity"), id="activity-panel")
        if self.mode is Mode.MONITOR:
            alarms.add_class("-monitor-alarms")
            yield alarms
            with Horizontal(classes="dash-row"):
                with groups:
                    yield KeyedTable(GROUP_COLUMNS, id="groups")
                yield charts
            with Horizontal(classes="dash-row"):
                yield activity
                yield balancers
        else:
            with Horizontal(classes="dash-row"):
                with groups:
                    yield KeyedTable(GROUP_COLUMNS, id="groups")
                yield charts
            with Horizontal(classes="dash-row"):
                yield alarms
                yield balancers
                yield activity
        yield Footer()

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(
                t("notice.theme_error", path=problem.path, error=problem.message),
                severity="error",
            )
        self.theme_changed_signal.subscribe(self, lambda _theme: self._on_theme())
        self._on_theme()
        self.frame(self.screen)
        groups = self.main.query_one("#groups", KeyedTable)
        # Enter opens the group (the table's own Enter, relabelled so the footer says so).
        groups._bindings.key_to_bindings["enter"] = [
            Binding("enter", "select_cursor", t("key.open"))
        ]
        groups.focus()
        if self._early_groups.done() and self._early_groups.exception() is None:
            # Before the first layout, so the first frame shows the groups.
            self._early_pending = False
            self.take_snapshot(self._early_groups.result())
        self.render_header()
        self.call_after_refresh(first_frame_drawn)
        self.set_interval(1.0, self.tick)
        self.poll()

    def frame(self, screen: Screen[Any]) -> None:
        """A profile's accent frames every full screen (production in red)."""
        if self.accent is not None:
            screen.styles.border = ("heavy", self.accent)

    def _on_theme(self) -> None:
        fmt.set_palette(
            {
                k: self.theme_variables.get(k, "")
                for k in ("error", "warning", "success", "accent", "primary")
            }
        )
        if self.snapshot is not None:
            self.apply(self.snapshot)

    # -- polling -------------------------------------------------------------------------------

    @property
    def window(self) -> timedelta:
        return WINDOWS[self.window_index]

    def poll(self) -> None:
        if self._polling:
            return  # one poll at a time: a slow provider delays the next one, never stacks them
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._polling = True
        early = self._early_groups if self._early_pending else None
        self._early_pending = False
        self._poll(self.generation, self.selected, self.window, early)

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll(
        self, generation: int, group: str | None, window: timedelta, early: Future[Snapshot] | None
    ) -> None:
        if early is not None:
            # Paint the groups first: the other panels and the charts follow in this same poll.
            self.post_message(DataArrived(early.result()))
        if not self._first_paint.is_set():
            self._first_paint.wait(FIRST_PAINT_WAIT_S)
        with self.provider_lock:
            snapshot = fetch(self.core.reader, generation, group, window)
        self.post_message(DataArrived(snapshot))

    def on_data_arrived(self, message: DataArrived) -> None:
        if self.is_running:  # not when a worker's reply lands while the app shuts down
            self.take_snapshot(message.snapshot)

    def take_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.partial:
            if snapshot.generation == self.generation and snapshot.groups.ok:
                self.absorb(snapshot)
            self.call_after_refresh(self._first_paint.set)
            return
        self._polling = False
        self.polls += 1
        if snapshot.generation == self.generation:
            self.absorb(snapshot)
        failed = any(
            not o.ok
            for o in (snapshot.groups, snapshot.balancers, snapshot.alarms, snapshot.activity)
        )
        self.failures = self.failures + 1 if failed else 0
        delay = self.retry_delay()
        if failed:
            self.mark_errors(snapshot, self.clock() + delay)
        self._timer = self.set_timer(delay, self.poll)

    def retry_delay(self) -> float:
        if not self.failures:
            return self.interval
        return float(min(MAX_BACKOFF_S, self.interval * 2 ** (self.failures - 1)))

    def absorb(self, fresh: Snapshot) -> None:
        previous = self.snapshot
        recovered = previous is not None and self.failures > 0 and fresh.groups.ok
        snapshot = fresh
        # Keep the last good data of a failing (or not yet fetched) source: stale beats blank.
        if previous is not None:

            def keep(new: Outcome[Any], old: Outcome[Any]) -> Outcome[Any]:
                return new if new.ok and not new.pending else old

            snapshot = Snapshot(
                generation=fresh.generation,
                clock=fresh.clock or previous.clock,
                groups=keep(fresh.groups, previous.groups),
                balancers=keep(fresh.balancers, previous.balancers),
                alarms=keep(fresh.alarms, previous.alarms),
                activity=keep(fresh.activity, previous.activity),
                rules=keep(fresh.rules, previous.rules),
                charts=fresh.charts,
                took_s=fresh.took_s,
            )
        self.snapshot = snapshot
        now = self.clock()
        for outcome, panel_id in (
            (fresh.groups, "#groups-panel"),
            (fresh.balancers, "#balancers-panel"),
            (fresh.alarms, "#alarms-panel"),
            (fresh.activity, "#activity-panel"),
        ):
            if outcome.ok and not outcome.pending:
                self.main.query_one(panel_id, Panel).mark(now)
        if snapshot.clock is not None and snapshot.groups.value:
            for g in snapshot.groups.value:
                # Not setdefault: that would build (and drop) a deque per group on every poll.
                history = self._in_service.get(g.name)
                if history is None:
                    history = self._in_service[g.name] = deque(maxlen=1440)
                if not history or history[-1][0] != snapshot.clock:
                    history.append((snapshot.clock, g.in_service))
        if snapshot.charts is not None:
            self.take_chart(snapshot.charts)
        self.apply(snapshot)
        if recovered:
            self.notify(t("notice.recovered"))

    def mark_errors(self, snapshot: Snapshot, retry_at: float) -> None:
        now = self.clock()
        for outcome, panel_id in (
            (snapshot.groups, "#groups-panel"),
            (snapshot.balancers, "#balancers-panel"),
            (snapshot.alarms, "#alarms-panel"),
            (snapshot.activity, "#activity-panel"),
        ):
            if not outcome.ok:
                self.main.query_one(panel_id, Panel).mark(
                    now, error=outcome.error, retry_at=retry_at, ok=False
                )

    def apply(self, snapshot: Snapshot) -> None:
        """Show a snapshot: each table synced by key; only changed cells are written."""
        started = time.perf_counter()
        groups = snapshot.groups.value or []
        activities = snapshot.activity.value or []
        running = {a.group for a in activities if a.status is ActivityStatus.IN_PROGRESS}
        rules = snapshot.rules.value or []
        pattern = self.pattern
        table_ = self.main.query_one("#groups", KeyedTable)
        # Unchanged groups, rules, filter and theme: the rows would be the same, skip them.
        table_.sync_from(
            (groups, rules, running, pattern, fmt.palette_version()),
            lambda: group_rows(groups, rules, running, pattern, self._row_cache),
        )
        current = table_.current_key
        if self.selected is None or not table_.has_row(self.selected):
            self.select(current)
        elif current != self._highlighted and current != self.selected:
            # A key moved the cursor and its RowHighlighted is still queued: follow it now,
            # rather than drawing the group the cursor just left.
            self.select(current, follow_later=True)
        elif self._refilter_timer is None:
            self.refilter()
        # Else the panels follow the selection when its debounce ends, from this snapshot.
        self.render_header()
        if not snapshot.partial:
            freeze_startup_objects()  # start-up is over (once per process)
        self.last_apply_s = time.perf_counter() - started

    def refilter(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        name = self.selected
        clock = snapshot.clock
        palette = fmt.palette_version()
        groups = snapshot.groups.value or []
        group = next((g for g in groups if g.name == name), None)
        # Each table, and the charts, is drawn again only when what it is made from changed.
        if not snapshot.balancers.pending:
            balancers = snapshot.balancers.value or []
            self.source_table("balancers").sync_from(
                (balancers, group, palette), lambda: balancer_rows(balancers, group)
            )
        alarm_group = None if self.mode is Mode.MONITOR else name
        if not snapshot.alarms.pending:
            alarms = snapshot.alarms.value or []
            self.source_table("alarms").sync_from(
                (alarms, alarm_group, clock, palette),
                lambda: alarm_rows(alarms, alarm_group, clock),
            )
        if not snapshot.activity.pending:
            activity = snapshot.activity.value or []
            self.source_table("activity").sync_from(
                (activity, name, clock, palette), lambda: activity_rows(activity, name, clock)
            )
        for panel_id in ("#balancers-panel", "#activity-panel") + (
            () if self.mode is Mode.MONITOR else ("#alarms-panel",)
        ):
            self.main.query_one(panel_id, Panel).set_title(name or "")
        own = self.chart is not None and self.chart.group == name
        if own or name is None or not self._charts_ready:
            # The chart object is part of the key: one drawn on arrival is never taken for one
            # drawn here.
            shown = (self._charts_ready, self.chart, own, palette, self.window_index)
            if self.main.query_one("#charts-panel", Panel).drawn.changed(
                shown + ((clock, groups) if own else ())
            ):
                self.draw_charts()
        # Else the group's charts are on their way (select() asked for them): until they arrive
        # the charts stay as they are, titled with the group they show. Drawing empty charts for
        # every group the cursor passes costs more than the rest of a key press.

    def source_table(self, source: str) -> KeyedTable:
        """The alarms, balancers or activity table, mounted in its panel on first use."""
        panel = self.main.query_one(f"#{source}-panel", Panel)
        for child in panel.children:
            if isinstance(child, KeyedTable):
                return child
        table = KeyedTable(SOURCE_COLUMNS[source], id=source)
        panel.mount(table)  # in the DOM at once; rows may be added before its own mount
        return table

    def take_chart(self, chart: Outcome[ChartData]) -> None:
        panel = self.main.query_one("#charts-panel", Panel)
        if chart.ok and chart.value is not None:
            self.chart = chart.value
            panel.mark(self.clock())
        else:
            panel.mark(self.clock(), error=chart.error, ok=False)

    async def mount_charts(self) -> None:
        """Load plotext and mount the charts once the first data is on screen."""
        panel = self.main.query_one("#charts-panel", Panel)
        if panel.children:
            return
        from scalectl.tui.charts import CapacityChart, MetricChart

        # Awaited: a chart's canvas exists only once its compose ran, and draw_charts needs it.
        await panel.mount(MetricChart(id="metric-chart"), CapacityChart(id="capacity-chart"))
        if not self.is_running:
            return  # the app is closing: the charts were never composed
        self._charts_ready = True
        self.draw_charts()

    def draw_charts(self) -> None:
        if not self._charts_ready:
            if self.snapshot is not None and self._charts_pending is None:
                self._charts_pending = self.main.set_timer(0.05, self.mount_charts)
            return
        from scalectl.tui.charts import CapacityChart, MetricChart

        snapshot = self.snapshot
        chart = self.chart if self.chart is not None and self.chart.group == self.selected else None
        clock = snapshot.clock if snapshot else None
        current = None
        if snapshot is not None and chart is not None:
            current = next(
                (g.desired for g in snapshot.groups.value or [] if g.name == chart.group), None
            )
        seen = self._in_service.get(self.selected or "", ())
        # Everything the two charts and their title are drawn from: the same again (a chart
        # fetched twice, a panel that followed the selection with it) is not drawn twice.
        drawn = (
            self.selected,
            chart,
            clock,
            current,
            len(seen),
            seen[-1] if seen else None,
            fmt.palette_version(),
        )
        if drawn == self._charts_drawn:
            return
        self._charts_drawn = drawn
        self.main.query_one("#charts-panel", Panel).set_title(self.selected or "")
        self.main.query_one(MetricChart).show(chart, clock)
        self.main.query_one(CapacityChart).show(chart, clock, current, list(seen))

    @on(DataTable.RowHighlighted, "#groups")
    def group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value) if event.row_key is not None else None
        self._highlighted = name
        if name != self.selected:
            self.select(name, follow_later=True)

    def select(self, name: str | None, *, follow_later: bool = False) -> None:
        """The group the other panels follow; its charts are fetched after a short debounce.

        With ``follow_later`` (the cursor moved), the other panels follow once the cursor has
        rested for REFILTER_DELAY_S and its frame is painted: the frame that moves the cursor
        paints the cursor alone, and a held arrow key does not redraw them for every group it
        passes."""
        self.selected = name
        self._selections += 1  # a follow-up of an earlier selection is void
        if self._refilter_timer is not None:
            self._refilter_timer.stop()
            self._refilter_timer = None
        if follow_later:
            selection = self._selections
            # The dashboard's own timer: it stops with the dashboard, so it never fires at exit.
            self._refilter_timer = self.main.set_timer(
                REFILTER_DELAY_S,
                lambda: self.call_after_refresh(self._follow_selection, selection),
                name="refilter",
            )
        else:
            self.refilter()
        if self._chart_timer is not None:
            self._chart_timer.stop()
        if name is not None:
            # A short debounce: holding an arrow key fetches the charts of the group it stops on.
            generation, window = self.generation, self.window
            self._chart_timer = self.set_timer(
                0.1, lambda: self._chart(generation, name, window), name="chart"
            )

    def _follow_selection(self, selection: int) -> None:
        if selection == self._selections and self._refilter_timer is not None:
            self._refilter_timer = None
            self.refilter()

    @work(thread=True, exclusive=True, group="chart", exit_on_error=False)
    def _chart(self, generation: int, group: str, window: timedelta) -> None:
        snapshot = self.snapshot
        alarms = (snapshot.alarms.value or []) if snapshot else []

        def chart() -> ChartData:
            # The first poll's groups come before the rules: the chart's metric and target line
            # need this group's rules, so ask for them when the snapshot has none yet.
            if snapshot is not None and not snapshot.rules.pending:
                rules = snapshot.rules.value or []
            else:
                rules = self.core.reader.list_rules(group)
            return fetch_chart(self.core.reader, group, window, rules, alarms)

        with self.provider_lock:
            outcome = _attempt(chart)
        self.post_message(ChartArrived(generation, outcome))

    def on_chart_arrived(self, message: ChartArrived) -> None:
        if message.generation != self.generation or not self.is_running:
            return
        if message.chart.value is not None and message.chart.value.group != self.selected:
            return
        self.take_chart(message.chart)
        if self._refilter_timer is not None:
            # The panels have not followed the selection yet (a chart is asked for after theirs
            # is due, so only after a slow frame): they follow with it, never after its chart.
            self._refilter_timer.stop()
            self._refilter_timer = None
            self.refilter()
        self.draw_charts()

    def tick(self) -> None:
        now = self.clock()
        screens = {self.main, self.screen}
        for screen in screens:
            for panel in screen.query(Panel):
                panel.tick(now)
        self.render_header()

    def render_header(self) -> None:
        snapshot = self.snapshot
        fetched = self.main.query_one("#groups-panel", Panel).state.fetched_at
        age = None if fetched is None else self.clock() - fetched
        badge = t("header.ro") if self.core.read_only else t("header.rw")
        text = Text()
        name_style = f"bold on {self.accent}" if self.accent else "bold"
        text.append(" scalectl ", style="bold reverse")
        text.append(f" {self.profile_name} ", style=name_style)
        text.append(f" {self.provider_name}/{self.region}")
        if snapshot is not None and snapshot.clock is not None:
            text.append(f" │ {t('header.clock')} {fmt.clock(snapshot.clock)}")
        text.append(" │ ")
        text.append(
            f"[{badge}]", style=fmt.style("bold $warning" if self.core.read_only else "$success")
        )
        if self.mode is Mode.MONITOR:
            text.append(f" {t('header.monitor')}", style="bold")
        text.append(f" │ {t('header.data')} {fmt.age(age)}")
        if self.pattern:
            text.append(f" │ {t('header.filter')} /{self.pattern}", style=fmt.style("$accent"))
        # Every second and after every poll, mostly the same text: only a changed one is set,
        # and without a layout of the screen (the header is one full-width row whatever it says).
        if text != self._header_shown:
            self._header_shown = text
            header = self.main.query_one("#header", Static)
            header.update(text, layout=False)
            header.set_class(self.core.read_only, "-ro")

    # -- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = self.mode is not Mode.NORMAL or self.core.read_only
        if action in MUTATING_ACTIONS and read_only:
            return False
        on_dashboard = self.screen is self.main
        if action in DASHBOARD_ACTIONS and not on_dashboard:
            # The group screens bind their own s / r; the dashboard's keys stay with it.
            return _is_group_screen(self.screen) and action in ("scale", "rules")
        if action == "balancers":
            return self.main.has_class("-narrow")  # wide screens show every panel
        return True

    def on_resize(self) -> None:
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in self.commands:
            if command.action in ("command_palette", "quit") or not self.check_action(
                command.action, ()
            ):
                continue
            yield SystemCommand(command.title, command.help, self._runner(command.action))
        for name in THEME_CYCLE:
            if name in self.available_themes:
                yield SystemCommand(
                    t("palette.theme", name=name),
                    t("palette.theme.help", name=name),
                    self._theme_setter(name),
                )
        for g in (self.snapshot.groups.value or []) if self.snapshot else []:
            yield SystemCommand(
                t("palette.group", name=g.name),
                t("palette.group.help", name=g.name),
                self._group_selector(g.name),
                discover=False,
            )
        yield from super().get_system_commands(screen)

    def _runner(self, action: str) -> Callable[[], Any]:
        # Through run_action, so check_action applies to palette commands too.
        return lambda: self.run_action(action)

    def _theme_setter(self, name: str) -> Callable[[], None]:
        def set_theme() -> None:
            self.theme = name

        return set_theme

    def _group_selector(self, name: str) -> Callable[[], None]:
        def select() -> None:
            table_ = self.main.query_one("#groups", KeyedTable)
            if name in table_.keys:
                table_.move_cursor(row=table_.keys.index(name))
                table_.focus()

        return select

    def selected_group(self) -> Group | None:
        if self.snapshot is None:
            return None
        return next((g for g in self.snapshot.groups.value or [] if g.name == self.selected), None)

    @on(DataTable.RowSelected, "#groups")
    def group_selected(self) -> None:
        self.action_open_group()

    def action_open_group(self) -> None:
        if self.selected:
            from scalectl.tui.screens.detail import GroupDetailScreen

            self.push_screen(GroupDetailScreen(self.selected))

    def action_help(self) -> None:
        from scalectl.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.mode, self.commands))

    def action_refresh(self) -> None:
        self.poll()

    def action_balancers(self) -> None:
        self.main.toggle_class("-balancers")

    def action_window(self) -> None:
        self.window_index = (self.window_index + 1) % len(WINDOWS)
        self.generation += 1  # a poll in flight asked for the old window: drop its reply
        self.chart = None
        self.notify(t("notice.window", window=window_label(self.window)), timeout=2)
        if self.selected:
            self._chart(self.generation, self.selected, self.window)

    def action_cycle_theme(self) -> None:
        names = [n for n in THEME_CYCLE if n in self.available_themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(t("notice.theme", name=self.theme), timeout=2)

    def _filter_box(self) -> Input | None:
        """The filter's input, once mounted (by the first /: the first frame does without it)."""
        found = self.main.query("#filter")
        return found.first(Input) if found else None

    async def action_filter(self) -> None:
        box = self._filter_box()
        if box is None:
            box = Input(placeholder=t("filter.placeholder"), id="filter")
            await self.main.mount(box, before=self.main.query_one(Footer))
        box.value = self.pattern
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self._filter_box()
        if self.pattern or (box is not None and box.has_class("-active")):
            self.pattern = ""
            if box is not None:
                box.value = ""
                box.remove_class("-active")
            self.main.query_one("#groups", KeyedTable).focus()
            if self.snapshot is not None:
                self.apply(self.snapshot)

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.pattern = event.value
        if self.snapshot is not None:
            self.apply(self.snapshot)

    @on(Input.Submitted, "#filter")
    def filter_kept(self) -> None:
        self.main.query_one("#filter", Input).remove_class("-active")
        self.main.query_one("#groups", KeyedTable).focus()

    # -- changes: every one goes through the Console -----------------------------------------

    def action_scale(self) -> None:
        group = self.selected_group()
        if group is not None:
            from scalectl.tui.screens.scale import ScaleModal

            self.push_screen(ScaleModal(group), self.scale_requested)

    def scale_requested(self, request: ScaleRequest | None) -> None:
        if request is not None:
            self._scale(request)

    @work(thread=True, group="write", exit_on_error=False)
    def _scale(self, request: ScaleRequest) -> None:
        try:
            with self.provider_lock:
                plan, _result = self.core.scale(
                    request.group,
                    request.target,
                    confirmed=True,
                    reason=request.reason,
                    honor_cooldown=request.honor_cooldown,
                )
        except ScalectlError as exc:
            self.post_message(
                ActionDone(t("scale.failed", group=request.group, error=exc), ok=False)
            )
            return
        text = t("scale.done", group=plan.group, current=plan.current, desired=plan.desired)
        self.post_message(ActionDone(text, ok=True))

    def on_action_done(self, message: ActionDone) -> None:
        if not self.is_running:
            return
        self.notify(message.text, severity="information" if message.ok else "error", timeout=6)
        self.poll()  # the activity panel shows the result at once

    def action_rules(self) -> None:
        from scalectl.tui.screens.rules import RulesScreen

        if self.selected:
            self.push_screen(RulesScreen(self.selected))

    def action_rules_file(self) -> None:
        from scalectl.tui.screens.rules import RulesFileModal

        self.push_screen(RulesFileModal(), self.file_chosen)

    def file_chosen(self, path: str | None) -> None:
        if path:
            self._plan_file(path)

    @work(thread=True, group="write", exit_on_error=False)
    def _plan_file(self, path: str) -> None:
        from scalectl.core.rulesfile import load_rules

        try:
            wanted = load_rules(Path(path).expanduser())
            with self.provider_lock:
                plan = self.core.plan_rules(wanted)
        except ScalectlError as exc:
            self.post_message(ActionDone(str(exc), ok=False))
            return
        self.call_from_thread(self.show_plan, path, plan, None)

    def load_rules(self, group: str, screen: RulesScreen) -> None:
        self._load_rules(group, screen)

    @work(thread=True, group="rules", exit_on_error=False)
    def _load_rules(self, group: str, screen: RulesScreen) -> None:
        try:
            with self.provider_lock:
                rules = self.core.reader.list_rules(group)
        except ScalectlError as exc:
            self.call_from_thread(screen.show_rules, [], str(exc))
            return
        self.call_from_thread(screen.show_rules, rules, "")

    def plan_rules_for(
        self,
        group: str,
        wanted: list[AnyRule],
        what: str,
        on_done: Callable[[], None],
        whatif: WhatIfPanel | None = None,
    ) -> None:
        self._plan_group(group, wanted, what, on_done, whatif)

    @work(thread=True, group="write", exit_on_error=False)
    def _plan_group(
        self,
        group: str,
        wanted: list[AnyRule],
        what: str,
        on_done: Callable[[], None],
        whatif: WhatIfPanel | None,
    ) -> None:
        from scalectl.core.rules import GroupBounds, RuleSet

        try:
            with self.provider_lock:
                info = self.core.reader.get_group(group)
                # The bounds entry names the group even when no rule is left (a last delete).
                bounds = GroupBounds(group=info.name, min=info.min, max=info.max)
                plan = self.core.plan_rules(RuleSet(bounds=[bounds], rules=list(wanted)))
        except (ScalectlError, ValueError) as exc:
            self.post_message(ActionDone(str(exc).splitlines()[0], ok=False))
            return
        self.call_from_thread(self.show_plan, what, plan, on_done, whatif)

    def show_plan(
        self,
        what: str,
        plan: Any,
        on_done: Callable[[], None] | None,
        whatif: WhatIfPanel | None = None,
    ) -> None:
        from scalectl.tui.screens.rules import PlanModal

        def decided(apply: bool | None) -> None:
            if apply:
                self._apply(plan, on_done)

        modal = PlanModal(what, plan, read_only=self.core.read_only, whatif=whatif)
        self.push_screen(modal, decided)

    @work(thread=True, group="write", exit_on_error=False)
    def _apply(self, plan: Any, on_done: Callable[[], None] | None) -> None:
        try:
            with self.provider_lock:
                outcome = self.core.apply_plan(plan, confirmed=True)
        except (RefusedError, InputError, ScalectlError) as exc:
            self.post_message(ActionDone(t("error.refused", error=exc), ok=False))
            return
        if outcome.failed is not None:
            text = t(
                "rules.apply_failed",
                n=len(outcome.applied),
                change=outcome.failed.describe(),
                error=outcome.error,
            )
            self.post_message(ActionDone(text, ok=False))
        else:
            self.post_message(ActionDone(t("rules.applied", n=len(outcome.applied)), ok=True))
        if on_done is not None:
            self.call_from_thread(on_done)


def _is_group_screen(screen: Screen[Any]) -> bool:
    """Is it the group screen (without importing it before it was ever opened)?"""
    detail = sys.modules.get("scalectl.tui.screens.detail")
    return detail is not None and isinstance(screen, detail.GroupDetailScreen)


def _cause(activity: Any) -> str:
    if not activity.cause:
        return str(activity.description)
    return _CAUSE_TIME.sub("", str(activity.cause).splitlines()[0])


def _attempt(call: Callable[[], ChartData]) -> Outcome[ChartData]:
    try:
        return Outcome(call())
    except ScalectlError as exc:
        return Outcome(error=str(exc))


def _colour(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return Color.parse(value).hex
    except ColorParseError:
        return None


def build(app_ctx: AppContext, *, monitor: bool) -> ScalectlApp:
    """The app for a CLI context: profile, console (read-only for the monitor), theme, language."""
    settings = app_ctx.settings
    set_lang(resolve_lang(app_ctx.lang, settings.lang))
    profile = app_ctx.profile(read_only=monitor)
    console = app_ctx.console(read_only=monitor)
    return ScalectlApp(
        console=console,
        profile_name=profile.name,
        provider=profile.provider,
        region=profile.region,
        mode=Mode.MONITOR if monitor or profile.read_only else Mode.NORMAL,
        accent=profile.accent,
        interval=profile.refresh_s,
        theme=settings.theme,
        themes_dir=app_ctx.paths.themes_dir,
    )


def run(app_ctx: AppContext, *, monitor: bool) -> None:
    app = build(app_ctx, monitor=monitor)
    try:
        app.run()
    finally:
        app_ctx.close()
