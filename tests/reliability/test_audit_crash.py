"""Issue 8, point 3: the audit log survives writers killed at any point (kill -9 in a loop) and
cut-short writes (a torn line), and concurrent writers never interleave their lines."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from scalectl.core.audit import Actor, AuditLog

# A writer that appends entries (some larger than a pipe buffer) until it is killed.
WRITER = """
import sys
from pathlib import Path
from scalectl.core.audit import Actor, AuditLog
log, actor = AuditLog(Path(sys.argv[1])), Actor("rel", "host")
tag, n = sys.argv[2], int(sys.argv[3])
for i in range(n):
    log.append(actor=actor, profile="sim", provider="sim", action="scale", target=tag,
               params={"i": i, "pad": "x" * (9000 if i % 3 == 0 else 40)}, result="ok")
"""
KILLS = 12


def _spawn(path: Path, tag: str, n: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(n)])


def _lines(path: Path) -> int:
    """Entries written (blank lines, which keep entries inside one page, are not entries)."""
    if not path.exists():
        return 0
    return sum(1 for line in path.read_bytes().split(b"\n")[:-1] if line.strip())


def _wait_for_growth(path: Path, proc: subprocess.Popen[bytes], beyond: int) -> None:
    while _lines(path) <= beyond and proc.poll() is None:
        time.sleep(0.001)  # waiting on a condition (the file grew), not a fixed delay


def test_kill_minus_9_in_a_loop_never_tears_a_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    rng = random.Random(8)
    for round_ in range(KILLS):
        proc = _spawn(path, f"round-{round_}", 100_000)
        _wait_for_growth(path, proc, _lines(path) + rng.randint(0, 30))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        report = AuditLog(path).verify()
        assert report.ok, report.message
        assert report.entries == _lines(path)
        if not path.read_bytes().endswith(b"\n"):  # killed inside a line longer than a page
            assert "incomplete last line" in report.message
    # The next writer sets any fragment aside: the log holds only whole, chained entries.
    proc = _spawn(path, "final", 1)
    assert proc.wait(timeout=60) == 0
    report = AuditLog(path).verify()
    assert report.ok and path.read_bytes().endswith(b"\n"), report.message
    assert report.entries == _lines(path) >= KILLS


def test_a_torn_line_keeps_every_other_entry_verifiable(tmp_path: Path) -> None:
    """A write cut short (power loss): the entries before and after it still verify."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    actor = Actor("rel", "host")
    rng = random.Random(3)
    whole = 0
    for _cut in range(6):
        for _ in range(3):
            log.append(
                actor=actor,
                profile="p",
                provider="sim",
                action="a",
                target="t",
                params={},
                result="ok",
            )
            whole += 1
        data = path.read_bytes()
        last_start = data.rstrip(b"\n").rfind(b"\n") + 1
        # Cut the last entry somewhere inside it: it is lost, the others must all verify.
        path.write_bytes(data[: rng.randint(last_start + 1, len(data) - 2)])
        whole -= 1
        report = log.verify()
        assert report.ok and "incomplete last line" in report.message
        assert report.entries == whole, report.message
    log.append(
        actor=actor, profile="p", provider="sim", action="a", target="t", params={}, result="ok"
    )
    report = log.verify()
    assert report.ok and report.entries == whole + 1, report.message
    # Nothing is lost: every cut-short fragment is kept in the side file, one per line.
    assert len(log.torn_path.read_bytes().splitlines()) == 6


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    procs = [_spawn(path, f"writer-{k}", 60) for k in range(4)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    log = AuditLog(path)
    report = log.verify()
    assert report.ok, report.message
    assert report.entries == 240 == _lines(path)
    per_writer = {f"writer-{k}": [] for k in range(4)}  # type: dict[str, list[int]]
    for entry in log.entries():
        per_writer[entry["target"]].append(entry["params"]["i"])
    assert all(seen == list(range(60)) for seen in per_writer.values())
