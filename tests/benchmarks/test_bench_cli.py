"""CLI start-up: `scalectl --version` against a bare `import click`, and imported-module counts."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

pytestmark = pytest.mark.benchmark


def wall(args: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def module_count(code: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(len(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return int(out.strip().splitlines()[-1])


def test_version_start_time(bench: Callable[..., None]) -> None:
    floor = wall([sys.executable, "-c", "import click"])
    ours = wall([sys.executable, "-m", "scalectl.cli.main", "--version"])
    bench(
        "scalectl --version wall time (median of 7)",
        f"{ours * 1000:.0f} ms",
        "<= 1.5x import click",
        f"import click {floor * 1000:.0f} ms ({ours / floor:.2f}x)",
    )
    modules = module_count(
        "import sys; sys.argv=['scalectl','--version']\n"
        "from scalectl.cli.main import main\ntry: main()\nexcept SystemExit: pass"
    )
    bench(
        "modules imported by --version",
        str(modules),
        "",
        f"import click: {module_count('import click')}",
    )


def test_sim_groups_list_start_time(paused_sim: object, bench: Callable[..., None]) -> None:
    command = [sys.executable, "-m", "scalectl.cli.main", "-o", "json", "groups", "list"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # creates the world
    floor = wall([sys.executable, "-c", "import click"], runs=5)
    ours = wall(command, runs=5)
    bench(
        "scalectl -o json groups list, sim shop (median of 5)",
        f"{ours * 1000:.0f} ms",
        "",
        f"import click {floor * 1000:.0f} ms ({ours / floor:.2f}x)",
    )
