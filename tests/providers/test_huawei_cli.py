"""Issue 6's acceptance for Huawei: the CLI on a huawei profile against the Huawei emulator.

The emulator serves the paused sim world of the ``sim`` profile in the same SCALECTL_HOME, so the
``hw`` profile (real huaweicloudsdk* clients over HTTP) and the ``sim`` profile see one world.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huawei_fixtures import AK, PROJECT_ID, SK

from scalectl.config import Profile
from tests.cli.helpers import run

pytest.importorskip("scalectl_sim.provider")

CONFIG = """\
default_profile = "sim"

[profiles.sim]
provider = "sim"
speed = 0

[profiles.hw]
provider = "huawei"
region = "cn-north-4"
project_id = "{project_id}"
endpoint = "{endpoint}"
timeout_s = 5
max_retries = 1
"""
GROUP_KEYS = {"id", "name", "provider", "region", "min", "max", "desired", "in_service", "status"}


@pytest.fixture
def hw(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The sim world served as Huawei; returns the endpoint."""
    from scalectl_sim.provider import SimProvider
    from scalectl_sim.serve.huawei import make_server

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))  # the SDK writes ~/.huaweicloud/application_id
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    profile = Profile(name="sim", provider="sim", region="sim-local-1", speed=0)
    reader = SimProvider().open_reader(profile)
    writer = SimProvider().open_writer(profile, reader)
    server = make_server(reader, writer, access_key_id=AK, access_key_secret=SK).start()
    config = CONFIG.format(endpoint=server.endpoint, project_id=PROJECT_ID)
    (home / "config.toml").write_text(config)
    try:
        yield server.endpoint
    finally:
        server.stop()
        reader.close()


def both(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[Any, Any]:
    ours = run(capsys, "--profile", "hw", *args, "-o", "json")
    assert ours.code == 0, ours.err
    theirs = run(capsys, "--profile", "sim", *args, "-o", "json")
    assert theirs.code == 0, theirs.err
    return ours.json(), theirs.json()


def test_groups_list_and_show_agree(hw: str, capsys: pytest.CaptureFixture[str]) -> None:
    ours, theirs = both(capsys, "groups", "list")
    assert {g["name"]: g["desired"] for g in ours} == {g["name"]: g["desired"] for g in theirs}
    assert all(set(g) == set(theirs[0]) and set(g) >= GROUP_KEYS for g in ours)
    assert {g["provider"] for g in ours} == {"huawei"}
    shown, sim_shown = both(capsys, "groups", "show", "web")
    assert set(shown) == set(sim_shown)
    live = [i for i in sim_shown["instances"] if i["state"] != "terminated"]
    assert len(shown["instances"]) == len(live)


def test_balancers_alarms_activity_lists(hw: str, capsys: pytest.CaptureFixture[str]) -> None:
    balancers, sim_balancers = both(capsys, "balancers", "list")
    assert {b["name"] for b in balancers} == {b["name"] for b in sim_balancers}
    assert set(balancers[0]) == set(sim_balancers[0])
    alarms, sim_alarms = both(capsys, "alarms", "list")
    sim_states = {a["name"]: a["state"] for a in sim_alarms}
    # Huawei shows user alarms and the alarms of the policies it can express; target-tracking
    # and step alarms have no Cloud Eye counterpart.
    assert {a["name"]: a["state"] for a in alarms}.items() <= sim_states.items()
    users = {a["name"] for a in sim_alarms if a["managed_by"] == "user" and a["kind"] == "metric"}
    assert users <= {a["name"] for a in alarms}
    assert set(alarms[0]) == set(sim_alarms[0])
    acts, sim_acts = both(capsys, "activity", "list")
    assert [a["cause"] for a in acts] == [a["cause"] for a in sim_acts]
    assert set(acts[0]) == set(sim_acts[0])


def test_rules_export_plan_apply(
    hw: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exported = run(capsys, "--profile", "hw", "rules", "export")
    assert exported.code == 0, exported.err
    assert 'name = "cpu-high-add-2"' in exported.out
    path = tmp_path / "hw.toml"
    path.write_text(exported.out)
    plan = run(capsys, "--profile", "hw", "rules", "plan", "-f", str(path))
    assert plan.code == 0 and plan.out.strip() == "no changes", plan.out + plan.err
    applied = run(
        capsys, "--profile", "hw", "rules", "apply", "-f", str(path), "--yes", "-o", "json"
    )
    assert applied.code == 0, applied.err
    assert applied.json()["applied"] == []


def test_scale_is_seen_by_the_sim_profile(hw: str, capsys: pytest.CaptureFixture[str]) -> None:
    web = run(capsys, "--profile", "sim", "groups", "show", "web", "-o", "json").json()
    target = web["desired"] + 1 if web["desired"] < web["max"] else web["desired"] - 1
    scaled = run(capsys, "--profile", "hw", "scale", "web", "--to", str(target), "--yes")
    assert scaled.code == 0, scaled.err
    after = run(capsys, "--profile", "sim", "groups", "show", "web", "-o", "json").json()
    assert after["desired"] == target


def test_wrong_secret_exits_4_with_code_and_request_id(
    hw: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "definitely-wrong-secret")
    result = run(capsys, "--profile", "hw", "groups", "list", "-o", "json")
    assert result.code == 4
    assert "APIGW.0301" in result.err and "request id" in result.err
    assert "definitely-wrong-secret" not in result.err + result.out
    assert result.err.count("\n") == 1
