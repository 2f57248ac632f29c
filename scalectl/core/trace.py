"""Load traces for backtests: one point per minute of ``timestamp`` and ``requests`` (per minute) or
``utilization`` (percent, measured at ``instances`` instances), from CSV or JSON.

Every problem is an InputError naming the file and the row (CSV: the line; JSON: the item), so a
bad trace gets one clear line and exit code 2: missing columns, unsorted, duplicate or missing
minutes, values that are not finite non-negative numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from scalectl.core.errors import InputError, ProviderError
from scalectl.core.model import MetricPoint
from scalectl.core.provider import ProviderReader

TraceKind = Literal["requests", "utilization"]
TIME_COLUMN = "timestamp"
# The first column found names the load; aliases as other tools spell them.
LOAD_COLUMNS: tuple[tuple[str, TraceKind], ...] = (
    ("requests", "requests"),
    ("utilization", "utilization"),
    ("cpu", "utilization"),
)
INSTANCE_COLUMNS = ("instances", "in_service")
STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class Trace:
    """A per-minute load trace, oldest first, without gaps."""

    start: datetime
    values: tuple[float, ...]
    kind: TraceKind
    instances: tuple[int, ...] | None = None  # instances the utilization was measured at
    source: str = "<trace>"

    def __len__(self) -> int:
        return len(self.values)

    def time(self, index: int) -> datetime:
        return self.start + index * STEP


def load_trace(path: Path) -> Trace:
    """Read a CSV or JSON trace (by extension; content sniffed when the extension says neither)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the trace: {exc}", source=source) from None
    return loads_trace(text, source)


def loads_trace(text: str, source: str = "<trace>") -> Trace:
    is_json = source.lower().endswith(".json") or text.lstrip().startswith(("[", "{"))
    rows = _json_rows(text, source) if is_json else _csv_rows(text, source)
    return _build(rows, source)


# A row as read: where it came from (for errors) and its raw fields.
@dataclass(frozen=True)
class _Row:
    line: int | None  # CSV line number
    item: str | None  # JSON item path, e.g. "points[3]"
    fields: Mapping[str, Any]


def _error(row: _Row | None, source: str, message: str, column: str | None = None) -> InputError:
    if row is None:
        return InputError(message, source=source, field=column)
    if row.item is not None:
        where = f"{row.item}.{column}" if column else row.item
        return InputError(message, source=source, field=where)
    return InputError(message, source=source, line=row.line, field=column)


