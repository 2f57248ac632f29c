"""Issue 7 (backtest and forecast) end to end through the CLI: trace files, bad traces, and a sim
world with a recurring flash sale where a predictive rule scales out ahead of the spike."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.helpers import Result, run

TT_ONLY = """\
[[bounds]]
group = "web"
min = 1
max = 20
desired = 2

[[rules]]
kind = "target_tracking"
name = "cpu-50"
group = "web"
target = 50.0
"""

FLAPPY = """\
[[bounds]]
group = "web"
min = 1
max = 20
desired = 2

[[rules]]
kind = "simple"
name = "up"
group = "web"
comparison = ">"
threshold = 52.0
adjustment = 1
cooldown_s = 0

[[rules]]
kind = "simple"
name = "down"
group = "web"
comparison = "<"
threshold = 48.0
adjustment = -1
cooldown_s = 0
"""


def _trace(path: Path, minutes: int = 600) -> Path:
    start = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    lines = ["timestamp,requests"]
    for i in range(minutes):
        load = 300 + 200 * ((i // 90) % 2) + (37 * i) % 41  # steps with a ragged edge
        lines.append(f"{(start + timedelta(minutes=i)).isoformat()},{load}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_backtest_trace_compare_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "new.toml").write_text(TT_ONLY)
    (tmp_path / "old.toml").write_text(FLAPPY)
    trace = _trace(tmp_path / "load.csv")
    result = run(
        capsys,
        "backtest",
        "-f",
        str(tmp_path / "new.toml"),
        "--trace",
        str(trace),
        "--compare",
        str(tmp_path / "old.toml"),
        "--capacity",
        "100",
        "--price",
        "0.096",
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["group"] == "web"
    assert data["trace"]["minutes"] == 600
    new, old = data["results"]
    assert (new["name"], old["name"]) == ("new.toml", "old.toml")
    for item in (new, old):
        assert item["cost"] == pytest.approx(item["instance_hours"] * 0.096, abs=0.01)
        assert item["timeline"][0]["at"] == "2026-03-02T00:00:00+00:00"
        assert item["target"] == 50.0
        assert item["minutes"] == 600
    # The flapping-prone simple rules scale far more often on the same trace.
    assert old["scale_outs"] + old["scale_ins"] > new["scale_outs"] + new["scale_ins"]


def test_backtest_table_and_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "new.toml").write_text(TT_ONLY)
    trace = _trace(tmp_path / "load.csv")
    result = run(
        capsys,
        "backtest",
        "-f",
        str(tmp_path / "new.toml"),
        "--trace",
        str(trace),
        "--capacity",
        "100",
    )
    assert result.code == 0, result.err
    assert "instance-hours" in result.out
    assert "scale-outs" in result.out
    assert "desired capacity" in result.out  # the plotext chart's title


def _bad(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> Result:
    (tmp_path / "new.toml").write_text(TT_ONLY)
    (tmp_path / "bad.csv").write_text(text)
    return run(
        capsys,
        "backtest",
        "-f",
        str(tmp_path / "new.toml"),
        "--trace",
        str(tmp_path / "bad.csv"),
        "--capacity",
        "100",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timestamp,load\n2026-03-02T00:00:00+00:00,1\n", "bad.csv:2: missing column 'requests'"),
        ("requests\n1\n", "bad.csv:2: missing column 'timestamp'"),
        (
            "timestamp,requests\n2026-03-02T00:01:00+00:00,1\n2026-03-02T00:00:00+00:00,1\n",
            "bad.csv:3: timestamps not sorted",
        ),
        (
            "timestamp,requests\n2026-03-02T00:00:00+00:00,1\n2026-03-02T00:00:00+00:00,1\n",
            "bad.csv:3: duplicate timestamp",
        ),
        (
            "timestamp,requests\n2026-03-02T00:00:00+00:00,1\n2026-03-02T00:10:00+00:00,1\n",
            "bad.csv:3: gap",
        ),
    ],
)
def test_bad_trace_names_the_row_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str
) -> None:
    result = _bad(capsys, tmp_path, text)
    assert result.code == 2
    assert expected in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.out == ""


def test_backtest_needs_a_load(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "new.toml").write_text(TT_ONLY)
    result = run(capsys, "backtest", "-f", str(tmp_path / "new.toml"))
    assert result.code == 2
    assert "--trace" in result.err
    trace = _trace(tmp_path / "load.csv", 10)
    result = run(capsys, "backtest", "-f", str(tmp_path / "new.toml"), "--trace", str(trace))
    assert result.code == 2
    assert "--capacity" in result.err


# --- the sim: a flash sale at 16:00 (shop time) every day ----------------------------------------

PREDICTIVE = """
[[rules]]
kind = "predictive"
name = "sale-forecast"
group = "web"
target = 50.0
mode = "forecast_and_scale"
buffer_s = 600
"""

SIM_TT = """\
[[rules]]
kind = "target_tracking"
name = "cpu-55"
group = "web"
target = 55.0
warmup_s = 180
"""


def _clock(capsys: pytest.CaptureFixture[str]) -> datetime:
    return datetime.fromisoformat(run(capsys, "sim", "status", "-o", "json").json()["clock"])


def _advance(capsys: pytest.CaptureFixture[str], minutes: int) -> None:
    assert run(capsys, "sim", "advance", f"{minutes}m").code == 0


def _sale(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        capsys,
        "sim",
        "flash-sale",
        "--multiplier",
        "3",
        "--duration",
        "59m",
        "--ramp",
        "1m",
        "--group",
        "web",
    )
    assert result.code == 0, result.err


@pytest.mark.usefixtures("paused_sim")
def test_predictive_scales_before_a_recurring_sale_and_backtest_agrees(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    start = _clock(capsys)
    assert (start.hour, start.minute) == (0, 0)  # the shop's midnight
    _advance(capsys, 16 * 60)
    for day in range(3):  # three days of sales at 16:00 make the history
        _sale(capsys)
        _advance(capsys, 23 * 60 if day == 2 else 24 * 60)  # the last stops at 15:00
    assert _clock(capsys).hour == 15
    exported = run(capsys, "rules", "export", "web").out
    rules = tmp_path / "web.toml"
    rules.write_text(exported + PREDICTIVE)
    assert run(capsys, "rules", "apply", "-f", str(rules), "--yes").code == 0
    _advance(capsys, 49)
    before = run(capsys, "groups", "show", "web", "-o", "json").json()["desired"]
    _advance(capsys, 2)  # past 15:50: 16:00 minus the 10-minute scheduling buffer
    data = run(capsys, "activity", "list", "web", "--limit", "50", "-o", "json").json()
    buffer_time = (start + timedelta(days=3, hours=15, minutes=50)).isoformat()
    predictive = [a for a in data if "predictive" in a["cause"]]
    assert predictive, data[:3]
    assert predictive[0]["started_at"] == buffer_time
    assert predictive[0]["to_capacity"] > before
    # The sale starts at 16:00, ten minutes after the capacity was launched.
    _advance(capsys, 9)
    _sale(capsys)
    _advance(capsys, 120)

    both = tmp_path / "with-predictive.toml"
    both.write_text(SIM_TT + PREDICTIVE)
    alone = tmp_path / "tt-only.toml"
    alone.write_text(SIM_TT)
    result = run(
        capsys,
        "backtest",
        "-f",
        str(both),
        "--group",
        "web",
        "--since",
        "4d",
        "--compare",
        str(alone),
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    with_pred, tt_only = result.json()["results"]
    assert with_pred["target"] == tt_only["target"] == 55.0
    assert with_pred["minutes_above_target"] < tt_only["minutes_above_target"]
    ahead = [e for e in with_pred["events"] if e["kind"] == "predictive"]
    assert any(e["at"].endswith(("T15:50:00+08:00", "T07:50:00+00:00")) for e in ahead), ahead


@pytest.mark.usefixtures("paused_sim")
def test_forecast_json_and_chart(capsys: pytest.CaptureFixture[str]) -> None:
    _advance(capsys, 26 * 60)  # with the world's own 26 h: over two days of history
    result = run(capsys, "forecast", "web", "-o", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["group"] == "web" and data["metric"] == "cpu"
    assert len(data["forecast"]) == 48
    assert all(p["value"] >= 0 for p in data["forecast"])
    held = data["held_out"]
    assert len(held["points"]) == 24
    assert held["mape"] is not None and 0 <= held["mape"] < 50
    chart = run(capsys, "forecast", "web", "--hours", "12")
    assert chart.code == 0, chart.err
    assert "forecast" in chart.out
    assert "MAPE" in chart.err


@pytest.mark.usefixtures("paused_sim")
def test_forecast_unknown_group_is_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "forecast", "nope")
    assert result.code == 5, result.err


@pytest.mark.usefixtures("paused_sim")
def test_backtest_all_groups_equals_each_group_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "shop.toml"
    rules.write_text(run(capsys, "rules", "export").out)  # every group of the shop
    common = ["-f", str(rules), "--since", "1d", "--target", "60", "--capacity", "3000"]
    result = run(capsys, "backtest", *common, "--all-groups", "--compare", str(rules), "-o", "json")
    assert result.code == 0, result.err
    reports = result.json()["groups"]
    names = [r["group"] for r in reports]
    assert names == sorted(names) and len(names) == 6
    for report in reports:  # on every core, the same as one group at a time
        alone = run(capsys, "backtest", *common, "--group", report["group"], "-o", "json")
        assert alone.code == 0, alone.err
        assert report["results"][0] == alone.json()["results"][0]
        assert report["results"][1]["events"] == report["results"][0]["events"]
    table = run(capsys, "backtest", *common, "--all-groups")
    assert table.code == 0 and "backtest of 6 groups over 1d" in table.out
    assert all(name in table.out for name in names)


def test_backtest_all_groups_refuses_a_trace_or_a_group(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "new.toml").write_text(TT_ONLY)
    trace = _trace(tmp_path / "load.csv", 10)
    for extra in (["--trace", str(trace)], ["--group", "web"]):
        result = run(capsys, "backtest", "-f", str(tmp_path / "new.toml"), "--all-groups", *extra)
        assert result.code == 2
        assert "--all-groups" in result.err
