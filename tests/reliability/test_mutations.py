"""Issue 8, point 2: a retry never runs an action twice; an action cut off half-way is audited as
``interrupted``; ``rules apply`` stops at the first failure, says what it applied, and converges.

The reply of a mutation is lost after the cloud carried it out (fault ``lost``): the only way a
retry could double it. Alibaba's ExecuteScalingRule takes a ClientToken, so the adapter retries
with the same token and ESS answers with the first activity; Tencent's and Huawei's execute calls
have no token, so the adapter does not retry them and the Console audits them as interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.core.audit import AuditLog
from scalectl.core.console import Console
from scalectl.core.errors import ProviderError
from tests.cli.helpers import run
from tests.reliability.worlds import CLOUDS, Served, serve

GROUP, RULE, STEP = "worker", "cpu-high-add-2", 2
EXECUTE = {
    "alibaba": "ExecuteScalingRule",
    "tencent": "ExecuteScalingPolicy",
    "huawei": "ScalingPolicyAction",
}
SET_DESIRED = {
    "alibaba": "ModifyScalingGroup",
    "tencent": "ModifyDesiredCapacity",
    "huawei": "UpdateScalingGroup",
}


def _console(profile: str = "") -> Console:
    paths = resolve_paths()
    return open_console(pick_profile(load_settings(paths), profile or None), paths)


def _desired(served: Served, group: str = GROUP) -> int:
    return int(served.sim_reader.get_group(group).desired)


def _last_audit() -> dict[str, Any]:
    return list(AuditLog(resolve_paths().audit_log).entries())[-1]


@pytest.fixture(params=CLOUDS)
def cloud(request: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with serve(request.param, home, monkeypatch) as served:
        yield served


def test_a_lost_execute_reply_never_runs_the_rule_twice(cloud: Served) -> None:
    console = _console(cloud.provider)
    before = _desired(cloud)
    cloud.reset_calls()
    cloud.inject("lost", count=1, action=EXECUTE[cloud.provider])
    if cloud.provider == "alibaba":
        console.execute_rule(GROUP, RULE, confirmed=True, honor_cooldown=False)
        assert cloud.calls()[EXECUTE["alibaba"]] == 2  # retried, with the same ClientToken
        assert _last_audit()["result"] == "ok"
    else:
        with pytest.raises(ProviderError):
            console.execute_rule(GROUP, RULE, confirmed=True, honor_cooldown=False)
        assert cloud.calls()[EXECUTE[cloud.provider]] == 1  # no token: never retried
        entry = _last_audit()
        assert (entry["action"], entry["result"]) == ("execute_rule", "interrupted")
        assert entry["target"] == f"{GROUP}/{RULE}"
    assert _desired(cloud) == before + STEP  # ran exactly once


def test_a_throttled_execute_is_retried_once_and_runs_once(cloud: Served) -> None:
    console = _console(cloud.provider)
    before = _desired(cloud)
    cloud.reset_calls()
    cloud.inject("throttle", count=1, action=EXECUTE[cloud.provider])
    console.execute_rule(GROUP, RULE, confirmed=True, honor_cooldown=False)
    assert cloud.calls()[EXECUTE[cloud.provider]] == 2  # refused unrun, so safe to retry
    assert _desired(cloud) == before + STEP


def test_a_lost_scale_reply_is_retried_safely(cloud: Served) -> None:
    """Setting an absolute desired capacity is idempotent: retrying it cannot overshoot."""
    console = _console(cloud.provider)
    target = _desired(cloud, "web") + 3
    cloud.reset_calls()
    cloud.inject("lost", count=1, action=SET_DESIRED[cloud.provider])
    console.scale("web", f"{target}", confirmed=True)
    assert cloud.calls()[SET_DESIRED[cloud.provider]] == 2
    assert _desired(cloud, "web") == target
    assert _last_audit()["result"] == "ok"


def test_a_timeout_on_a_write_is_audited_as_interrupted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve("tencent", home, monkeypatch) as served:
        console = _console("tencent")
        served.inject("slow", count=-1, action=EXECUTE["tencent"], delay_s=3.0)
        with pytest.raises(ProviderError) as caught:
            console.execute_rule(GROUP, RULE, confirmed=True, honor_cooldown=False)
        served.clear()
        entry = _last_audit()
        assert entry["result"] == "interrupted" and entry["reason"] == str(caught.value)


class _CtrlCAfter:
    """The real writer; Ctrl-C arrives right after the request went out."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._writer, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            real(*args, **kwargs)
            raise KeyboardInterrupt

        return call


def test_ctrl_c_during_a_write_is_audited_as_interrupted(paused_sim: Path) -> None:
    console = _console()
    console._writer = _CtrlCAfter(console._writer)
    with pytest.raises(KeyboardInterrupt):
        console.scale("web", "+1", confirmed=True)
    entry = _last_audit()
    assert (entry["action"], entry["result"]) == ("scale", "interrupted")
    assert AuditLog(resolve_paths().audit_log).verify().ok


def _rule(name: str, group: str, threshold: float) -> str:
    return (
        f'\n[[rules]]\nname = "{name}"\ngroup = "{group}"\nkind = "simple"\n'
        f'comparison = ">"\nthreshold = {threshold}\nevaluation_periods = 3\n'
        "adjustment = 1\ncooldown_s = 300\n"
    )


NEW_RULES = _rule("rel-a", "web", 91.0) + _rule("rel-b", "api", 92.0) + _rule("rel-c", "cart", 93.0)
CREATE = {
    "alibaba": "CreateScalingRule",
    "tencent": "CreateScalingPolicy",
    "huawei": "CreateScalingPolicy",
}


def test_rules_apply_stops_at_the_first_failure_then_converges(
    cloud: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = run(capsys, "--profile", cloud.provider, "rules", "export")
    assert exported.code == 0, exported.err
    wanted = tmp_path / "rules.toml"
    wanted.write_text(exported.out + NEW_RULES)  # what is there, and three new rules
    argv = ("--profile", cloud.provider, "rules", "apply", "-f", str(wanted), "--yes")
    cloud.inject("5xx", count=-1, action=CREATE[cloud.provider], after=1)
    first = run(capsys, *argv, "-o", "json")
    cloud.clear()
    assert first.code == 4, first.err
    report = first.json()
    assert len(report["applied"]) == 1 and report["failed"] is not None
    assert "1 change(s) applied before it" in first.err
    names = {r.name for r in cloud.sim_reader.list_rules() if r.name.startswith("rel-")}
    assert names == {report["applied"][0]["name"]}  # nothing after the failure was tried
    failed = [e for e in AuditLog(resolve_paths().audit_log).entries() if e["result"] == "failed"]
    assert failed and failed[-1]["action"] == "put_rule"
    second = run(capsys, *argv, "-o", "json")
    assert second.code == 0, second.err
    assert len(second.json()["applied"]) == 2
    third = run(capsys, *argv, "-o", "json")
    assert third.code == 0 and third.json()["applied"] == []
    names = {r.name for r in cloud.sim_reader.list_rules() if r.name.startswith("rel-")}
    assert names == {"rel-a", "rel-b", "rel-c"}
