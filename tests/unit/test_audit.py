from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from scalectl.core.audit import GENESIS, Actor, AuditLog

ACTOR = Actor(user="ops", host="box", identity="acct-1")


def add(log: AuditLog, n: int, action: str = "scale") -> None:
    for i in range(n):
        log.append(
            actor=ACTOR,
            profile="sim",
            provider="sim",
            action=action,
            target=f"web{i}",
            params={"desired": i},
            result="ok",
            request_ids=(f"req-{i}",),
        )


def test_chain_verifies_and_links(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    add(log, 3)
    entries = list(log.entries())
    assert entries[0]["prev"] == GENESIS
    assert entries[1]["prev"] == entries[0]["hash"]
    assert entries[0]["actor"] == {"user": "ops", "host": "box", "identity": "acct-1"}
    report = log.verify()
    assert report.ok and report.entries == 3


def test_edited_line_is_named(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    add(log, 4)
    lines = log.path.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["params"]["desired"] = 99
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    log.path.write_text("\n".join(lines) + "\n")
    report = log.verify()
    assert not report.ok and report.line == 3 and "edited" in report.message


def test_removed_and_reordered_lines_are_named(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    add(log, 4)
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    report = log.verify()
    assert not report.ok and report.line == 2 and "chain broken" in report.message
    log.path.write_text("\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n")
    assert log.verify().line == 2


def test_torn_line_then_new_entries(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    add(log, 2)
    with log.path.open("ab") as handle:
        handle.write(b'{"time": "2026-11-11T00:00:00+00:00", "act')
    report = log.verify()
    assert report.ok and report.line == 3 and "incomplete last line" in report.message
    add(log, 1)  # the next writer sets the fragment aside and chains from the last whole entry
    entries = list(log.entries())
    assert len(entries) == 3 and entries[2]["prev"] == entries[1]["hash"]
    assert log.verify().ok and log.path.read_bytes().endswith(b"\n")
    assert log.torn_path.read_bytes() == b'{"time": "2026-11-11T00:00:00+00:00", "act\n'


def _writer(path: str, n: int) -> None:
    add(AuditLog(Path(path)), n)


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 25)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    log = AuditLog(path)
    report = log.verify()
    assert report.ok, report.message
    assert report.entries == 75
