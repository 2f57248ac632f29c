"""Benchmark: listing 250 groups (with instances) from one moto server, three ways, same run.

- ``scalectl --profile local-aws -o json groups list`` (the CLI through the AWS adapter),
- a bare boto3 script that pages the same groups and prints them (the floor for Python + boto3),
- the same script on botocore's session (boto3's client without importing boto3: scalectl's way),
- ``aws autoscaling describe-auto-scaling-groups`` (the awscli package), default and page size 100.

Records wall times, API calls counted at the server and the ratios to boto3 and awscli. No time
assertions: only that each command succeeded and printed all the groups.

Every command runs with a warm bytecode cache (in a temp PYTHONPYCACHEPREFIX, one untimed run
first), as an installed program does; the harness may set PYTHONDONTWRITEBYTECODE, which makes
each run compile every module it imports, so scalectl and boto3 are also timed that way.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The moto harness and seed data live with the provider tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from aws_seed import FAKE_KEY_ID, FAKE_SECRET, REGION, MotoServer, seed_many

pytestmark = pytest.mark.benchmark

GROUPS = 250
RUNS = 3
BIN = Path(sys.executable).parent

BOTO3_SCRIPT = """
import json, sys, boto3
client = boto3.client("autoscaling", endpoint_url=sys.argv[1], region_name=sys.argv[2])
groups = []
for page in client.get_paginator("describe_auto_scaling_groups").paginate(
        PaginationConfig={"PageSize": 100}):
    groups.extend(page["AutoScalingGroups"])
print(json.dumps(groups, default=str))
"""

# The same through botocore's session (what boto3.client wraps, without importing boto3 and
# s3transfer): the stricter floor, since scalectl makes its clients this way. Printed beside.
BOTOCORE_SCRIPT = BOTO3_SCRIPT.replace(
    "import json, sys, boto3\nclient = boto3.client(",
    "import json, sys, botocore.session\nclient = botocore.session.Session().create_client(",
)


def _env(home: Path, *, bytecode: bool = True) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        AWS_ACCESS_KEY_ID=FAKE_KEY_ID,
        AWS_SECRET_ACCESS_KEY=FAKE_SECRET,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_PAGER="",
        NO_PROXY="127.0.0.1,localhost",
        SCALECTL_HOME=str(home),
    )
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    else:
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _cli_has_groups(env: dict[str, str]) -> bool:
    scalectl = BIN / "scalectl"
    if not scalectl.exists():
        return False
    out = subprocess.run(
        [str(scalectl), "--help"], capture_output=True, text=True, env=env, check=False
    )
    return out.returncode == 0 and "groups" in out.stdout


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    moto = MotoServer().start()
    moto.reset()
    seed_many(moto.endpoint, GROUPS, instances=1)
    yield moto
    moto.stop()


def _count_groups(stdout: str) -> int:
    data: Any = json.loads(stdout)
    if isinstance(data, dict):
        data = data.get("AutoScalingGroups", data.get("groups", data))
    return len(data)


def _measure(
    server: MotoServer, command: list[str], env: dict[str, str], runs: int = RUNS
) -> dict[str, Any]:
    if "PYTHONPYCACHEPREFIX" in env:  # one untimed run fills the bytecode cache
        subprocess.run(command, capture_output=True, env=env, check=False)
    times = []
    calls = 0
    for _ in range(runs):
        server.log.clear()
        start = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        assert out.returncode == 0, out.stderr[-2000:]
        assert _count_groups(out.stdout) == GROUPS
        calls = len(server.log.calls)
    return {"best": min(times), "median": statistics.median(times), "calls": calls}


def test_bench_groups_list_against_awscli(
    server: MotoServer, tmp_path: Path, bench: Callable[..., None]
) -> None:
    env = _env(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "local-aws"\n[profiles.local-aws]\nprovider = "aws"\n'
        f'region = "{REGION}"\nendpoint = "{server.endpoint}"\n'
    )
    aws = [
        str(BIN / "aws"),
        "autoscaling",
        "describe-auto-scaling-groups",
        "--endpoint-url",
        server.endpoint,
        "--region",
        REGION,
        "--output",
        "json",
    ]
    boto3_script = [sys.executable, "-c", BOTO3_SCRIPT, server.endpoint, REGION]
    scalectl = [
        str(BIN / "scalectl"),
        "--config",
        str(config),
        "--profile",
        "local-aws",
        "-o",
        "json",
        "groups",
        "list",
    ]
    commands: dict[str, list[str]] = {
        "aws autoscaling describe-auto-scaling-groups": aws,
        "aws ... --page-size 100": [*aws, "--page-size", "100"],
        "bare boto3 script (PageSize 100)": boto3_script,
        "bare botocore script (PageSize 100)": [
            sys.executable,
            "-c",
            BOTOCORE_SCRIPT,
            server.endpoint,
            REGION,
        ],
    }
    if _cli_has_groups(env):
        commands["scalectl groups list -o json"] = scalectl
    results = {name: _measure(server, command, env) for name, command in commands.items()}
    floor = results["bare boto3 script (PageSize 100)"]["median"]
    botocore_floor = results["bare botocore script (PageSize 100)"]["median"]
    awscli = results["aws autoscaling describe-auto-scaling-groups"]["median"]
    for name, result in results.items():
        bench(
            f"AWS {GROUPS} groups: {name} (median of {RUNS})",
            f"{result['median']:.2f} s",
            "<= 1.1x boto3" if name.startswith("scalectl") else "",
            f"{result['median'] / floor:.2f}x boto3, "
            f"{result['median'] / botocore_floor:.2f}x botocore, "
            f"{result['median'] / awscli:.2f}x awscli, {result['calls']} calls",
        )
    if "scalectl groups list -o json" not in results:
        bench("AWS: scalectl groups list", "skipped", "", "`scalectl --help` has no `groups`")
        return
    # The same two without a bytecode cache (how this harness runs Python by default).
    cold_env = _env(tmp_path, bytecode=False)
    cold = {
        name: _measure(server, command, cold_env, runs=2)["best"]
        for name, command in (("boto3", boto3_script), ("scalectl", scalectl))
    }
    bench(
        "AWS: scalectl groups list, no bytecode cache (best of 2)",
        f"{cold['scalectl']:.2f} s",
        "",
        f"boto3 script {cold['boto3']:.2f} s ({cold['scalectl'] / cold['boto3']:.2f}x)",
    )
