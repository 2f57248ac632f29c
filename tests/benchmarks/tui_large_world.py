"""The 2,000-group TUI benchmark's own process (``test_bench_tui.py`` runs it): the TUI as a user
runs it, while other processes (``scalectl sim advance``) change the world, so its memory and its
pauses are the TUI's alone. Prints one JSON object of figures on stdout.

By hand, with SCALECTL_HOME set to a home whose default profile is the large world:
``python -m tests.benchmarks.tui_large_world``.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from textual import events

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable

CHANGED_ROUNDS = 8  # refreshes after another process advanced the world one simulated minute
UNCHANGED_KEYS = 20  # key presses while a refresh with nothing new runs


async def measure() -> dict[str, Any]:
    rss_before = rss_mib()
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), None)
    app = ScalectlApp(
        console=open_console(profile, paths),
        profile_name=profile.name,
        provider="sim",
        region=profile.region,
        interval=3600.0,
        clock=lambda: 1000.0,
    )
    out: dict[str, Any] = {"rss_before_mib": rss_before}
    async with app.run_test(size=(200, 50)) as pilot:
        while app.snapshot is None or app.chart is None:
            await pilot.pause(0.01)
        groups = app.query_one("#groups", KeyedTable)
        assert groups.row_count == 2000
        out["columns"] = len(groups.columns)
        out["unchanged_apply_s"] = timed(lambda: app.apply(app.snapshot))

        async def refresh(key: bool) -> float | None:
            """One poll; with ``key``, a key press sent as it starts (None otherwise)."""
            polls = app.polls
            app.action_refresh()
            latency = await key_to_paint(app, groups, "down") if key else None
            while app.polls == polls:
                await pilot.pause(0.005)
            return latency

        fetches, syncs, written, changed_keys = [], [], [], []
        for _ in range(CHANGED_ROUNDS):
            await advance_elsewhere("1m")
            await pilot.pause(0.2)  # the screen is idle again, as between a user's key presses
            changed_keys.append(await refresh(key=True))
            assert app.snapshot is not None
            fetches.append(app.snapshot.took_s)
            written.append(groups.updates)
            syncs.append(app.last_apply_s)
        out.update(fetch_s=fetches, apply_s=syncs, written=written, changed_keys_s=changed_keys)
        await refresh(key=False)
        out["unchanged_poll_apply_s"] = app.last_apply_s
        out["rss_on_screen_mib"] = rss_mib()

        idle = []
        for _ in range(5):
            started = time.perf_counter()
            await pilot.press("down")
            idle.append(time.perf_counter() - started)
        unchanged_keys, round_trips = [], []
        for index in range(UNCHANGED_KEYS):
            polls = app.polls
            app.action_refresh()  # a refresh is in flight while the key is handled
            if index % 2:
                unchanged_keys.append(await key_to_paint(app, groups, "down"))
            else:
                # Pilot.press also waits until the whole process is idle (the worker's fetch
                # included): printed for comparison, not the figure.
                started = time.perf_counter()
                await pilot.press("down")
                round_trips.append(time.perf_counter() - started)
                unchanged_keys.append(await key_to_paint(app, groups, "down"))
            while app.polls == polls:
                await pilot.pause(0.005)
        out.update(unchanged_keys_s=unchanged_keys, round_trips_s=round_trips, idle_s=idle)
    out["peak_mib"] = peak_mib()
    return out


async def advance_elsewhere(duration: str) -> None:
    """``scalectl sim advance`` in its own process; this one's event loop keeps running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scalectl.cli.main",
        "sim",
        "advance",
        duration,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def key_to_paint(app: Any, table: Any, key: str) -> float:
    """Seconds from a key event reaching the app to the first frame that shows its effect."""
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


def peak_mib() -> float:
    """This process's peak resident memory over its whole life (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    assert os.environ.get("SCALECTL_HOME"), "run with SCALECTL_HOME set to a home with the world"
    print(json.dumps(asyncio.run(measure())))
