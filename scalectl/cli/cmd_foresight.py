"""Foresight: ``scalectl backtest`` (what would these rules have done on this load?) and
``scalectl forecast`` (the group's hourly load forecast against what happened)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import Column, emit, note

if TYPE_CHECKING:
    from scalectl.core.backtest import BacktestResult, CapacityModel, GroupRules
    from scalectl.core.model import MetricSeries
    from scalectl.core.rules import RuleSet
    from scalectl.core.trace import Trace

pass_app = click.make_pass_decorator(AppContext)

_PATH = click.Path(dir_okay=False, path_type=Path)


# --- backtest ------------------------------------------------------------------------------------


@click.command()
@click.option("-f", "--file", "file", required=True, type=_PATH, help="The rules to test (TOML).")
@click.option("--trace", "trace_file", type=_PATH, help="A load trace: CSV or JSON, per minute.")
@click.option("--group", help="The group (its own history when no --trace is given).")
@click.option(
    "--all-groups",
    is_flag=True,
    help="Every group the rules cover, each over its own history (on every core).",
)
@click.option("--since", default="7d", show_default=True, help="History window with --group.")
@click.option("--compare", type=_PATH, help="Current rules to compare against (TOML).")
@click.option("--price", type=click.FloatRange(min=0), help="Price per instance-hour.")
@click.option(
    "--saturation", type=click.FloatRange(0, 1000), default=90.0, show_default=True, help="%."
)
@click.option("--target", type=click.FloatRange(min=0, min_open=True), help="Target cpu %.")
@click.option("--boot", default="120s", show_default=True, help="Launch to in service.")
@click.option("--warmup", default="180s", show_default=True, help="In service to warm.")
@click.option(
    "--capacity",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per minute one instance serves at 100 % (requests traces).",
)
@click.option(
    "--instances",
    type=click.IntRange(min=1),
    help="Instances a utilization trace without an instances column was measured at.",
)
@global_options
@pass_app
def backtest(
    app: AppContext,
    file: Path,
    trace_file: Path | None,
    group: str | None,
    all_groups: bool,
    since: str,
    compare: Path | None,
    price: float | None,
    saturation: float,
    target: float | None,
    boot: str,
    warmup: str,
    capacity: float | None,
    instances: int | None,
) -> None:
    """Replay a load through RULES (and --compare CURRENT) with the core's own decisions.

    The load is a --trace file (timestamp and requests, or utilization with instances), or the
    --group's own history from the profile. Reports instance-hours, cost, minutes above the
    target and the saturation level, peak utilization, scale-outs and scale-ins, and a chart of
    the capacity timeline (data with -o json). --all-groups replays every group the rules cover
    over its own history, one line per group and rule file.
    """
    from scalectl.core import backtest as bt
    from scalectl.core.errors import InputError
    from scalectl.core.rulesfile import load_rules
    from scalectl.core.timeparse import parse_duration
    from scalectl.core.trace import load_trace

    if all_groups and (trace_file is not None or group is not None):
        raise click.UsageError("--all-groups replays each group's own history: no --trace, --group")
    if trace_file is None and group is None and not all_groups:
        raise click.UsageError(
            "give --trace FILE, --group G to replay its own history, or --all-groups"
        )
    model_times = (
        int(parse_duration(boot, field="--boot").total_seconds()),
        int(parse_duration(warmup, field="--warmup").total_seconds()),
    )
    proposed = load_rules(file)
    current = load_rules(compare) if compare is not None else None

    def jobs_for(name: str, trace: Trace, fallback: Any) -> list[bt.BacktestJob]:
        """The group's replays: the proposed rules, then the current ones (with --compare)."""
        load = bt.load_of(trace, capacity=capacity, instances=instances)
        model = bt.CapacityModel(load.capacity, model_times[0], model_times[1], load.requests)
        sets: list[tuple[str, GroupRules]] = [
            (file.name, bt.rules_for(proposed, name, source=str(file), fallback=fallback))
        ]
        if current is not None and compare is not None:
            own = next((b for b in proposed.bounds if b.group == name), fallback)
            sets.append(
                (compare.name, bt.rules_for(current, name, source=str(compare), fallback=own))
            )
        aim = target if target is not None else bt.default_target(sets[0][1].rules)
        if aim is None:
            raise InputError(
                f"{name}: the rules have no cpu target to measure against: give one",
                field="--target",
            )
        jobs = [
            bt.BacktestJob(rules, load, model, label, aim, saturation, price)
            for label, rules in sets
        ]
        for job in jobs:
            try:
                job.check()
            except InputError as exc:
                raise InputError(f"{name}: {exc.detail}", field=exc.field) from None
        return jobs

    if all_groups:
        names = sorted({r.group for r in proposed.rules})
        if not names:
            raise InputError("the rules cover no group", source=str(file))
        loads = [_history(app, name, since, capacity) for name in names]
        per_group = [jobs_for(name, trace, fallback) for trace, fallback, name in loads]
        # One replay per core: a month of a busy group is ~30 ms, a hundred groups ~3 s alone.
        done = iter(bt.backtest_many([job for jobs in per_group for job in jobs]))
        grouped = [[next(done) for _ in jobs] for jobs in per_group]
        reports = [
            _report(name, trace, jobs[0].model, results)
            for (trace, _, name), jobs, results in zip(loads, per_group, grouped, strict=True)
        ]
        if app.output != "table":
            emit({"groups": reports}, app.output)
            return
        _print_groups(grouped, since)
        return

    fallback = None
    if trace_file is not None:
        trace = load_trace(trace_file)
        name = group or _only_group(proposed, str(file))
    else:
        assert group is not None
        trace, fallback, name = _history(app, group, since, capacity)
    jobs = jobs_for(name, trace, fallback)
    results = [job.run() for job in jobs]
    if app.output != "table":
        emit(_report(name, trace, jobs[0].model, results), app.output)
        return
    _print_comparison(results)
    click.echo(_capacity_chart(results, name))