def _csv_rows(text: str, source: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        if reader.fieldnames is None:
            raise InputError(
                "empty trace: expected a header row and one row per minute", source=source
            )
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
        for fields in reader:
            if not any((v or "").strip() for v in fields.values() if isinstance(v, str)):
                continue  # blank line
            rows.append(_Row(reader.line_num, None, fields))
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", source=source, line=reader.line_num) from None
    return rows


def _json_rows(text: str, source: str) -> list[_Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    prefix = ""
    if isinstance(data, dict) and isinstance(data.get("points"), list):
        data, prefix = data["points"], "points"
    if not isinstance(data, list):
        raise InputError(
            'expected a list of {"timestamp": ..., "requests": ...} objects (or {"points": [...]})',
            source=source,
        )
    rows: list[_Row] = []
    for index, item in enumerate(data):
        where = f"{prefix}[{index}]"
        if not isinstance(item, dict):
            raise InputError(
                f"expected an object, got {type(item).__name__}", source=source, field=where
            )
        rows.append(_Row(None, where, {str(k).strip().lower(): v for k, v in item.items()}))
    return rows


def _columns(rows: Sequence[_Row], source: str) -> tuple[str, TraceKind, str | None]:
    if not rows:
        raise InputError("empty trace: no data rows", source=source)
    first = rows[0]
    names = set(first.fields)
    if TIME_COLUMN not in names:
        raise _error(first, source, f"missing column {TIME_COLUMN!r} (found: {_shown(names)})")
    load = next(((c, k) for c, k in LOAD_COLUMNS if c in names), None)
    if load is None:
        wanted = " or ".join(repr(c) for c, _ in LOAD_COLUMNS)
        raise _error(first, source, f"missing column {wanted} (found: {_shown(names)})")
    instances = next((c for c in INSTANCE_COLUMNS if c in names), None)
    return load[0], load[1], instances


def _shown(names: set[str]) -> str:
    return ", ".join(sorted(n for n in names if n)) or "nothing"


def _build(rows: Sequence[_Row], source: str) -> Trace:
    column, kind, instances_column = _columns(rows, source)
    values: list[float] = []
    instances: list[int] = []
    start: datetime | None = None
    previous: datetime | None = None
    for number, (row, at) in enumerate(_timestamps(rows, source)):
        if previous is not None:
            _check_order(row, source, at, previous, rows[number - 1])
        previous = at
        start = start or at
        values.append(_number(row, source, column))
        if instances_column is not None:
            instances.append(_count(row, source, instances_column))
    assert start is not None  # _columns refused an empty trace
    return Trace(
        start=start,
        values=tuple(values),
        kind=kind,
        instances=tuple(instances) if instances_column is not None else None,
        source=source,
    )


def _timestamps(rows: Sequence[_Row], source: str) -> Iterator[tuple[_Row, datetime]]:
    for row in rows:
        raw = row.fields.get(TIME_COLUMN)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise _error(row, source, "missing timestamp", TIME_COLUMN)
        if not isinstance(raw, str):
            raise _error(row, source, f"timestamp must be ISO 8601 text, got {raw!r}", TIME_COLUMN)
        try:
            at = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise _error(
                row, source, f"{raw!r} is not an ISO 8601 timestamp", TIME_COLUMN
            ) from None
        if at.utcoffset() is None:
            raise _error(
                row, source, f"{raw!r} needs a UTC offset, e.g. {raw.strip()}+00:00", TIME_COLUMN
            )
        yield row, at


def _where(row: _Row) -> str:
    return row.item if row.item is not None else f"line {row.line}"


def _check_order(row: _Row, source: str, at: datetime, previous: datetime, before: _Row) -> None:
    gap = at - previous
    if gap == timedelta(0):
        raise _error(
            row, source, f"duplicate timestamp {at.isoformat()} (also at {_where(before)})"
        )
    if gap < timedelta(0):
        raise _error(
            row,
            source,
            f"timestamps not sorted: {at.isoformat()} comes after {previous.isoformat()} "
            f"({_where(before)})",
        )
    if gap != STEP:
        minutes = gap.total_seconds() / 60
        raise _error(
            row,
            source,
            f"gap: {at.isoformat()} is {minutes:g} min after {previous.isoformat()} "
            f"({_where(before)}); a trace needs one point per minute",
        )


def _number(row: _Row, source: str, column: str) -> float:
    raw = row.fields.get(column)
    if isinstance(raw, bool):
        raise _error(row, source, f"not a number: {raw!r}", column)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and raw.strip():
        try:
            value = float(raw.strip())
        except ValueError:
            raise _error(row, source, f"not a number: {raw.strip()!r}", column) from None
    else:
        raise _error(row, source, "missing value", column)
    if not math.isfinite(value) or value < 0:
        raise _error(row, source, f"must be a finite number >= 0, got {raw!r}", column)
    return value


def _count(row: _Row, source: str, column: str) -> int:
    value = _number(row, source, column)
    if not value.is_integer() or value < 1:
        raise _error(
            row, source, f"must be a whole number of instances >= 1, got {value:g}", column
        )
    return int(value)


# -- a group's own history as a trace ----------------------------------------------------------


@dataclass(frozen=True)
class History:
    """A group's history as a trace, and what had to be assumed to make it one."""

    trace: Trace
    filled: int  # missing minutes carried forward
    assumed_instances: int | None  # set when there was no in-service history


def filled_minutes(points: Sequence[MetricPoint], source: str) -> tuple[list[float], datetime, int]:
    """Per-minute values with missing minutes carried forward (a trace has no holes)."""
    known = [(p.at, float(p.value)) for p in points if p.value is not None]
    if not known:
        raise InputError("no datapoints in the window", source=source)
    start, end = known[0][0], known[-1][0]
    by_time = dict(known)
    values: list[float] = []
    last, filled = known[0][1], 0
    for i in range(int((end - start).total_seconds() // 60) + 1):
        value = by_time.get(start + i * STEP)
        if value is None:
            filled += 1
        else:
            last = value
        values.append(last)
    return values, start, filled


def group_history(
    reader: ProviderReader, group: str, window: timedelta, *, source: str = ""
) -> History:
    """The group's load over ``window``: its cpu at the instances it had in service then."""
    info = reader.get_group(group)
    source = source or f"{info.name} history"
    cpu = reader.metric_series(info.name, "cpu", window, 60)
    values, start, filled = filled_minutes(cpu.points, source)
    assumed: int | None = None
    try:
        seen = reader.metric_series(info.name, "in_service", window, 60)
    except (InputError, ProviderError):
        assumed = max(1, info.in_service)
        counts = [assumed] * len(values)
    else:
        by_time = {p.at: p.value for p in seen.points}
        counts, last = [], max(1, info.in_service)
        for i in range(len(values)):
            found = by_time.get(start + i * STEP)
            last = int(found) if found else last
            counts.append(max(1, last))
    trace = Trace(start, tuple(values), "utilization", tuple(counts), source)
    return History(trace, filled, assumed)
