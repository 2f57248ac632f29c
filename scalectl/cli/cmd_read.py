"""Read commands: groups, balancers, alarms, activity, metrics. They never hold a writer."""

from __future__ import annotations

from typing import Any

import click

from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import emit, note

pass_app = click.make_pass_decorator(AppContext)


def _console(app: AppContext) -> Any:
    # Reads need no writer: open read-only so a read command can never mutate.
    return app.console(read_only=True)


@click.group()
def groups() -> None:
    """Instance groups: list them, or show one with its instances and activity."""


@groups.command("list")
@global_options
@pass_app
def groups_list(app: AppContext) -> None:
    """List every instance group with min / desired / in service / max."""
    rows = [g.to_dict() for g in _console(app).reader.list_groups()]
    emit(
        rows,
        app.output,
        columns=[
            ("name", lambda r: r["name"]),
            ("min", lambda r: r["min"]),
            ("desired", lambda r: r["desired"]),
            ("in svc", lambda r: r["in_service"]),
            ("max", lambda r: r["max"]),
            ("pending", lambda r: r["pending"] or None),
            ("status", lambda r: r["status"]),
            ("cpu %", lambda r: r["metric"]),
        ],
    )


@groups.command("show")
@click.argument("group")
@global_options
@pass_app
def groups_show(app: AppContext, group: str) -> None:
    """Show one group: bounds, instances, recent activity, rules."""
    console = _console(app)
    info = console.reader.get_group(group)
    data = info.to_dict(with_instances=True)
    data["activities"] = [a.to_dict() for a in console.reader.list_activities(info.name, limit=10)]
    data["rules"] = [
        r.model_dump(mode="json", exclude_none=True) for r in console.reader.list_rules(info.name)
    ]
    if app.output != "table":
        emit(data, app.output)
        return
    click.echo(f"{info.name}  ({info.id}, {info.provider}/{info.region})  status {info.status}")
    click.echo(
        f"  min {info.min}  desired {info.desired}  in service {info.in_service}  "
        f"max {info.max}  pending {info.pending}  terminating {info.terminating}"
    )
    if info.suspended:
        click.echo(f"  suspended: {', '.join(info.suspended)}")
    emit(
        data["instances"],
        "table",
        title="instances",
        columns=[
            ("id", lambda r: r["id"]),
            ("state", lambda r: r["state"]),
            ("health", lambda r: r["health"]),
            ("zone", lambda r: r["zone"]),
            ("warming", lambda r: r["warming"]),
        ],
    )
    emit(
        data["rules"],
        "table",
        title="rules",
        columns=[
            ("name", lambda r: r["name"]),
            ("kind", lambda r: r["kind"]),
            ("enabled", lambda r: r.get("enabled", True)),
            ("summary", _rule_summary),
        ],
    )
    emit(data["activities"], "table", title="recent activity", columns=_ACTIVITY_COLUMNS)


def _rule_summary(rule: dict[str, Any]) -> str:
    kind = rule["kind"]
    if kind == "target_tracking":
        return f"{rule.get('metric', 'cpu')} at {rule['target']}"
    if kind in ("step", "simple"):
        return f"{rule.get('metric', 'cpu')} {rule['comparison']} {rule['threshold']}"
    if kind == "scheduled":
        when = rule.get("cron") or rule.get("at")
        sizes = " ".join(f"{k} {rule[k]}" for k in ("min", "max", "desired") if k in rule)
        return f"{when} {rule.get('timezone', 'UTC')}: {sizes}"
    if kind == "predictive":
        return f"{rule.get('metric', 'cpu')} at {rule['target']} ({rule.get('mode')})"
    return ""


_ACTIVITY_COLUMNS = [
    ("started", lambda r: (r["started_at"] or "")[:19].replace("T", " ")),
    ("group", lambda r: r["group"]),
    ("status", lambda r: r["status"]),
    (
        "change",
        lambda r: (
            f"{r['from_capacity']}→{r['to_capacity']}"
            if r.get("from_capacity") is not None
            else None
        ),
    ),
    ("cause", lambda r: r["cause"]),
]


@click.group()
def balancers() -> None:
    """Load balancers: listeners, algorithms, backends and their health."""


