"""Benchmarks print their figures (figure, value, target, baseline measured in the same run).

They never assert on time: shared 2-core machines make timed assertions flaky. Each benchmark
records rows with the ``bench`` fixture; the table is printed at the end of the pytest run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    baseline: str = ""


ROWS: list[Row] = []


@pytest.fixture
def bench() -> Callable[..., None]:
    def record(figure: str, value: str, target: str = "", baseline: str = "") -> None:
        ROWS.append(Row(figure, value, target, baseline))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    terminalreporter.section("scalectl benchmarks")
    widths = [max(len(getattr(r, f)) for r in ROWS) for f in ("figure", "value", "target")]
    widths = [max(w, len(h)) for w, h in zip(widths, ("figure", "value", "target"), strict=True)]
    header = f"{'figure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  baseline"
    terminalreporter.write_line(header)
    terminalreporter.write_line("-" * len(header))
    for row in ROWS:
        terminalreporter.write_line(
            f"{row.figure:<{widths[0]}}  {row.value:>{widths[1]}}  "
            f"{row.target:<{widths[2]}}  {row.baseline}"
        )
