"""The CLI must not pay for what it does not use: no Textual, no cloud SDK on the hot path."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "textual",
    "boto3",
    "botocore",
    "aliyunsdkcore",
    "tencentcloud",
    "huaweicloudsdkcore",
    "plotext",
    "scalectl.tui",
)

PROBE = """
import json, sys
args, watched = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["scalectl", *args]
from scalectl.cli.main import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted({m.split('.')[0] if not m.startswith('scalectl.tui') else 'scalectl.tui'
                for m in sys.modules} & watched)
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
sys.stderr.write(f"CODE={code}\\n")
"""


def imported_heavy(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr
    assert "CODE=0" in proc.stderr, proc.stderr
    return list(json.loads(line[-1].removeprefix("HEAVY=")))


def test_importing_the_cli_imports_no_ui_and_no_sdk() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, scalectl.cli.main; print(sorted(m for m in sys.modules if m.split('.')[0] "
            f"in {set(HEAVY)!r} or m.startswith('scalectl.tui')))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "[]"


def test_version_imports_nothing_heavy() -> None:
    assert imported_heavy("--version") == []
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, scalectl.cli.main; print(int('pydantic' in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "0"


def test_sim_commands_import_no_cloud_sdk_and_no_textual(paused_sim: object) -> None:
    assert imported_heavy("groups", "list", "-o", "json") == []
    assert imported_heavy("audit", "verify") == []
