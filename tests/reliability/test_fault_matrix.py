"""Issue 8, point 1: every provider x every fault, through the CLI, with the results kept in
docs/reliability.md by this test (the table is rendered from EXPECTED, which the matrix checks).

A cell: the exit code while the fault lasts, how many attempts the list call made (retries
bounded by max_retries, none for what is not retryable), whether the one-line message carries the
cloud's request id, and whether one transient fault is absorbed by the retries (exit 0).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import run
from tests.reliability.worlds import LIST_GROUPS, MAX_RETRIES, Served, free_port, serve

FAULTS = ("5xx", "503", "throttle", "timeout", "refused", "malformed", "auth", "paging")
FAULT_TITLES = {
    "5xx": "HTTP 500",
    "503": "HTTP 503",
    "throttle": "throttling",
    "timeout": "timeout",
    "refused": "connection refused",
    "malformed": "malformed body",
    "auth": "auth failure",
    "paging": "failure mid-paging",
}
RETRIED = 1 + MAX_RETRIES
PAGED_GROUPS = 120  # more than one page everywhere (Alibaba 50, the others 100)


@dataclass(frozen=True)
class Cell:
    exit: int
    attempts: int | None  # calls of the list action while the fault lasts (None: not observable)
    request_id: bool  # the one-line message names the cloud's request id
    transient_ok: bool | None  # one occurrence is absorbed by a retry (None: not injectable)

    def render(self) -> str:
        attempts = "-" if self.attempts is None else str(self.attempts)
        rid = "request id" if self.request_id else "no request id"
        heal = {True: "1 fault absorbed", False: "not retried", None: "works once reachable"}[
            self.transient_ok
        ]
        return f"exit {self.exit}, {attempts} attempts, {rid}, {heal}"


def _cloud_row(*, rid_503: bool = True, rid_throttle: bool = True) -> dict[str, Cell]:
    return {
        "5xx": Cell(4, RETRIED, True, True),
        "503": Cell(4, RETRIED, rid_503, True),
        "throttle": Cell(4, RETRIED, rid_throttle, True),
        "timeout": Cell(4, RETRIED, False, True),
        "refused": Cell(4, None, False, None),
        "malformed": Cell(4, 1, False, False),
        "auth": Cell(4, 1, True, False),
        "paging": Cell(4, 1 + RETRIED, True, True),
    }


# Where a request id is missing, the cloud does not send one: Tencent's 503 is its gateway's
# HTML page; Huawei's SDK transport turns a 429 into a RetryError before any handler sees it.
EXPECTED: dict[str, dict[str, Cell]] = {
    "aws": _cloud_row(),
    "alibaba": _cloud_row(),
    "tencent": _cloud_row(rid_503=False),
    "huawei": _cloud_row(rid_throttle=False),
}
# The embedded sim is in-process (SQLite): it has no network to fail. Its one fault is a broken
# state database, tested in test_sim_store_faults.py.
SIM_NOTE = "in-process (SQLite): no network faults; a corrupt state file: see test_sim_store_faults"


def _inject(served: Served, fault: str, count: int) -> None:
    action = LIST_GROUPS[served.provider]
    if fault == "timeout":
        served.inject("slow", count=count, action=action, delay_s=2.5)
    elif fault == "paging":
        served.inject("5xx", count=count, action=action, after=1)
    else:
        served.inject(fault, count=count, action=action)


def _point_at(home: Path, endpoint: str, new: str) -> None:
    config = home / "config.toml"
    config.write_text(config.read_text().replace(endpoint, new))


def _observe(served: Served, fault: str, capsys: pytest.CaptureFixture[str]) -> Cell:
    provider, action = served.provider, LIST_GROUPS[served.provider]
    argv = ("--profile", provider, "groups", "list", "-o", "json")
    dead = f"http://127.0.0.1:{free_port()}"
    served.reset_calls()
    if fault == "refused":
        _point_at(served.home, served.endpoint, dead)
    else:
        _inject(served, fault, count=-1)
    failed = run(capsys, *argv)
    attempts = None if fault == "refused" else served.calls()[action]
    served.clear()
    lines = failed.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), failed.err
    assert failed.out == "", "no partial data on stdout"
    assert provider in lines[0], lines[0]
    rid = bool(re.search(r"\(request id [^)]+\)", lines[0]))
    # When the fault ends, the next call works (and sees every group, no partial page cached).
    if fault == "refused":
        _point_at(served.home, dead, served.endpoint)
        transient_ok = None
    else:
        _inject(served, fault, count=1)
        healed = run(capsys, *argv)
        served.clear()
        transient_ok = healed.code == 0
    recovered = run(capsys, *argv)
    assert recovered.code == 0, recovered.err
    names = {g["name"] for g in recovered.json()}
    assert len(names) >= PAGED_GROUPS, "every page listed once the fault is gone"
    return Cell(failed.code, attempts, rid, transient_ok)


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_fault_matrix(
    provider: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    observed: dict[str, Cell] = {}
    with serve(provider, home, monkeypatch, groups=PAGED_GROUPS) as served:
        for fault in FAULTS:
            observed[fault] = _observe(served, fault, capsys)
    mismatched = {
        f: (observed[f].render(), EXPECTED[provider][f].render())
        for f in FAULTS
        if observed[f] != EXPECTED[provider][f]
    }
    assert not mismatched, json.dumps(mismatched, indent=1, ensure_ascii=False)


# -- the table in docs/reliability.md ----------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN, END = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"


def render_matrix() -> str:
    header = "| fault | " + " | ".join(EXPECTED) + " | sim |"
    rule = "|---" * (len(EXPECTED) + 2) + "|"
    rows = [header, rule]
    for fault in FAULTS:
        cells = [EXPECTED[p][fault].render() for p in EXPECTED]
        rows.append(f"| {FAULT_TITLES[fault]} | " + " | ".join(cells) + " | n/a |")
    rows.append("")
    rows.append(f"sim: {SIM_NOTE}.")
    return "\n".join(rows)


def faults_survived() -> int:
    return sum(1 for row in EXPECTED.values() for cell in row.values() if cell.exit in (0, 4))


def test_docs_table_matches_the_matrix() -> None:
    """The doc shows what the matrix checks. SCALECTL_UPDATE_DOCS=1 rewrites it."""
    table = f"{BEGIN}\n{render_matrix()}\n{END}"
    text = DOC.read_text(encoding="utf-8")
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    if current != table and os.environ.get("SCALECTL_UPDATE_DOCS") == "1":
        DOC.write_text(text.replace(current, table), encoding="utf-8")
        current = table
    assert current == table, "docs/reliability.md is stale: rerun with SCALECTL_UPDATE_DOCS=1"