def _report(
    name: str, trace: Trace, model: CapacityModel, results: Sequence[BacktestResult]
) -> dict[str, Any]:
    return {
        "group": name,
        "trace": {
            "source": trace.source,
            "start": results[0].start.isoformat(),
            "minutes": len(trace),
            "kind": trace.kind,
        },
        "model": {
            "capacity": model.capacity,
            "boot_s": model.boot_s,
            "warmup_s": model.warmup_s,
        },
        "results": [r.to_dict() for r in results],
    }


def _print_groups(grouped: Sequence[Sequence[BacktestResult]], since: str) -> None:
    rows = [
        {"group": r.group, "rules": r.name, **r.summary()} for results in grouped for r in results
    ]
    columns: list[Column] = [
        ("group", lambda r: r["group"]),
        ("rules", lambda r: r["rules"]),
        ("instance-hours", lambda r: r["instance_hours"]),
        ("cost", lambda r: r["cost"]),
        ("min > target", lambda r: r["minutes_above_target"]),
        ("min unserved", lambda r: r["unserved_minutes"]),
        ("peak %", lambda r: r["peak_utilization"]),
        ("outs", lambda r: r["scale_outs"]),
        ("ins", lambda r: r["scale_ins"]),
    ]
    emit(rows, "table", columns=columns, title=f"backtest of {len(grouped)} groups over {since}")


def _only_group(ruleset: RuleSet, source: str) -> str:
    from scalectl.core.errors import InputError

    groups = sorted({r.group for r in ruleset.rules})
    if len(groups) != 1:
        raise InputError(
            f"the rules cover {len(groups)} groups ({', '.join(groups) or 'none'}): "
            "choose one with --group",
            source=source,
        )
    return groups[0]


def _history(
    app: AppContext, group: str, since: str, capacity: float | None
) -> tuple[Trace, Any, str]:
    """The group's own load from the profile: requests (with --capacity) or cpu x in service."""
    from scalectl.core.rules import GroupBounds
    from scalectl.core.timeparse import parse_duration
    from scalectl.core.trace import Trace, filled_minutes, group_history

    window = parse_duration(since, field="--since")
    reader = app.console(read_only=True).reader
    info = reader.get_group(group)
    bounds = GroupBounds(group=info.name, min=info.min, max=info.max)
    source = f"{info.name} history ({since})"
    if capacity is not None:
        series = reader.metric_series(info.name, "requests", window)
        values, start, filled = filled_minutes(series.points, source)
        trace = Trace(start, tuple(values), "requests", None, source)
    else:
        history = group_history(reader, info.name, window, source=source)
        trace, filled = history.trace, history.filled
        if history.assumed_instances is not None:
            note(
                f"{info.name}: no in-service history; assuming "
                f"{history.assumed_instances} instances throughout"
            )
    if filled:
        note(f"{source}: {filled} missing minutes carried forward")
    return trace, bounds, info.name


