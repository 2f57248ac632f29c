"""Issue 8, point 4 (hostile replies): real replies bent by the emulator (negative numbers, wrong
types, missing fields, terminal escapes and bidi overrides in names, lists 200 times too long)
are rejected with one line (exit 4) or shown safely: no traceback, no negative capacity, no
control character reaching the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scalectl_sim.serve.common import HOSTILE_MODES

from tests.cli.helpers import run
from tests.reliability.worlds import CLOUDS, Served, serve

CONTROL = ("\x1b", "\u202e", "\x00")


@pytest.fixture(params=CLOUDS)
def cloud(request: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with serve(request.param, home, monkeypatch) as served:
        yield served


def _safe(result: Any, json_out: bool) -> None:
    # 4: the reply was rejected; 5: a bent name no longer matches the group asked for.
    assert result.code in (0, 4, 5), (result.code, result.err)
    if result.code:
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    # JSON is data and keeps every character (escaping the control ones); a table is for a
    # terminal and must not carry escape sequences or bidi overrides to it.
    for char in CONTROL[::2] if json_out else CONTROL:
        assert char not in result.out and char not in result.err, repr(char)


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(m, marks=pytest.mark.soak)  # Huawei's per-group calls x 20: slow
        if m == "huge"
        else m
        for m in HOSTILE_MODES
    ],
)
def test_hostile_replies_are_rejected_or_shown_safely(
    cloud: Served, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = ("--profile", cloud.provider)
    for argv in (
        ("groups", "list", "-o", "json"),
        ("groups", "list"),
        ("groups", "show", "web"),
        ("balancers", "list"),
        ("alarms", "list"),
        ("activity", "list", "web"),
    ):
        cloud.inject("hostile", count=-1, mode=mode)
        result = run(capsys, *profile, *argv)
        cloud.clear()
        _safe(result, json_out=argv[-1] == "json")
        if result.code == 0 and argv[-1] == "json":
            for group in result.json():
                for key in ("min", "max", "desired", "in_service"):
                    assert isinstance(group[key], int) and group[key] >= 0, (key, group)
