"""The Tencent adapter through the real tencentcloud SDK over HTTP against the Tencent emulator."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scalectl_tencent.provider import TencentProvider
from tencent_fixtures import (
    SECRET_KEY,
    Emulated,
    running_emulator,
    tencent_profile,
)

from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError
from scalectl.core.model import AlarmState, Algorithm, Health, InstanceState
from scalectl.core.rules import ScheduledRule, SimpleRule, StepRule, TargetTrackingRule


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    with running_emulator(monkeypatch, tmp_path) as em:
        yield em


def _fault(em: Emulated, kind: str, count: int, action: str = "", delay_s: float = 0) -> None:
    spec = {"kind": kind, "count": count, "action": action, "delay_s": delay_s}
    body = json.dumps(spec).encode()
    urllib.request.urlopen(urllib.request.Request(em.endpoint + "/__sim/faults", data=body))


def _calls(em: Emulated) -> dict[str, int]:
    with urllib.request.urlopen(em.endpoint + "/__sim/stats") as reply:
        return dict(json.loads(reply.read())["calls"])


def _open(em: Emulated, **extra: Any) -> tuple[Any, Any]:
    profile = tencent_profile(em.endpoint, **extra)
    reader = TencentProvider().open_reader(profile)
    # No real sleeping between retries in tests.
    reader.session._sleep = lambda _s: None
    return reader, TencentProvider().open_writer(profile, reader)


def test_groups_list_pages_to_the_end(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    groups = reader.list_groups()
    assert len(groups) == len(emulator.world.groups) == 233
    assert _calls(emulator)["DescribeAutoScalingGroups"] == 3  # Limit 100: 100 + 100 + 33
    web = next(g for g in groups if g.name == "web")
    assert web.id.startswith("asg-") and len(web.id) == 12
    assert (web.min, web.max, web.desired, web.in_service) == (1, 10, 3, 3)
    assert set(web.to_dict()) >= {
        "id",
        "name",
        "provider",
        "region",
        "min",
        "max",
        "desired",
        "in_service",
        "status",
    }


def test_group_show_with_instances_by_name_and_id(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    web = reader.get_group("web")
    assert len(web.instances) == 3
    assert all(i.id.startswith("ins-") for i in web.instances)
    assert {i.state for i in web.instances} == {InstanceState.IN_SERVICE}
    assert sorted(i.health.value for i in web.instances) == ["healthy", "healthy", "unhealthy"]
    assert sum(i.warming for i in web.instances) == 1
    assert reader.get_group(web.id).name == "web"
    with pytest.raises(NotFoundError):
        reader.get_group("nope")


def test_balancers_listeners_algorithm_backends(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    balancers = {b.name: b for b in reader.list_balancers()}
    assert set(balancers) == {"web-lb", "api-lb"}
    web = balancers["web-lb"]
    assert web.id.startswith("lb-") and web.group_ids == ("web",)
    (listener,) = web.listeners
    assert (listener.protocol, listener.port, listener.native_algorithm) == ("HTTP", 80, "WRR")
    assert listener.algorithm is Algorithm.WEIGHTED_ROUND_ROBIN
    assert balancers["api-lb"].listeners[0].native_algorithm == "LEAST_CONN"
    assert len(web.backends) == 3
    assert {b.health for b in web.backends} == {Health.HEALTHY, Health.UNHEALTHY}
    group_instances = {i.id for i in reader.get_group("web").instances}
    assert {b.id for b in web.backends} == group_instances


def test_alarms_with_state(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    alarms = {a.name: a for a in reader.list_alarms()}
    high = alarms["cpu-high-web"]
    assert high.state is AlarmState.ALARM and high.group == "web"
    assert (high.metric, high.comparison.value, high.threshold) == ("cpu", ">", 70.0)
    assert high.evaluation_periods == high.datapoints_to_alarm == 3
    assert alarms["mem-api"].state is AlarmState.OK


def test_activities(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    acts = reader.list_activities("web", limit=3)
    assert len(acts) == 3 and all(a.group == "web" for a in acts)
    assert acts[0].started_at >= acts[1].started_at
    assert acts[0].status.value == "successful" and acts[0].id.startswith("asa-")


def test_rules_export_then_put_back_is_a_no_op(emulator: Emulated) -> None:
    reader, writer = _open(emulator)
    before = sorted(reader.list_rules(), key=lambda r: (r.group, r.name))
    assert {type(r) for r in before} == {TargetTrackingRule, SimpleRule, ScheduledRule}
    nightly = next(r for r in before if r.name == "nightly")
    assert isinstance(nightly, ScheduledRule)
    assert (nightly.cron, nightly.timezone, nightly.start) == ("0 2 * * *", "Asia/Shanghai", None)
    world_before = sorted(emulator.world.rules, key=lambda r: (r.group, r.name))
    for rule in before:
        writer.put_rule(rule)
    after = sorted(reader.list_rules(), key=lambda r: (r.group, r.name))
    assert after == before
    assert sorted(emulator.world.rules, key=lambda r: (r.group, r.name)) == world_before


def test_put_new_rules_and_delete(emulator: Emulated) -> None:
    reader, writer = _open(emulator)
    rule = SimpleRule(
        name="api-in",
        group="api",
        metric="memory",
        comparison="<",
        threshold=20,
        period_s=300,
        evaluation_periods=5,
        adjustment_type="percent",
        adjustment=-25,
    )
    result = writer.put_rule(rule)
    assert result.native_id.startswith("asp-") and result.request_id
    # Tencent fills an unset Cooldown with its documented default, 300 s.
    assert rule.model_copy(update={"cooldown_s": 300}) in reader.list_rules("api")
    changed = rule.model_copy(update={"threshold": 15.0, "cooldown_s": 60})
    writer.put_rule(changed)
    assert changed in reader.list_rules("api")
    assert sum(r.name == "api-in" for r in reader.list_rules("api")) == 1
    writer.delete_rule("api", "api-in")
    # A UTC schedule is written in Beijing time (Tencent's schedule zone) and read back so.
    utc = ScheduledRule(name="utc-2am", group="api", cron="0 2 * * 1", min=2)
    writer.put_rule(utc)
    back = next(r for r in reader.list_rules("api") if r.name == "utc-2am")
    assert isinstance(back, ScheduledRule)
    assert (back.cron, back.timezone, back.min) == ("0 10 * * 1", "Asia/Shanghai", 2)
    late = ScheduledRule(name="utc-late", group="api", cron="0 20 * * 1", min=2)
    with pytest.raises(ProviderError, match="Beijing"):
        writer.put_rule(late)  # 20:00 UTC Monday is Tuesday in Beijing: not a plain shift
    assert all(r.name != "api-in" for r in reader.list_rules("api"))


def test_unsupported_rules_are_refused_with_the_reason(emulator: Emulated) -> None:
    reader, writer = _open(emulator)
    step = StepRule(
        name="s", group="web", comparison=">", threshold=60, steps=[{"lower": 0, "adjustment": 1}]
    )
    with pytest.raises(ProviderError) as info:
        writer.put_rule(step)
    assert info.value.kind is ErrorKind.INVALID and "no step scaling" in str(info.value)
    mofn = SimpleRule(
        name="m",
        group="web",
        comparison=">",
        threshold=60,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        adjustment=1,
    )
    with pytest.raises(ProviderError, match="consecutive"):
        writer.put_rule(mofn)
    assert "step" in reader.capabilities().unsupported


def test_scale_to_n_changes_the_world(emulator: Emulated) -> None:
    reader, writer = _open(emulator)
    result = writer.set_desired("web", 7, honor_cooldown=False, reason="test")
    assert result.request_id
    assert emulator.reader.get_group("web").desired == 7
    assert reader.get_group("web").desired == 7
    writer.set_bounds("web", min_size=2, max_size=8, desired=None)
    assert (emulator.reader.get_group("web").min, emulator.reader.get_group("web").max) == (2, 8)


def test_scale_outside_bounds_is_rejected(emulator: Emulated) -> None:
    _, writer = _open(emulator)
    with pytest.raises(ProviderError) as info:
        writer.set_desired("web", 50, honor_cooldown=False, reason="test")
    assert info.value.kind is ErrorKind.INVALID and info.value.code == "InvalidParameterValue.Size"
    assert info.value.request_id


def test_execute_and_suspend(emulator: Emulated) -> None:
    reader, writer = _open(emulator)
    result = writer.execute_rule("web", "web-scale-out", honor_cooldown=True)
    assert result.activity_id.startswith("asa-")
    assert emulator.writer.executed == [("web", "web-scale-out", True)]
    with pytest.raises(ProviderError, match="target tracking"):
        writer.execute_rule("web", "web-cpu50", honor_cooldown=False)
    writer.suspend("api")
    assert reader.get_group("api").suspended == ("all",)
    writer.resume("api")
    assert reader.get_group("api").suspended == ()
    with pytest.raises(ProviderError):
        writer.suspend("api", ["AlarmNotification"])


def test_metrics(emulator: Emulated) -> None:
    from datetime import timedelta

    reader, _ = _open(emulator)
    series = reader.metric_series("web", "cpu", timedelta(minutes=10))
    assert series.metric == "cpu" and len(series.points) == 10
    assert series.points[-1].value == 49.0
    with pytest.raises(ProviderError, match="no Cloud Monitor"):
        reader.metric_series("web", "latency_ms", timedelta(minutes=10))


def test_wrong_secret_is_auth_error_with_code_and_request_id(
    emulator: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "wrong-secret")
    reader, _ = _open(emulator)
    with pytest.raises(ProviderError) as info:
        reader.list_groups()
    err = info.value
    assert err.kind is ErrorKind.AUTH and err.code == "AuthFailure.SignatureFailure"
    assert err.request_id and "wrong-secret" not in str(err)
    assert err.exit_code == 4


def test_throttling_is_retried(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    _fault(emulator, "throttle", 2, "DescribeAutoScalingGroups")
    assert len(reader.list_groups()) == 233
    assert _calls(emulator)["DescribeAutoScalingGroups"] == 5  # 2 throttled + 3 pages


def test_5xx_beyond_retries_is_unavailable(emulator: Emulated) -> None:
    reader, _ = _open(emulator, max_retries=2)
    _fault(emulator, "5xx", 5, "DescribeAutoScalingGroups")
    with pytest.raises(ProviderError) as info:
        reader.list_groups()
    assert info.value.kind is ErrorKind.UNAVAILABLE
    assert _calls(emulator)["DescribeAutoScalingGroups"] == 3


def test_503_then_success(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    _fault(emulator, "503", 1)
    assert reader.get_group("web").name == "web"


def test_malformed_reply_is_a_normalized_error(emulator: Emulated) -> None:
    reader, _ = _open(emulator, max_retries=0)
    _fault(emulator, "malformed", 1)
    with pytest.raises(ProviderError) as info:
        reader.list_groups()
    assert info.value.kind is ErrorKind.MALFORMED, info.value


def test_no_secret_in_sdk_debug_logs(
    emulator: Emulated, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", "session-token-secret-value")
    reader, _ = _open(emulator)
    logging.getLogger("tencentcloud_sdk_common").setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG):
            reader.list_groups()
            with contextlib.suppress(NotFoundError):
                reader.get_group("nope")
    finally:
        logging.getLogger("tencentcloud_sdk_common").setLevel(logging.NOTSET)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "DescribeAutoScalingGroups" in text  # the SDK did log at DEBUG
    assert SECRET_KEY not in text
    assert "session-token-secret-value" not in text
    assert "Signature=" not in text


def test_slow_reply_times_out(emulator: Emulated) -> None:
    reader, _ = _open(emulator, max_retries=0, timeout_s=1)
    _fault(emulator, "slow", 1, delay_s=2)
    with pytest.raises(ProviderError) as info:
        reader.list_groups()
    assert info.value.kind is ErrorKind.TIMEOUT and info.value.exit_code == 4


def test_reset_connection_is_retried(emulator: Emulated) -> None:
    reader, _ = _open(emulator)
    _fault(emulator, "reset", 1, "DescribeAutoScalingGroups")
    assert len(reader.list_groups()) == 233


def test_sdk_is_imported_only_when_a_profile_opens() -> None:
    code = (
        "import sys, scalectl_tencent, scalectl_tencent.provider; "
        "assert not [m for m in sys.modules if m.startswith('tencentcloud')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
