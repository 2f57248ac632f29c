"""Issue 6's acceptance for Tencent: the CLI on a tencent profile against `sim serve --api tencent`.

The emulator serves the paused sim world of the ``sim`` profile in the same SCALECTL_HOME, so the
``tc`` profile (through the real SDK over HTTP) and the ``sim`` profile see one world.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tencent_fixtures import sim_served_as_tencent

from tests.cli.helpers import run

GROUP_KEYS = {"id", "name", "provider", "region", "min", "max", "desired", "in_service", "status"}


@pytest.fixture
def tc(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with sim_served_as_tencent(home, monkeypatch) as endpoint:
        yield endpoint


def both(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[Any, Any]:
    ours = run(capsys, "--profile", "tc", *args, "-o", "json")
    assert ours.code == 0, ours.err
    theirs = run(capsys, "--profile", "sim", *args, "-o", "json")
    assert theirs.code == 0, theirs.err
    return ours.json(), theirs.json()


def test_groups_list_and_show_agree(tc: str, capsys: pytest.CaptureFixture[str]) -> None:
    ours, theirs = both(capsys, "groups", "list")
    assert {g["name"]: g["desired"] for g in ours} == {g["name"]: g["desired"] for g in theirs}
    assert all(set(g) == set(theirs[0]) and set(g) >= GROUP_KEYS for g in ours)
    assert {g["provider"] for g in ours} == {"tencent"}
    shown, sim_shown = both(capsys, "groups", "show", "web")
    assert set(shown) == set(sim_shown)
    assert len(shown["instances"]) == len(sim_shown["instances"])


def test_balancers_alarms_activity_lists(tc: str, capsys: pytest.CaptureFixture[str]) -> None:
    balancers, sim_balancers = both(capsys, "balancers", "list")
    assert {b["name"] for b in balancers} == {b["name"] for b in sim_balancers}
    assert set(balancers[0]) == set(sim_balancers[0])
    alarms, sim_alarms = both(capsys, "alarms", "list")
    # Cloud Monitor has no composite or predictive alarms: the sim's metric alarms show.
    metric_alarms = {a["name"]: a["state"] for a in sim_alarms if a["kind"] == "metric"}
    assert {a["name"]: a["state"] for a in alarms} == metric_alarms
    assert set(alarms[0]) == set(sim_alarms[0])
    acts, sim_acts = both(capsys, "activity", "list")
    assert [a["cause"] for a in acts] == [a["cause"] for a in sim_acts]
    assert set(acts[0]) == set(sim_acts[0])


def test_rules_export_plan_apply(
    tc: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exported = run(capsys, "--profile", "tc", "rules", "export")
    assert exported.code == 0, exported.err
    path = tmp_path / "tc.toml"
    path.write_text(exported.out)
    plan = run(capsys, "--profile", "tc", "rules", "plan", "-f", str(path))
    assert plan.code == 0 and plan.out.strip() == "no changes", plan.out + plan.err
    applied = run(
        capsys, "--profile", "tc", "rules", "apply", "-f", str(path), "--yes", "-o", "json"
    )
    assert applied.code == 0, applied.err
    assert applied.json()["applied"] == []


def test_scale_is_seen_by_the_sim_profile(tc: str, capsys: pytest.CaptureFixture[str]) -> None:
    web = run(capsys, "--profile", "sim", "groups", "show", "web", "-o", "json").json()
    target = web["desired"] + 1 if web["desired"] < web["max"] else web["desired"] - 1
    scaled = run(capsys, "--profile", "tc", "scale", "web", "--to", str(target), "--yes")
    assert scaled.code == 0, scaled.err
    after = run(capsys, "--profile", "sim", "groups", "show", "web", "-o", "json").json()
    assert after["desired"] == target


def test_wrong_secret_exits_4_with_code_and_request_id(
    tc: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "definitely-wrong-secret")
    result = run(capsys, "--profile", "tc", "groups", "list", "-o", "json")
    assert result.code == 4
    assert "AuthFailure.SignatureFailure" in result.err and "request id" in result.err
    assert "definitely-wrong-secret" not in result.err + result.out
    assert result.err.count("\n") == 1
