"""TUI benchmarks: they print figures and compare with a floor measured in the same run.

- Start-up: process start to the first painted data on the shop world, next to a bare Textual app
  with one DataTable (the floor: Python + Textual + one paint).
- A 2,000-group world: time per refresh (provider fetch, and the table sync on the UI thread),
  cells written per refresh, and memory.
- Key-press latency while a refresh is running.

No timing is asserted: machines differ. Run with ``uv run pytest tests/benchmarks -s -q``.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.benchmark

SHOP = """\
default_profile = "sim"
[profiles.sim]
provider = "sim"
speed = 0
"""
LARGE = """\
default_profile = "big"
[profiles.big]
provider = "sim"
speed = 0
world = "large"
groups = 2000
"""

WAIT_AND_PAINT = """
def frame_text(update):
    lines = getattr(update, "strips", None)
    if lines is None:  # a partial update: the changed chops of each line
        lines = [[s for s in chop.values() if s is not None] for chop in update.chops]
    return "".join(strip.text for line in lines for strip in line)

painted = []
display = app._display

def first_frame_with_data(screen, update):
    # The compositor renders every frame even headless (only the terminal write is skipped):
    # the first frame whose text shows a row of data is the first painted data.
    display(screen, update)
    if not painted and update is not None and not app._batch_count:
        name = ready()
        if name and name in frame_text(update):
            painted.append(True)
            print("PAINTED", flush=True)

app._display = first_frame_with_data

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        while not painted:
            await pilot.pause(0.002)
        await pilot.pause()  # until the process is idle: the rest of the first poll is done
        print("IDLE", flush=True)