@balancers.command("list")
@global_options
@pass_app
def balancers_list(app: AppContext) -> None:
    """List balancers with their listeners and backend health."""
    rows = [b.to_dict() for b in _console(app).reader.list_balancers()]
    emit(
        rows,
        app.output,
        columns=[
            ("name", lambda r: r["name"]),
            (
                "listeners",
                lambda r: [f"{x['protocol']}:{x['port']} {x['algorithm']}" for x in r["listeners"]],
            ),
            (
                "backends",
                lambda r: (
                    f"{sum(1 for b in r['backends'] if b['health'] == 'healthy')}"
                    f"/{len(r['backends'])} healthy"
                ),
            ),
            ("groups", lambda r: r["groups"]),
        ],
    )


@click.group()
def alarms() -> None:
    """Alarms: state, since when, metric against threshold."""


_STATE_ORDER = {"alarm": 0, "insufficient_data": 1, "ok": 2}


@alarms.command("list")
@global_options
@pass_app
def alarms_list(app: AppContext) -> None:
    """List alarms, those in ALARM first."""
    items = _console(app).reader.list_alarms()
    items.sort(key=lambda a: (_STATE_ORDER.get(a.state.value, 3), a.name))
    rows = [a.to_dict() for a in items]
    emit(
        rows,
        app.output,
        columns=[
            ("state", lambda r: r["state"].upper()),
            ("name", lambda r: r["name"]),
            ("condition", _condition),
            ("value", lambda r: r["value"]),
            ("since", lambda r: (r["since"] or "")[:16].replace("T", " ") or None),
        ],
    )


def _condition(alarm: dict[str, Any]) -> str:
    """What the alarm watches, in a few words: a threshold, a forecast, or other alarms."""
    kind = alarm.get("kind", "metric")
    if kind == "composite":
        return str(alarm.get("rule") or " & ".join(alarm.get("parts") or []))
    text = f"{alarm['metric']} {alarm['comparison']} {alarm['threshold']:g}"
    if kind == "predictive":
        horizon = (alarm.get("horizon_s") or 0) // 60
        text = f"forecast {text} within {horizon} min"
        if alarm.get("expected_at"):
            text += f" (at {str(alarm['expected_at'])[11:16]})"
    return text


@click.group()
def activity() -> None:
    """Scaling activities and their causes."""


@activity.command("list")
@click.argument("group", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@global_options
@pass_app
def activity_list(app: AppContext, group: str | None, limit: int) -> None:
    """List recent scaling activities, newest first."""
    reader = _console(app).reader
    if group:
        group = reader.get_group(group).name
    rows = [a.to_dict() for a in reader.list_activities(group, limit=limit)]
    emit(rows, app.output, columns=_ACTIVITY_COLUMNS)


@click.command()
@click.argument("group")
@click.option(
    "--metric",
    default="cpu",
    show_default=True,
    help="cpu, requests_per_target, latency_ms, error_rate, network_in, network_out ...",
)
@click.option("--since", default="6h", show_default=True, help="Window, e.g. 30m, 6h, 2d.")
@click.option(
    "--period",
    type=click.IntRange(60, 86400),
    default=60,
    show_default=True,
    help="Seconds per datapoint.",
)
@global_options
@pass_app
def metrics(app: AppContext, group: str, metric: str, since: str, period: int) -> None:
    """A chart of a group's metric (data with -o json)."""
    from scalectl.core.model import METRICS
    from scalectl.core.timeparse import parse_duration

    if metric not in METRICS:
        raise click.BadParameter(
            f"unknown metric {metric!r}; known: {', '.join(METRICS)}", param_hint="--metric"
        )
    window = parse_duration(since, field="--since")
    reader = _console(app).reader
    name = reader.get_group(group).name
    series = reader.metric_series(name, metric, window, period)
    if app.output != "table":
        emit(series.to_dict(), app.output)
        return
    points = [(p.at, p.value) for p in series.points if p.value is not None]
    if not points:
        note(f"no {metric} data for {name} in the last {since}")
        return
    import shutil

    from scalectl.cli.chart import line_chart

    click.echo(
        line_chart(
            points,
            title=f"{name} {metric} ({series.unit}), last {since}",
            width=min(shutil.get_terminal_size().columns, 120),
            height=18,
        )
    )
