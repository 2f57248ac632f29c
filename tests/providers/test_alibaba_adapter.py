"""The Alibaba adapter through aliyun-python-sdk-core over HTTP against ``sim serve --api alibaba``,
compared with the sim's own view of the same world."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from alibaba_fixtures import *  # noqa: F403
from alibaba_fixtures import AliWorld
from scalectl_sim.serve import alibaba_ids as ids

from scalectl.core.errors import ErrorKind, InputError, NotFoundError, ProviderError
from scalectl.core.model import Algorithm, Comparison, InstanceState
from scalectl.core.provider import ProviderReader, ProviderWriter
from scalectl.core.rules import AdjustmentType, ScheduledRule, SimpleRule, Step, StepRule


def test_reader_and_writer_follow_the_protocols(ali_shared: AliWorld) -> None:
    reader, writer = ali_shared.adapter()
    assert isinstance(reader, ProviderReader)
    assert isinstance(writer, ProviderWriter)
    assert reader.name == "alibaba" and reader.region == "cn-hangzhou"
    assert reader.identity().startswith("access key LTAI_T")
    assert reader.capabilities().percent_rounding.value == "nearest"


def test_groups_list_matches_the_sim(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ours = {g.name: g for g in reader.list_groups()}
    sim = {g.name: g for g in ali_shared.sim_reader.list_groups()}
    assert set(ours) == set(sim)
    for name, group in ours.items():
        assert group.id == ids.group_id(name)
        assert (group.min, group.max, group.desired) == (
            sim[name].min,
            sim[name].max,
            sim[name].desired,
        )
        assert group.in_service == sim[name].in_service
        assert group.provider == "alibaba"
        assert set(group.to_dict()) == set(sim[name].to_dict())
        cpu = ali_shared.sim_reader.metric_series(name, "cpu", timedelta(minutes=5), 60)
        last = [p.value for p in cpu.points if p.value is not None][-1]
        assert group.metric == pytest.approx(last)  # from CMS DescribeMetricLast


def test_group_show_has_the_sims_instances(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    group = reader.get_group("web")
    assert reader.get_group(group.id).name == "web"  # by id too
    sim = ali_shared.sim_reader.get_group("web")
    live = [i for i in sim.instances if i.state is not InstanceState.TERMINATED]
    assert sorted(i.id for i in group.instances) == sorted(ids.instance_id(i.id) for i in live)
    by_id = {ids.instance_id(i.id): i for i in live}
    for inst in group.instances:
        assert inst.state is by_id[inst.id].state
        assert inst.zone == by_id[inst.id].zone
        if inst.state is InstanceState.IN_SERVICE:
            assert inst.health is by_id[inst.id].health


def test_unknown_group_is_not_found(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    with pytest.raises(NotFoundError):
        reader.get_group("no-such-group")


def test_balancers_have_clb_schedulers_and_backend_health(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ours = {b.name: b for b in reader.list_balancers()}
    sim = {b.name: b for b in ali_shared.sim_reader.list_balancers()}
    assert set(ours) == set(sim)
    clb = ours["shop-clb"]
    by_port = {listener.port: listener for listener in clb.listeners}
    assert by_port[443].native_algorithm == "wrr"
    assert by_port[443].algorithm is Algorithm.WEIGHTED_ROUND_ROBIN
    assert by_port[80].algorithm is Algorithm.ROUND_ROBIN
    assert by_port[8443].algorithm is Algorithm.SOURCE_IP_HASH
    assert by_port[8080].algorithm is Algorithm.WEIGHTED_LEAST_CONNECTIONS
    assert sorted(clb.group_ids) == ["cart", "checkout"]
    sim_backends = {ids.instance_id(b.id): b for b in sim["shop-clb"].backends}
    assert {b.id for b in clb.backends} == set(sim_backends)
    for backend in clb.backends:
        assert backend.health is sim_backends[backend.id].health
        assert backend.weight == sim_backends[backend.id].weight


def test_alarms_are_the_sims_alarms(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ours = {a.name: a for a in reader.list_alarms()}
    sim = {a.name: a for a in ali_shared.sim_reader.list_alarms()}
    assert set(ours) == set(sim)
    for name, alarm in ours.items():
        assert alarm.state is sim[name].state
        assert alarm.metric == sim[name].metric
        assert alarm.threshold == pytest.approx(sim[name].threshold)
        assert (
            alarm.group == sim[name].group
            or ali_shared.sim_reader.get_group(sim[name].group).name == alarm.group
        )
    managed = {a.name for a in ours.values() if a.managed_by == "target_tracking"}
    assert managed == {a.name for a in sim.values() if a.managed_by == "target_tracking"}


def test_activities_match_the_sim(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    sim = ali_shared.sim_reader.list_activities(limit=1000)
    ours = reader.list_activities(limit=1000)
    assert sim
    assert sorted(a.id for a in ours) == sorted(ids.activity_id(a.id) for a in sim)
    first = next(a for a in ours if a.id == ids.activity_id(sim[0].id))
    assert (first.cause, first.to_capacity, first.group) == (
        sim[0].cause,
        sim[0].to_capacity,
        sim[0].group,
    )
    assert first.started_at == sim[0].started_at
    assert len(reader.list_activities(limit=1)) == 1


def test_lists_are_paged_to_the_end(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ali_shared.reset_calls()
    groups = reader.calls.pages(
        "ess", "DescribeScalingGroups", {}, "ScalingGroups", "ScalingGroup", page_size=2
    )
    assert len(groups) == len(ali_shared.sim_reader.list_groups()) == 6
    assert ali_shared.calls()["DescribeScalingGroups"] == 3
    alarms = reader.calls.pages("ess", "DescribeAlarms", {}, "AlarmList", "Alarm", page_size=4)
    assert len(alarms) == len(ali_shared.sim_reader.list_alarms())
    # ESS documents PageSize at most 50: the emulator refuses more, as the API does.
    with pytest.raises(ProviderError) as err:
        reader.calls.call("ess", "DescribeScalingGroups", {"PageSize": 51})
    assert err.value.code == "InvalidParameter" and err.value.kind is ErrorKind.INVALID


def test_metrics_come_from_cms(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    series = reader.metric_series("web", "cpu", timedelta(hours=3), 60)
    sim = ali_shared.sim_reader.metric_series("web", "cpu", timedelta(hours=3), 60)
    assert [p.value for p in series.points] == [p.value for p in sim.points if p.value is not None]
    assert series.unit == "%"
    with pytest.raises(InputError):
        reader.metric_series("web", "latency_ms", timedelta(hours=1))


def test_rules_export_then_put_back_is_a_no_op(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    before = reader.list_rules()
    assert {r.kind for r in before} == {
        "target_tracking",
        "step",
        "simple",
        "scheduled",
        "predictive",
    }
    for rule in before:
        writer.put_rule(rule)
    assert reader.list_rules() == before
    # The sim's own view agrees with what the adapter shows.
    assert {(r.group, r.name) for r in ali.sim_reader.list_rules()} == {
        (r.group, r.name) for r in before
    }


def test_sim_rules_put_through_alibaba_read_back_in_canonical_form(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    wanted = [r for r in ali.sim_reader.list_rules() if not reader.capabilities().problems(r)]
    assert len(wanted) >= 10
    for rule in wanted:
        writer.put_rule(rule)
    have = {(r.group, r.name): r for r in reader.list_rules()}
    for rule in wanted:
        assert have[(rule.group, rule.name)] == reader.canonical_rule(rule), rule.name
    # Shanghai 19:00 is 11:00 UTC: the same schedule, in the form ESS keeps.
    prescale = have[("web", "evening-prescale")]
    assert (prescale.cron, prescale.timezone) == ("0 11 * * *", "UTC")


def test_put_execute_and_delete_a_simple_rule(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    rule = SimpleRule(
        name="add-3",
        group="web",
        metric="cpu",
        comparison=Comparison.GE,
        threshold=85,
        period_s=120,
        evaluation_periods=2,
        adjustment=3,
        cooldown_s=120,
    )
    writer.put_rule(rule)
    assert rule in reader.list_rules("web")
    assert rule in ali.sim_reader.list_rules("web")
    changed = rule.model_copy(
        update={
            "adjustment_type": AdjustmentType.PERCENT,
            "adjustment": 50,
            "min_adjustment_magnitude": 2,
            "enabled": False,
        }
    )
    writer.put_rule(changed)
    assert changed in reader.list_rules("web")
    desired = ali.sim_reader.get_group("web").desired
    result = writer.execute_rule("web", "add-3", honor_cooldown=False)
    assert result.request_id and result.activity_id.startswith("asa-")
    assert ali.sim_reader.get_group("web").desired != desired
    writer.delete_rule("web", "add-3")
    assert all(r.name != "add-3" for r in reader.list_rules("web"))
    assert all(r.name != "add-3" for r in ali.sim_reader.list_rules("web"))
    with pytest.raises(NotFoundError):
        writer.delete_rule("web", "add-3")


def test_kind_change_recreates_the_rule(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    step = StepRule(
        name="cpu-high-add-2",
        group="worker",
        comparison=Comparison.GT,
        threshold=70,
        steps=[Step(lower=0, upper=10, adjustment=1), Step(lower=10, adjustment=3)],
    )
    writer.put_rule(step)
    found = [r for r in reader.list_rules("worker") if r.name == "cpu-high-add-2"]
    assert found == [step]


def test_scheduled_rule_in_shanghai_time_is_stored_as_utc_cron(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    rule = ScheduledRule(
        name="lunch", group="api", cron="30 12 * * 1-5", timezone="Asia/Shanghai", min=4
    )
    writer.put_rule(rule)
    got = next(r for r in reader.list_rules("api") if r.name == "lunch")
    assert (got.cron, got.timezone, got.min) == ("30 4 * * 1-5", "UTC", 4)
    with pytest.raises(InputError, match="UTC"):
        writer.put_rule(rule.model_copy(update={"cron": "30 3 * * 1-5", "name": "early"}))


def test_inexpressible_rules_are_refused_with_the_reason(ali_shared: AliWorld) -> None:
    _, writer = ali_shared.adapter()
    rule = SimpleRule(
        name="slow",
        group="web",
        metric="latency_ms",
        comparison=Comparison.GT,
        threshold=300,
        adjustment=1,
        evaluation_periods=3,
        datapoints_to_alarm=2,
    )
    with pytest.raises(InputError) as err:
        writer.put_rule(rule)
    assert "latency_ms" in str(err.value) and "consecutive" in str(err.value)


def test_scale_to_n_changes_the_sim(ali: AliWorld) -> None:
    _, writer = ali.adapter()
    result = writer.set_desired("web", 11, honor_cooldown=False, reason="test")
    assert result.request_id
    assert ali.sim_reader.get_group("web").desired == 11
    writer.set_bounds("web", min_size=2, max_size=30, desired=12)
    group = ali.sim_reader.get_group("web")
    assert (group.min, group.max, group.desired) == (2, 30, 12)
    with pytest.raises(ProviderError) as err:
        writer.set_desired("web", 99, honor_cooldown=False, reason="too many")
    assert err.value.code == "IncorrectCapacity.DesiredCapacity" and err.value.request_id
    with pytest.raises(ProviderError) as err:
        writer.set_desired("web", 5, honor_cooldown=True, reason="x")
    assert err.value.kind is ErrorKind.INVALID


def test_suspend_and_resume(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    writer.suspend("web", ["AlarmNotification", "ScheduledActions"])
    assert set(reader.get_group("web").suspended) == {"AlarmNotification", "ScheduledActions"}
    assert set(ali.sim_reader.get_group("web").suspended) == {
        "AlarmNotification",
        "ScheduledActions",
    }
    writer.resume("web")
    assert reader.get_group("web").suspended == ()


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    code = (
        "import sys, scalectl_alibaba, scalectl_alibaba.provider, scalectl_alibaba.native;"
        "assert not [m for m in sys.modules if m.startswith('aliyunsdk')], 'SDK imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