asyncio.run(main())
"""

SCALECTL_CHILD = (
    textwrap.dedent("""
    import asyncio
    from scalectl.cli.context import AppContext
    from scalectl.tui.app import build

    app = build(AppContext(None, "table", False, None, "en", False), monitor=False)

    def ready():
        # The first group's name once the table has rows (None before).
        table = app.query("#groups")
        if app.snapshot is None or not table or not table.first().row_count:
            return None
        return str(table.first().ordered_rows[0].key.value)[:12]
    """)
    + WAIT_AND_PAINT
)

BARE_CHILD = (
    textwrap.dedent("""
    import asyncio
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App):
        def compose(self):
            yield DataTable()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("name", "desired")
            for i in range(6):
                table.add_row(f"group-{i}", str(i))

    app = Bare()

    def ready():
        tables = app.query(DataTable)
        return "group-0" if tables and tables.first().row_count else None
    """)
    + WAIT_AND_PAINT
)


def _time_to_paint(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to the first frame showing data, and to idle after it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    painted = time.perf_counter() - started
    idle_line = process.stdout.readline()
    idle = time.perf_counter() - started
    process.wait(timeout=60)
    assert line.strip() == "PAINTED", line
    assert idle_line.strip() == "IDLE", idle_line
    return painted, idle


def _home(tmp_path: Path, config: str, name: str) -> dict[str, str]:
    import os

    home = tmp_path / name
    home.mkdir()
    (home / "config.toml").write_text(config)
    env = {**os.environ, "SCALECTL_HOME": str(home)}
    env.pop("SCALECTL_CONFIG", None)
    # Build the world once, so start-up measures the TUI and not the world's first creation.
    subprocess.run(
        [sys.executable, "-m", "scalectl.cli.main", "groups", "list", "-o", "json"],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def test_start_to_first_painted_data(tmp_path: Path, bench: Callable[..., None]) -> None:
    env = _home(tmp_path, SHOP, "shop")
    runs = 3
    bare = [_time_to_paint(BARE_CHILD, env) for _ in range(runs)]
    ours = [_time_to_paint(SCALECTL_CHILD, env) for _ in range(runs)]
    floor, mine = (statistics.median(p for p, _ in bare), statistics.median(p for p, _ in ours))
    floor_idle = statistics.median(i for _, i in bare)
    mine_idle = statistics.median(i for _, i in ours)
    print(
        f"\nstart to first painted data (median of {runs}): "
        f"bare Textual + DataTable {floor * 1000:.0f} ms; "
        f"scalectl on the shop world {mine * 1000:.0f} ms ({mine / floor:.2f}x the floor); "
        f"to idle after it (charts, the rest of the first poll): bare {floor_idle * 1000:.0f} ms, "
        f"scalectl {mine_idle * 1000:.0f} ms ({mine_idle / floor_idle:.2f}x)"
    )
    bench(
        "TUI start to first painted data (shop)",
        f"{mine * 1000:.0f} ms ({mine / floor:.2f}x)",
        "<= 1.3x the floor",
        f"bare Textual + DataTable {floor * 1000:.0f} ms",
    )


async def test_large_world_refresh_memory_and_key_latency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bench: Callable[..., None]
) -> None:
    env = _home(tmp_path, LARGE, "large")
    monkeypatch.setenv("SCALECTL_HOME", env["SCALECTL_HOME"])
    from scalectl.config import load_settings, pick_profile, resolve_paths
    from scalectl.connect import open_console
    from scalectl.tui.app import ScalectlApp
    from scalectl.tui.panels import KeyedTable

    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), None)
    rss_before = _rss_mib()
    _reset_peak()
    app = ScalectlApp(
        console=open_console(profile, paths),
        profile_name=profile.name,
        provider="sim",
        region=profile.region,
        interval=3600.0,
        clock=lambda: 1000.0,
    )
    async with app.run_test(size=(200, 50)) as pilot:
        while app.snapshot is None or app.chart is None:
            await pilot.pause(0.01)
        groups = app.query_one("#groups", KeyedTable)
        assert groups.row_count == 2000
        unchanged = _timed(lambda: app.apply(app.snapshot))

        from scalectl_sim.provider import SimControl

        control = SimControl(profile)
        fetches, syncs, written = [], [], []
        for _ in range(3):
            control.advance(__import__("datetime").timedelta(minutes=1))
            polls = app.polls
            app.action_refresh()
            while app.polls == polls:
                await pilot.pause(0.005)
            assert app.snapshot is not None
            fetches.append(app.snapshot.took_s)
            written.append(groups.updates)
            syncs.append(app.last_apply_s)
        rss_after = _rss_mib()

        latencies = []
        idle = []
        for _ in range(5):
            started = time.perf_counter()
            await pilot.press("down")
            idle.append(time.perf_counter() - started)
        pilot_round_trips = []
        for index in range(10):
            polls = app.polls
            app.action_refresh()  # a refresh is in flight while the key is handled
            if index % 2:
                latencies.append(await _key_to_paint(app, groups, "down"))
            else:
                # Pilot.press also waits until the whole process is idle (the worker's fetch
                # included): printed for comparison, not the figure.
                started = time.perf_counter()
                await pilot.press("down")
                pilot_round_trips.append(time.perf_counter() - started)
                latencies.append(await _key_to_paint(app, groups, "down"))
            while app.polls == polls:
                await pilot.pause(0.005)
    control.close()
    print(
        f"\n2,000-group world: provider fetch per refresh "
        f"{statistics.median(fetches) * 1000:.0f} ms "
        f"(worker thread); UI-thread update per refresh {statistics.median(syncs) * 1000:.1f} ms "
        f"after 1 sim minute, {unchanged * 1000:.1f} ms with nothing changed; "
        f"cells written per refresh after 1 sim minute: median {statistics.median(written):.0f} "
        f"of {2000 * len(groups.columns)}"
    )
    peak = _peak_mib()
    print(
        f"memory (RSS of the test process): {rss_before:.0f} MiB before the app, "
        f"{rss_after:.0f} MiB with the 2,000-group world on screen, peak {peak:.0f} MiB"
    )
    print(
        f"key-press latency while refreshing: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms (n={len(latencies)}, key sent to the first frame "
        f"with the cursor moved); pilot.press round trip (waits for CPU idle, the worker's fetch "
        f"included): while refreshing median {statistics.median(pilot_round_trips) * 1000:.0f} ms, "
        f"idle median {statistics.median(idle) * 1000:.1f} ms"
    )

    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
    bench(
        "TUI 2,000 groups: UI-thread time per refresh",
        f"{statistics.median(syncs) * 1000:.1f} ms",
        "<= 100 ms",
        f"{unchanged * 1000:.1f} ms with nothing changed",
    )
    bench(
        "TUI 2,000 groups: key-press to repaint while refreshing",
        f"p95 {p95 * 1000:.0f} ms",
        "p95 < 50 ms",
        f"idle median {statistics.median(idle) * 1000:.0f} ms",
    )
    bench("TUI 2,000 groups: peak memory (test process)", f"{peak:.0f} MiB", "< 300 MB")


async def _key_to_paint(app: Any, table: Any, key: str) -> float:
    """Seconds from a key event reaching the app to the first frame that shows its effect."""
    from textual import events

    row = table.cursor_row
    shown = asyncio.Event()
    display = app._display

    def hooked(screen: Any, update: Any) -> None:
        display(screen, update)
        if update is not None and not app._batch_count and table.cursor_row != row:
            shown.set()

    app._display = hooked
    started = time.perf_counter()
    app._driver.send_message(events.Key(key, None))  # what Pilot.press sends
    try:
        await asyncio.wait_for(shown.wait(), 10)
    finally:
        del app._display  # the class's own method again
    return time.perf_counter() - started


def _reset_peak() -> None:
    """Restart the peak RSS count here: the test process ran other tests before this one
    (Linux: writing 5 to clear_refs resets VmHWM)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _timed(call: object) -> float:
    started = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - started
