"""Issue 8, point 7: one TUI and four CLI processes scale the same sim world at once: no update is
lost, nothing is corrupted (audit chain intact, SQLite integrity ok), and the final desired
capacity is the last write the audit log records."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.core.audit import AuditLog
from scalectl.tui.app import ScalectlApp
from scalectl.tui.screens.scale import ScaleRequest
from tests.tui.conftest import wait_for, wait_for_data

ROUNDS = 4  # scales per CLI process (values 3..18, the TUI's 19..21: within the step limit)
CLI = "import sys; from scalectl.cli.main import main; main(sys.argv[1:])"


def _cli_worker(k: int) -> subprocess.Popen[bytes]:
    # Each process writes its own values, so every write is recognisable in the audit log.
    script = "; ".join(
        f"subprocess.run([sys.executable, '-c', {CLI!r}, 'scale', 'web', '--to', "
        f"'{3 + k * ROUNDS + i}', '--yes'], check=True, capture_output=True)"
        for i in range(ROUNDS)
    )
    return subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys; " + script],
        env={**os.environ},
        stderr=subprocess.PIPE,
    )


async def test_one_tui_and_four_cli_processes(paused_sim: Path) -> None:
    paths = resolve_paths()
    console = open_console(pick_profile(load_settings(paths), "sim"), paths)
    console.reader.list_groups()  # the world exists before the processes race to open it
    app = ScalectlApp(
        console=console,
        profile_name="sim",
        provider="sim",
        region="sim-local-1",
        interval=0.2,
        clock=lambda: 1000.0,
    )
    tui_targets = [19, 20, 21]
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        workers = [_cli_worker(k) for k in range(4)]
        for target in tui_targets:
            app.scale_requested(ScaleRequest("web", str(target), "tui", False))
            await pilot.pause(0.05)
        for worker in workers:
            _, err = worker.communicate(timeout=240)
            assert worker.returncode == 0, err.decode()[-2000:]

        def tui_done() -> bool:
            entries = AuditLog(paths.audit_log).entries()
            return sum(1 for e in entries if e["reason"] == "tui") == len(tui_targets)

        await wait_for(pilot, tui_done, "the TUI's three scales audited", tries=3000)
    log = AuditLog(paths.audit_log)
    report = log.verify()
    assert report.ok, report.message
    scales = [e for e in log.entries() if e["action"] == "scale"]
    assert len(scales) == 4 * ROUNDS + len(tui_targets)  # every attempt recorded, none lost
    assert {e["result"] for e in scales} == {"ok"}
    final = open_console(pick_profile(load_settings(paths), "sim"), paths).reader.get_group("web")
    assert final.desired == scales[-1]["params"]["desired"]  # the last write wins, intact
    for db in paths.state_dir.glob("*.db"):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
