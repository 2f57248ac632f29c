"""Cell texts for the tables: short, coloured by meaning, measured in terminal cells (CJK is 2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from scalectl.core.model import Activity, ActivityStatus, Alarm, AlarmState, Group, Health
from scalectl.i18n import t

if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule

# Semantic colours from the current theme; the app refreshes them when the theme changes.
_PALETTE: dict[str, str] = {
    "error": "red",
    "warning": "yellow",
    "success": "green",
    "accent": "magenta",
    "primary": "blue",
}


_VERSION = [0]


def set_palette(colours: dict[str, str]) -> None:
    _PALETTE.update({k: v for k, v in colours.items() if k in _PALETTE and v})
    _VERSION[0] += 1


def palette_version() -> int:
    """Changes with the theme: cached cells made under another palette are stale."""
    return _VERSION[0]


_VARIABLE = re.compile(r"\$([a-z]+)")


def style(spec: str) -> str:
    """``"bold $error"`` -> ``"bold #FF5C5C"`` with the current theme's colours."""
    return _style(spec, _VERSION[0])


@lru_cache(maxsize=256)
def _style(spec: str, _version: int) -> str:
    # Keyed by the palette version: a theme change misses the cache (thousands of cells a refresh).
    return _VARIABLE.sub(lambda m: _PALETTE.get(m[1], "default"), spec)


STATE_STYLE = {
    AlarmState.ALARM: "bold $error",
    AlarmState.OK: "$success",
    AlarmState.INSUFFICIENT_DATA: "$warning",
}
HEALTH_STYLE = {Health.HEALTHY: "$success", Health.UNHEALTHY: "bold $error", Health.UNKNOWN: "dim"}
ACTIVITY_STYLE = {
    ActivityStatus.IN_PROGRESS: "bold $accent",
    ActivityStatus.SUCCESSFUL: "$success",
    ActivityStatus.FAILED: "bold $error",
    ActivityStatus.CANCELLED: "dim",
    ActivityStatus.REJECTED: "$warning",
}


