"""CLI start-up: `scalectl --version` against a bare `import click`, and imported-module counts."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


# Runs the CLI and reports its own peak RSS (VmHWM of this process image). rusage of a child is
# no good here: its maximum counts the pytest process it was forked from.
MEASURED = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK_KB=" + line.split()[1] + "\\n")
atexit.register(peak)
sys.argv = ["scalectl", *sys.argv[1:]]
from scalectl.cli.main import main
main()
"""


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of one CLI run."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KB=")]
    return elapsed, int(peak[-1].removeprefix("PEAK_KB=")) / 1024


def test_cli_on_shop_and_large_worlds(home: Path, bench: Callable[..., None]) -> None:
    """Issue 3's figures: groups list on the shop and a 2,000-group world, one simulated day."""
    import os

    (home / "config.toml").write_text(
        '[profiles.sim]\nprovider = "sim"\nspeed = 0\n'
        '[profiles.large]\nprovider = "sim"\nworld = "large"\ngroups = 2000\nspeed = 0\n'
    )
    env = {**os.environ, "SCALECTL_HOME": str(home)}
    cli: list[str] = []
    run_measured([*cli, "sim", "status"], env)  # build the shop world once
    seconds, peak = run_measured([*cli, "groups", "list", "-o", "json"], env)
    bench(
        "CLI shop: groups list -o json", f"{seconds * 1000:.0f} ms", "", f"peak RSS {peak:.0f} MiB"
    )
    seconds, peak = run_measured([*cli, "sim", "advance", "1d"], env)
    bench(
        "CLI shop: sim advance 1d (one call)",
        f"{seconds:.2f} s",
        "< 1 s of simulation",
        f"peak RSS {peak:.0f} MiB",
    )
    run_measured([*cli, "--profile", "large", "sim", "status"], env)  # build the large world
    seconds, peak = run_measured([*cli, "--profile", "large", "groups", "list", "-o", "json"], env)
    bench(
        "CLI 2,000 groups: groups list -o json",
        f"{seconds * 1000:.0f} ms",
        "",
        f"peak RSS {peak:.0f} MiB",
    )