def _print_comparison(results: Sequence[BacktestResult]) -> None:
    rows: list[tuple[str, list[Any]]] = []
    summaries = [r.summary() for r in results]
    target, saturation = results[0].target, results[0].saturation
    labels = [
        ("instance-hours", "instance_hours"),
        ("cost", "cost"),
        (f"minutes > target {target:g} %", "minutes_above_target"),
        (f"minutes > {saturation:g} %", "minutes_above_saturation"),
        ("minutes unserved", "unserved_minutes"),
        ("peak utilization %", "peak_utilization"),
        ("scale-outs", "scale_outs"),
        ("scale-ins", "scale_ins"),
    ]
    for label, key in labels:
        rows.append((label, [s[key] for s in summaries]))
    columns: list[Column] = [("measure", lambda r: r["measure"])]
    columns += [(result.name, _nth(index)) for index, result in enumerate(results)]
    emit(
        [{"measure": label, "values": values} for label, values in rows],
        "table",
        columns=columns,
        title=f"backtest of {results[0].group} over {results[0].minutes} minutes",
    )


def _nth(index: int) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row["values"][index]


def _capacity_chart(results: Sequence[BacktestResult], group: str) -> str:
    import plotext as plt

    width = min(shutil.get_terminal_size().columns, 120)
    plt.clear_figure()
    plt.plotsize(width, 20)
    plt.theme("clear")
    start = results[0].start
    for result in results:
        per_minute = result.desired_per_minute()
        step = max(1, len(per_minute) // (width * 2))
        xs = list(range(0, len(per_minute), step))
        # The highest capacity in each bucket: a short spike stays visible.
        ys = [max(per_minute[i : i + step]) for i in xs]
        plt.plot(xs, ys, marker="braille", label=result.name)
    minutes = results[0].minutes
    ticks = list(range(0, minutes, max(1, minutes // 6)))
    plt.xticks(ticks, [(start + timedelta(minutes=t)).strftime("%m-%d %H:%M") for t in ticks])
    plt.title(f"{group}: desired capacity (instances)")
    text: str = plt.build()
    plt.clear_figure()
    return text


# --- forecast ------------------------------------------------------------------------------------

HELD_OUT = timedelta(hours=24)


@click.command()
@click.argument("group")
@click.option("--metric", default="cpu", show_default=True, help="Per-instance metric to forecast.")
@click.option("--hours", type=click.IntRange(1, 48), default=48, show_default=True)
@global_options
@pass_app
def forecast(app: AppContext, group: str, metric: str, hours: int) -> None:
    """The group's hourly load forecast (metric x instances in service) for the next HOURS,
    from up to 14 days of its history, with the forecast error (MAPE) on the last 24 hours:
    fitted on the history up to 24 h ago and compared with what happened."""
    from scalectl.core.errors import InputError
    from scalectl.core.forecast import MAX_HISTORY, forecast_hourly, mape
    from scalectl.core.model import METRICS

    if metric not in METRICS:
        raise click.BadParameter(
            f"unknown metric {metric!r}; known: {', '.join(METRICS)}", param_hint="--metric"
        )
    reader = app.console(read_only=True).reader
    info = reader.get_group(group)
    now = reader.now()
    window = MAX_HISTORY + HELD_OUT
    hourly = _hourly_load(
        reader.metric_series(info.name, metric, window),
        _in_service(reader, info.name, window),
        max(1, info.in_service),
    )
    points: list[tuple[datetime, float | None]] = [(at, v) for at, v in sorted(hourly.items())]
    ahead = forecast_hourly(points, now, hours)
    if ahead is None:
        span = len(hourly)
        raise InputError(
            f"{info.name} has {span} h of {metric} history; a forecast needs at least 24 h",
            field="GROUP",
        )
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    cutoff = this_hour - HELD_OUT
    held = forecast_hourly([p for p in points if p[0] < cutoff], cutoff, 24)
    check: list[dict[str, Any]] = []
    error: float | None = None
    if held is not None:
        for i, predicted in enumerate(held):
            at = cutoff + timedelta(hours=i)
            check.append({"at": at.isoformat(), "actual": hourly.get(at), "forecast": predicted})
        pairs = [(c["actual"], c["forecast"]) for c in check if c["actual"] is not None]
        if any(a for a, _ in pairs):
            error = mape([a for a, _ in pairs], [p for _, p in pairs])
    data = {
        "group": info.name,
        "metric": metric,
        "unit": f"{metric} x instances",
        "now": now.isoformat(),
        "history_hours": len(hourly),
        "forecast": [
            {"at": (this_hour + timedelta(hours=i)).isoformat(), "value": round(v, 3)}
            for i, v in enumerate(ahead)
        ],
        "held_out": {
            "from": cutoff.isoformat(),
            "to": this_hour.isoformat(),
            "mape": None if error is None else round(error, 2),
            "points": check,
        },
    }
    if app.output != "table":
        emit(data, app.output)
        return
    if error is None:
        note(f"{info.name}: under 48 h of history, no held-out day to measure the error on")
    else:
        note(f"{info.name}: forecast error on the last 24 h (MAPE) {error:.1f} %")
    click.echo(_forecast_chart(hourly, ahead, held, cutoff, this_hour, info.name, metric))


def _in_service(reader: Any, group: str, window: timedelta) -> MetricSeries | None:
    from scalectl.core.errors import InputError, ProviderError

    try:
        series: MetricSeries = reader.metric_series(group, "in_service", window)
    except (InputError, ProviderError):
        return None
    return series


def _hourly_load(
    series: MetricSeries, in_service: MetricSeries | None, fallback: int
) -> dict[datetime, float]:
    """Hourly means of metric x instances in service (the group's total load)."""
    counts = {p.at: p.value for p in in_service.points} if in_service is not None else {}
    sums: dict[datetime, float] = {}
    seen: dict[datetime, int] = {}
    for point in series.points:
        if point.value is None:
            continue
        instances = counts.get(point.at) or fallback
        hour = point.at.replace(minute=0, second=0, microsecond=0)
        sums[hour] = sums.get(hour, 0.0) + point.value * instances
        seen[hour] = seen.get(hour, 0) + 1
    return {hour: sums[hour] / seen[hour] for hour in sums}


def _forecast_chart(
    hourly: dict[datetime, float],
    ahead: Sequence[float],
    held: Sequence[float] | None,
    cutoff: datetime,
    this_hour: datetime,
    group: str,
    metric: str,
) -> str:
    import plotext as plt

    first = min(hourly) if hourly else cutoff
    first = max(first, cutoff - timedelta(hours=48))
    hours = int((this_hour - first).total_seconds() // 3600) + len(ahead)

    def x(at: datetime) -> int:
        return int((at - first).total_seconds() // 3600)

    plt.clear_figure()
    plt.plotsize(min(shutil.get_terminal_size().columns, 120), 20)
    plt.theme("clear")
    known = sorted((at, v) for at, v in hourly.items() if at >= first)
    plt.plot([x(a) for a, _ in known], [v for _, v in known], marker="braille", label="actual")
    if held is not None:
        xs = [x(cutoff) + i for i in range(len(held))]
        plt.plot(xs, list(held), marker="braille", label="forecast (held out)")
    xs = [x(this_hour) + i for i in range(len(ahead))]
    plt.plot(xs, list(ahead), marker="braille", label="forecast")
    ticks = list(range(0, hours, max(1, hours // 6)))
    plt.xticks(ticks, [(first + timedelta(hours=t)).strftime("%m-%d %H:%M") for t in ticks])
    plt.title(f"{group}: hourly {metric} x instances, actual and forecast")
    text: str = plt.build()
    plt.clear_figure()
    return text
