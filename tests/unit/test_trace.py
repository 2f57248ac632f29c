"""Load traces: CSV and JSON read alike, and every bad row is named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scalectl.core.errors import ExitCode, InputError
from scalectl.core.trace import load_trace, loads_trace

CSV = """timestamp,requests
2026-03-02T00:00:00+00:00,100
2026-03-02T00:01:00+00:00,110.5
2026-03-02T00:02:00Z,90
"""


def test_csv_requests() -> None:
    trace = loads_trace(CSV, "t.csv")
    assert trace.kind == "requests"
    assert trace.values == (100.0, 110.5, 90.0)
    assert trace.start == datetime(2026, 3, 2, tzinfo=UTC)
    assert trace.time(2) == datetime(2026, 3, 2, 0, 2, tzinfo=UTC)
    assert trace.instances is None


def test_csv_utilization_with_instances_and_odd_header_case() -> None:
    text = (
        "Timestamp, CPU ,Instances\n2026-03-02T00:00:00+08:00,40,3\n2026-03-02T00:01+08:00,45,3\n"
    )
    trace = loads_trace(text, "t.csv")
    assert trace.kind == "utilization"
    assert trace.values == (40.0, 45.0)
    assert trace.instances == (3, 3)


def test_json_list_and_points_object(tmp_path: Path) -> None:
    rows = (
        '[{"timestamp": "2026-03-02T00:00:00+00:00", "requests": 5},'
        ' {"timestamp": "2026-03-02T00:01:00+00:00", "requests": 6.5}]'
    )
    path = tmp_path / "t.json"
    path.write_text(rows)
    assert load_trace(path).values == (5.0, 6.5)
    wrapped = loads_trace('{"points": ' + rows + "}", "w.json")
    assert wrapped.values == (5.0, 6.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,requests\n2026-03-02T00:00:00+00:00,1\n", r"t\.csv:2: missing column 'timestamp'"),
        ("timestamp,load\n2026-03-02T00:00:00+00:00,1\n", r"t\.csv:2: missing column 'requests'"),
        (
            CSV + "2026-03-02T00:02:00+00:00,80\n",
            r"t\.csv:5: duplicate timestamp 2026-03-02T00:02:00\+00:00 \(also at line 4\)",
        ),
        (
            CSV + "2026-03-02T00:01:00+00:00,80\n",
            r"t\.csv:5: timestamps not sorted: .* comes after 2026-03-02T00:02:00\+00:00",
        ),
        (CSV + "2026-03-02T00:05:00+00:00,80\n", r"t\.csv:5: gap: .* is 3 min after"),
        (CSV + "2026-03-02T00:03:00+00:00,lots\n", r"t\.csv:5: requests: not a number: 'lots'"),
        (CSV + "2026-03-02T00:03:00+00:00,\n", r"t\.csv:5: requests: missing value"),
        (CSV + "2026-03-02T00:03:00+00:00,-4\n", r"t\.csv:5: requests: must be a finite"),
        (CSV + "2026-03-02T00:03:00+00:00,nan\n", r"t\.csv:5: requests: must be a finite"),
        (CSV + "2026-03-02T00:03:00,1\n", r"t\.csv:5: timestamp: .* needs a UTC offset"),
        (CSV + "yesterday,1\n", r"t\.csv:5: timestamp: 'yesterday' is not an ISO 8601"),
        ("timestamp,requests\n", r"t\.csv: empty trace"),
        ("", r"t\.csv: empty trace"),
        (
            "timestamp,cpu,instances\n2026-03-02T00:00:00+00:00,40,2.5\n",
            r"t\.csv:2: instances: must be a whole number",
        ),
    ],
)
def test_bad_csv_names_the_row(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        loads_trace(text, "t.csv")
    assert caught.value.exit_code is ExitCode.USAGE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", r"\[0\]: expected an object"),
        ('{"rows": []}', r"expected a list"),
        ("[{", r"w\.json:1: not valid JSON"),
        (
            '[{"timestamp": "2026-03-02T00:00:00+00:00", "requests": 1},'
            ' {"timestamp": "2026-03-02T00:00:00+00:00", "requests": 2}]',
            r"w\.json: \[1\]: duplicate timestamp .* \(also at \[0\]\)",
        ),
        (
            '{"points": [{"timestamp": "2026-03-02T00:00:00+00:00", "requests": true}]}',
            r"points\[0\]\.requests: not a number",
        ),
    ],
)
def test_bad_json_names_the_item(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        loads_trace(text, "w.json")


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_trace(tmp_path / "nope.csv")
