"""Issue 8, point 1 for the embedded sim: it has no network, so its one fault is a broken state
file. The CLI must say so in one line (exit 4), not fail as an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.config import resolve_paths
from tests.cli.helpers import run


def test_a_corrupt_sim_state_file_is_one_line_exit_4(
    paused_sim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "groups", "list").code == 0
    for db in resolve_paths().state_dir.glob("*.db*"):
        db.write_bytes(b"this is not a database" * 50)
    result = run(capsys, "groups", "list")
    lines = result.err.strip().splitlines()
    assert result.code == 4 and len(lines) == 1 and "sim" in lines[0], result.err