def age(seconds: float | None) -> str:
    if seconds is None:
        return t("age.never")
    n = max(0, int(seconds))
    if n < 120:
        return t("age.seconds", n=n)
    if n < 7200:
        return t("age.minutes", n=n // 60)
    return t("age.hours", n=n // 3600)


def clock(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M %z") if value else "—"


def short_time(value: datetime | None, tz_from: datetime | None = None) -> str:
    if value is None:
        return "—"
    if tz_from is not None and tz_from.tzinfo is not None:
        value = value.astimezone(tz_from.tzinfo)
    return value.strftime("%m-%d %H:%M")


def when(value: datetime | None, clock: datetime | None) -> str:
    """Five cells: the time within the last day, else the date (narrow panels keep their room)."""
    if value is None:
        return "—"
    if clock is not None and clock.tzinfo is not None:
        value = value.astimezone(clock.tzinfo)
    if clock is None or timedelta(0) <= clock - value < timedelta(days=1):
        return value.strftime("%H:%M")
    return value.strftime("%m-%d")


def elide(text: str, width: int) -> str:
    """At most ``width`` terminal cells, with … where it was cut."""
    if cell_len(text) <= width:
        return text
    cut = Text(text)
    cut.truncate(width, overflow="ellipsis")
    return cut.plain


def bar(value: int, maximum: int, width: int = 8) -> str:
    """A capacity bar: desired against max, eighth-block precision."""
    if maximum <= 0:
        return " " * width
    eighths = round(max(0.0, min(1.0, value / maximum)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return text.ljust(width, "·")


def pad(text: str, width: int) -> str:
    """Left-justify by terminal cells, so a Chinese label lines up with an English one."""
    return text + " " * max(0, width - cell_len(text))


def capacity(group: Group) -> str:
    return f"{group.min}/{group.desired}/{group.in_service}/{group.max}"


def metric_cell(group: Group, target: float | None) -> Text:
    if group.metric is None:
        return Text("—", style="dim")
    value = f"{group.metric:.0f}%"
    if target is None:
        return Text(value)
    if group.metric > target * 1.2:
        spec = "bold $error"
    elif group.metric > target:
        spec = "$warning"
    else:
        spec = ""
    return Text.assemble((value, style(spec)), (f"/{target:g}", "dim"))


def rule_summary(rules: list[AnyRule]) -> str:
    names = {
        "target_tracking": "tt",
        "step": "step",
        "simple": "simple",
        "scheduled": "sched",
        "predictive": "pred",
    }
    enabled = [names.get(r.kind, r.kind) for r in rules if r.enabled]
    off = sum(1 for r in rules if not r.enabled)
    text = ",".join(sorted(set(enabled))) or "—"
    return text + (f" (+{off} off)" if off else "")


def status_cell(group: Group, running: bool) -> Text:
    parts: list[tuple[str, str]] = []
    if group.suspended:
        parts.append((t("group.suspended"), style("$warning")))
    elif running:
        parts.append(("⟳ " + t("group.scaling"), style("bold $accent")))
    else:
        ok = group.status == "active"
        parts.append((group.status, style("$success" if ok else "$warning")))
    return Text.assemble(*parts)


def alarm_state(alarm: Alarm) -> Text:
    return Text(t(f"state.{alarm.state.value}"), style=style(STATE_STYLE[alarm.state]))


VALUE_WIDTH = 40


def alarm_value(
    alarm: Alarm, clock: datetime | None = None, states: Mapping[str, AlarmState] | None = None
) -> Text:
    """What the alarm watches: a metric's value against its threshold; a composite's rule with
    each part coloured by its own state; a predictive alarm's expected breach ("in ~25 min")."""
    if alarm.kind == "composite":
        # Short enough not to widen the column past the Group and Since columns; the detail of a
        # long rule is in `scalectl alarms list`.
        text = Text(elide(alarm.rule.replace('"', "") or " ".join(alarm.parts), VALUE_WIDTH))
        for part in alarm.parts:
            state = (states or {}).get(part)
            if state is not None:
                text.highlight_words([part], style(STATE_STYLE[state]))
        return text
    breach = f"{alarm.metric} {alarm.comparison.value} {alarm.threshold:g}"
    if alarm.kind == "predictive":
        if alarm.expected_at is not None and clock is not None:
            minutes = max(0, round((alarm.expected_at - clock).total_seconds() / 60))
            return Text(elide(t("alarm.predicted", breach=breach, n=minutes), VALUE_WIDTH))
        horizon = round((alarm.horizon_s or 0) / 60)
        return Text(
            elide(t("alarm.not_predicted", breach=breach, n=horizon), VALUE_WIDTH), style="dim"
        )
    value = "—" if alarm.value is None else f"{alarm.value:.1f}"
    return Text(f"{value} {alarm.comparison.value} {alarm.threshold:g}")


def alarm_states(alarms: list[Alarm]) -> dict[str, AlarmState]:
    """States by name and by id: a composite rule may name its parts either way (ARNs on AWS)."""
    states = {a.name: a.state for a in alarms}
    states.update({a.id: a.state for a in alarms})
    return states


def activity_status(activity: Activity) -> Text:
    return Text(t(f"status.{activity.status.value}"), style=style(ACTIVITY_STYLE[activity.status]))


def activity_change(activity: Activity) -> str:
    if activity.from_capacity is None or activity.to_capacity is None:
        return ""
    return f"{activity.from_capacity} → {activity.to_capacity}"


def health(value: Health) -> Text:
    return Text(t(f"health.{value.value}"), style=style(HEALTH_STYLE[value]))


ALARM_ORDER = {AlarmState.ALARM: 0, AlarmState.INSUFFICIENT_DATA: 1, AlarmState.OK: 2}
