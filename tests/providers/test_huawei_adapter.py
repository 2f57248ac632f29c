"""The Huawei adapter through the real SDKs (huaweicloudsdkas/-elb/-ces) over HTTP to the emulator,
backed by a sim world: reads agree with the sim, writes change it, errors are normalized."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from huawei_fixtures import SK, Emulated, huawei_profile, running_emulator
from scalectl_huawei import client as hwclient
from scalectl_huawei.provider import HuaweiProvider

from scalectl.core.errors import ErrorKind, InputError, NotFoundError, ProviderError
from scalectl.core.model import Comparison
from scalectl.core.rules import ScheduledRule, SimpleRule, Step, StepRule, TargetTrackingRule


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    with running_emulator(monkeypatch, tmp_path) as running:
        yield running


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hwclient, "BACKOFF_BASE_S", 0.001)


@pytest.fixture
def adapter(emulator: Emulated, fast_backoff: None) -> Any:
    profile = huawei_profile(emulator.endpoint)
    reader = HuaweiProvider().open_reader(profile)
    writer = HuaweiProvider().open_writer(profile, reader)
    yield reader, writer
    reader.close()


def test_package_import_does_not_load_the_sdk() -> None:
    code = (
        "import sys, scalectl_huawei.provider; "
        "print(any(m.startswith('huaweicloudsdk') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_groups_agree_with_the_sim(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    groups = reader.list_groups()
    sim = {g.name: g for g in emulator.reader.list_groups()}
    assert sorted(g.name for g in groups) == sorted(sim)
    for group in groups:
        assert (group.min, group.max, group.desired) == (
            sim[group.name].min,
            sim[group.name].max,
            sim[group.name].desired,
        )
        assert group.provider == "huawei" and len(group.id) == 36
    assert set(groups[0].to_dict()) == set(emulator.reader.list_groups()[0].to_dict())


def test_group_show_has_instances(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    shown = reader.get_group("web")
    sim = emulator.reader.get_group("web")
    live = [i for i in sim.instances if i.state.value != "terminated"]
    assert len(shown.instances) == len(live)
    assert shown.in_service == sum(i.state.value == "in_service" for i in live)
    assert {i.state.value for i in shown.instances} <= {"pending", "in_service", "terminating"}
    assert reader.get_group(shown.id).name == "web"  # by id too
    with pytest.raises(NotFoundError):
        reader.get_group("no-such-group")


def test_balancers_listeners_algorithms_and_backends(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    balancers = {b.name: b for b in reader.list_balancers()}
    sim = {b.name: b for b in emulator.reader.list_balancers()}
    assert set(balancers) == set(sim)
    for name, balancer in balancers.items():
        assert sorted(x.port for x in balancer.listeners) == sorted(
            x.port for x in sim[name].listeners
        )
        assert all(
            x.native_algorithm
            in {"ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "QUIC_CID", "5_TUPLE_HASH"}
            for x in balancer.listeners
        )
        assert len(balancer.backends) == len({(b.id, b.port) for b in sim[name].backends})
        assert len(balancer.group_ids) == len(sim[name].group_ids)
    algorithms = {x.algorithm.value for b in balancers.values() for x in b.listeners}
    assert {"weighted_round_robin", "weighted_least_connections", "source_ip_hash"} <= algorithms


def test_alarms_are_user_alarms_and_policy_alarms(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    alarms = reader.list_alarms()
    # Cloud Eye has no composite or predictive alarms: only the sim's metric alarms show.
    user = {
        a.name
        for a in emulator.reader.list_alarms()
        if a.managed_by == "user" and a.kind == "metric"
    }
    assert user <= {a.name for a in alarms}
    policy_alarms = [a for a in alarms if "autoscaling" in a.actions]
    assert [a.group for a in policy_alarms] == ["worker"]
    assert all(a.evaluation_periods == a.datapoints_to_alarm for a in alarms)  # consecutive only


def test_activities(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    activities = reader.list_activities("web", limit=5)
    sim = emulator.reader.list_activities("web", limit=5)
    assert [a.cause for a in activities] == [a.cause for a in sim]
    assert [a.started_at for a in activities] == [a.started_at for a in sim]
    newest = reader.list_activities(limit=7)
    assert [a.cause for a in newest] == [a.cause for a in emulator.reader.list_activities(limit=7)]


def test_metric_series(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    series = reader.metric_series("web", "cpu", timedelta(minutes=30))
    sim = emulator.reader.metric_series("web", "cpu", timedelta(minutes=30))
    assert series.values() == [v for v in sim.values() if v is not None]
    assert series.unit == "%"


def test_scale_to_n_changes_the_sim(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    group = emulator.reader.get_group("checkout")
    target = group.desired + 2
    result = writer.set_desired("checkout", target, honor_cooldown=False, reason="test")
    assert len(result.request_id) == 32
    assert emulator.reader.get_group("checkout").desired == target
    assert reader.get_group("checkout").desired == target
    writer.set_bounds("checkout", min_size=1, max_size=target + 5, desired=None)
    sim = emulator.reader.get_group("checkout")
    assert (sim.min, sim.max) == (1, target + 5)


def test_rules_export_then_put_back_is_a_no_op(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    exported = reader.list_rules()
    assert [(r.group, r.name) for r in exported] == [("worker", "cpu-high-add-2")]
    before = emulator.calls()
    for rule in exported:
        assert writer.put_rule(rule).detail == "unchanged"
    writes = {
        k: v - before.get(k, 0)
        for k, v in emulator.calls().items()
        if k.startswith(("Create", "Update", "Delete"))
    }
    assert not any(writes.values())
    assert reader.list_rules() == exported


def test_simple_rule_create_update_execute_delete(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    rule = SimpleRule(
        name="mem-high",
        group="web",
        metric="memory",
        comparison=Comparison.GE,
        threshold=90,
        period_s=300,
        evaluation_periods=2,
        adjustment=1,
        enabled=False,
        description="memory pressure",
    )
    writer.put_rule(rule)
    assert [r for r in reader.list_rules("web") if r.name == "mem-high"] == [rule]
    sim_rule = next(r for r in emulator.reader.list_rules("web") if r.name == "mem-high")
    assert sim_rule == rule
    changed = rule.model_copy(update={"threshold": 95.0, "enabled": True, "cooldown_s": 120})
    writer.put_rule(changed)
    assert next(r for r in emulator.reader.list_rules("web") if r.name == "mem-high") == changed
    desired = emulator.reader.get_group("web").desired
    writer.execute_rule("web", "mem-high", honor_cooldown=False)
    assert emulator.reader.get_group("web").desired == desired + 1
    writer.delete_rule("web", "mem-high")
    assert not [r for r in emulator.reader.list_rules("web") if r.name == "mem-high"]
    assert not [a for a in reader.list_alarms() if a.name == "web-mem-high"]


def test_scheduled_rule_round_trip(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    rule = ScheduledRule(name="weekday-morning", group="api", cron="30 1 * * 1-5", desired=6)
    writer.put_rule(rule)
    assert [r for r in reader.list_rules("api") if r.name == rule.name] == [rule]
    assert writer.put_rule(rule).detail == "unchanged"


def test_unexpressible_rules_are_refused_with_reasons(adapter: Any) -> None:
    reader, writer = adapter
    caps = reader.capabilities()
    tt = TargetTrackingRule(name="cpu-50", group="web", target=50)
    assert "target-tracking" in caps.problems(tt)[0]
    step = StepRule(
        name="s",
        group="web",
        comparison=Comparison.GT,
        threshold=50,
        steps=[Step(lower=0, adjustment=1)],
    )
    assert "V2" in caps.problems(step)[0]
    m_of_n = SimpleRule(
        name="m",
        group="web",
        comparison=Comparison.GT,
        threshold=1,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        adjustment=1,
    )
    assert any("consecutive" in p for p in caps.problems(m_of_n))
    minmax = ScheduledRule(name="floor", group="web", cron="0 19 * * *", min=8)
    assert any("min or max" in p for p in caps.problems(minmax))
    with pytest.raises(InputError):
        writer.put_rule(tt)


def test_suspend_and_resume(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    writer.suspend("api")
    assert emulator.reader.get_group("api").suspended
    assert reader.get_group("api").status == "paused"
    writer.resume("api")
    assert not emulator.reader.get_group("api").suspended
    with pytest.raises(ProviderError):
        writer.suspend("api", ["Launch"])


def test_wrong_secret_is_an_auth_error_with_code_and_request_id(
    emulator: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "wrong-secret")
    reader = HuaweiProvider().open_reader(huawei_profile(emulator.endpoint))
    with pytest.raises(ProviderError) as caught:
        reader.list_groups()
    err = caught.value
    assert (err.kind, err.code, err.http_status) == (ErrorKind.AUTH, "APIGW.0301", 401)
    assert len(err.request_id) == 32 and err.request_id in str(err)
    assert "wrong-secret" not in str(err)
    assert err.exit_code == 4


def test_throttling_is_retried(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    emulator.fault("throttle", count=2, action="ListScalingGroups")
    before = emulator.calls().get("ListScalingGroups", 0)
    assert reader.list_groups()
    assert emulator.calls()["ListScalingGroups"] - before == 3


def test_throttled_post_keeps_the_gateway_code(emulator: Emulated, adapter: Any) -> None:
    _, writer = adapter
    emulator.fault("throttle", count=10, action="ScalingPolicyAction")
    with pytest.raises(ProviderError) as caught:
        writer.execute_rule("worker", "cpu-high-add-2", honor_cooldown=False)
    assert caught.value.kind is ErrorKind.THROTTLED and caught.value.code == "APIGW.0308"


def test_5xx_beyond_retries_is_unavailable(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    emulator.fault("5xx", count=10, action="ListScalingGroups")
    before = emulator.calls().get("ListScalingGroups", 0)
    with pytest.raises(ProviderError) as caught:
        reader.list_groups()
    assert caught.value.kind is ErrorKind.UNAVAILABLE and caught.value.code == "AS.0001"
    assert caught.value.request_id
    assert emulator.calls()["ListScalingGroups"] - before == 4  # 1 + max_retries 3


def test_malformed_body_is_normalized(emulator: Emulated, adapter: Any) -> None:
    reader, _ = adapter
    emulator.fault("malformed", count=10, action="ListScalingGroups")
    with pytest.raises(ProviderError) as caught:
        reader.list_groups()
    assert caught.value.kind is ErrorKind.MALFORMED


def test_missing_project_id_is_an_input_error(emulator: Emulated) -> None:
    with pytest.raises(InputError, match="project id"):
        HuaweiProvider().open_reader(huawei_profile(emulator.endpoint, project_id=None))


def test_no_secret_in_sdk_debug_logs(emulator: Emulated, adapter: Any) -> None:
    reader, writer = adapter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    names = [
        "HuaweiCloud-SDK-AsClient",
        "HuaweiCloud-SDK-ElbClient",
        "HuaweiCloud-SDK-CesClient",
        "huaweicloudsdkcore",
        "urllib3",
        "scalectl_huawei",
    ]
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    try:
        reader.list_groups()
        reader.list_alarms()
        reader.list_balancers()
        writer.set_desired(
            "web", emulator.reader.get_group("web").desired, honor_cooldown=False, reason="log test"
        )
        emulator.fault("5xx", count=1, action="ListScalingGroups")
        reader.list_groups()
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
    text = stream.getvalue()
    assert "scaling_group" in text  # the SDK's access log line was captured
    assert SK not in text
