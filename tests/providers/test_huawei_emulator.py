"""The Huawei emulator on the wire: signatures, paging, error envelopes, and response shapes.

Requests are signed by the SDK's own signer (huaweicloudsdkcore.signer.Signer) and sent with plain
``requests``, so the server's independent signature check is tested against the real algorithm.

Shape sources (field names and nesting of documented examples):
- AS v1 ListScalingGroups / policies: /work/shared/reference/autoscaling-semantics.md §5 (examples
  from the Huawei AS API reference, https://support.huaweicloud.com/intl/en-us/api-as/), and the
  response models in huaweicloudsdkas/v1/model (list_scaling_groups_response.py, scaling_groups.py,
  scaling_group_instance.py, scaling_v1_policy_detail.py, scaling_activity_log_list.py).
- ELB v3: huaweicloudsdkelb/v3/model (load_balancer.py, listener.py, pool.py, member.py,
  page_info.py), which mirror the ELB v3 API reference.
- CES v1: autoscaling-semantics.md §5 alarm example; huaweicloudsdkces/v1/model
  (metric_alarms_resp.py, meta_data_resp.py, datapoint.py).
- Errors: AS {"error": {"code", "message"}} (https://support.huaweicloud.com/api-as/as_07_0102.html);
  API Gateway {"error_code", "error_msg", "request_id"} with APIGW.0301 for a bad AK/SK signature
  and APIGW.0308 for throttling (provider-wire-facts §4.4).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from huawei_fixtures import AK, PROJECT_ID, SK, Emulated, running_emulator
from scalectl_sim.serve import huawei_ids as ids
from scalectl_sim.serve.huawei_sign import verify

AS = f"/autoscaling-api/v1/{PROJECT_ID}"

# Documented example payloads (see the module docstring for the sources).
DOC_SCALING_GROUP = {
    "scaling_group_name": "as-group-test",
    "scaling_group_id": "77a7a397-7d2f-4e79-9da9-6a5e2fc6b7a3",
    "scaling_group_status": "INSERVICE",
    "current_instance_number": 0,
    "desire_instance_number": 1,
    "min_instance_number": 0,
    "max_instance_number": 500,
    "cool_down_time": 300,
    "health_periodic_audit_method": "ELB_AUDIT",
    "health_periodic_audit_time": 5,
    "health_periodic_audit_grace_period": 600,
    "instance_terminate_policy": "OLD_CONFIG_OLD_INSTANCE",
    "is_scaling": False,
}
DOC_POLICY = {
    "scaling_policy_id": "1a68e2a0-…",
    "scaling_group_id": "60dcec94-…",
    "scaling_policy_name": "as-policy-s4ph",
    "scaling_policy_type": "ALARM",
    "alarm_id": "al1526121470824LpAqvyjLR",
    "scheduled_policy": {},
    "cool_down_time": 900,
    "scaling_policy_action": {"operation": "ADD", "instance_number": 1},
    "policy_status": "INSERVICE",
    "create_time": "2018-05-12T10:37:51Z",
}
DOC_ALARM = {
    "alarm_id": "al1604473956229Ym1m1Wx6e",
    "alarm_level": 2,
    "alarm_state": "insufficient_data",
    "condition": {
        "comparison_operator": ">=",
        "count": 1,
        "filter": "average",
        "period": 300,
        "unit": "B/s",
        "value": 6,
    },
}
DOC_INSTANCE_KEYS = {
    "instance_id",
    "instance_name",
    "scaling_group_id",
    "scaling_group_name",
    "life_cycle_state",
    "health_status",
    "scaling_configuration_name",
    "scaling_configuration_id",
    "create_time",
    "protect_from_scaling_down",
}
DOC_ACTIVITY_KEYS = {
    "id",
    "status",
    "start_time",
    "end_time",
    "instance_value",
    "desire_value",
    "scaling_value",
    "description",
    "instance_added_list",
    "instance_removed_list",
    "instance_deleted_list",
}
DOC_LB_KEYS = {
    "id",
    "name",
    "description",
    "provisioning_status",
    "operating_status",
    "admin_state_up",
    "provider",
    "project_id",
    "listeners",
    "pools",
    "vip_address",
    "vip_subnet_cidr_id",
    "vpc_id",
    "availability_zone_list",
    "created_at",
    "updated_at",
}
DOC_LISTENER_KEYS = {
    "id",
    "name",
    "protocol",
    "protocol_port",
    "default_pool_id",
    "loadbalancers",
    "admin_state_up",
    "project_id",
}
DOC_POOL_KEYS = {
    "id",
    "name",
    "lb_algorithm",
    "protocol",
    "listeners",
    "loadbalancers",
    "members",
    "admin_state_up",
    "ip_version",
    "project_id",
}
DOC_MEMBER_KEYS = {
    "id",
    "name",
    "address",
    "protocol_port",
    "weight",
    "admin_state_up",
    "operating_status",
    "status",
    "project_id",
    "instance_id",
    "subnet_cidr_id",
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulated]:
    with running_emulator(monkeypatch, tmp_path) as running:
        yield running


def call(
    emu: Emulated,
    method: str,
    path: str,
    query: list[tuple[str, Any]] | None = None,
    body: Any = None,
    *,
    sk: str = SK,
) -> requests.Response:
    """One request signed by the SDK's signer, sent with plain requests."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    host = emu.endpoint.removeprefix("http://")
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json", "X-Project-Id": PROJECT_ID}
    request = SdkRequest(
        method=method,
        schema="http",
        host=host,
        resource_path=path,
        query_params=list(query or []),
        header_params=headers,
        body=data,
    )
    signed = Signer(BasicCredentials(AK, sk, PROJECT_ID)).sign(request)
    return requests.request(
        method, f"http://{host}{signed.uri}", headers=signed.header_params, data=data, timeout=5
    )


def doc_keys_present(example: dict[str, Any], actual: dict[str, Any]) -> None:
    missing = set(example) - set(actual)
    assert not missing, f"documented fields missing: {sorted(missing)}"
    for key, value in example.items():
        if isinstance(value, dict) and value:
            doc_keys_present(value, actual[key])
        elif isinstance(value, bool) or not isinstance(value, int | float):
            assert isinstance(actual[key], type(value)), (key, actual[key])
        else:  # JSON numbers: the reference types them as Integer or Double
            assert isinstance(actual[key], int | float) and not isinstance(actual[key], bool)


# --- signatures and envelopes ---------------------------------------------------------------------


def test_signed_request_is_accepted_and_carries_request_id(emulator: Emulated) -> None:
    reply = call(emulator, "GET", f"{AS}/scaling_group", [("limit", 5)])
    assert reply.status_code == 200, reply.text
    assert len(reply.headers["X-Request-Id"]) == 32


def test_wrong_secret_gets_apigw_0301(emulator: Emulated) -> None:
    reply = call(emulator, "GET", f"{AS}/scaling_group", sk="not-the-secret")
    assert reply.status_code == 401
    body = reply.json()
    assert body["error_code"] == "APIGW.0301"
    assert body["error_msg"].startswith("Incorrect IAM authentication information")
    assert body["request_id"] == reply.headers["X-Request-Id"]


def test_unsigned_and_tampered_requests_are_refused(emulator: Emulated) -> None:
    reply = requests.get(f"{emulator.endpoint}{AS}/scaling_group", timeout=5)
    assert reply.status_code == 401 and reply.json()["error_code"] == "APIGW.0301"


def test_signature_check_matches_the_sdk_signer_on_awkward_queries() -> None:
    """Query values with spaces, reserved and non-ASCII characters (provider-wire-facts §4.3)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    value = "a b*c~d/é+&=%中"
    request = SdkRequest(
        method="POST",
        schema="http",
        host="127.0.0.1:9",
        resource_path="/v1/x",
        query_params=[("q", value), ("a", "1")],
        header_params={"Content-Type": "application/json"},
        body=b'{"k": 1}',
    )
    signed = Signer(BasicCredentials(AK, SK, PROJECT_ID)).sign(request)
    headers = {k.lower(): v for k, v in signed.header_params.items()}
    query = signed.uri.partition("?")[2]
    assert (
        verify("POST", "/v1/x", query, headers, b'{"k": 1}', access_key_id=AK, access_key_secret=SK)
        is None
    )
    assert (
        verify("POST", "/v1/x", query, headers, b'{"k": 2}', access_key_id=AK, access_key_secret=SK)
        is not None
    )
    assert (
        verify(
            "POST",
            "/v1/x",
            query.replace("a=1", "a=2"),
            headers,
            b'{"k": 1}',
            access_key_id=AK,
            access_key_secret=SK,
        )
        is not None
    )


def test_as_error_envelope_for_unknown_group(emulator: Emulated) -> None:
    reply = call(emulator, "GET", f"{AS}/scaling_group/{ids.group_id('no-such-group')}")
    assert reply.status_code == 404
    assert reply.json() == {
        "error": {"code": "AS.0007", "message": reply.json()["error"]["message"]}
    }
    assert reply.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("throttle", 429, "APIGW.0308"), ("503", 503, "APIGW.0202"), ("auth", 401, "APIGW.0301")],
)
def test_injected_faults_use_gateway_envelopes(
    emulator: Emulated, kind: str, status: int, code: str
) -> None:
    emulator.fault(kind, action="ListScalingGroups")
    reply = call(emulator, "GET", f"{AS}/scaling_group")
    assert reply.status_code == status and reply.json()["error_code"] == code
    assert call(emulator, "GET", f"{AS}/scaling_group").status_code == 200


def test_injected_5xx_uses_the_as_envelope(emulator: Emulated) -> None:
    emulator.fault("5xx", action="ListScalingGroups")
    reply = call(emulator, "GET", f"{AS}/scaling_group")
    assert reply.status_code == 500
    assert reply.json() == {"error": {"code": "AS.0001", "message": "System error."}}


# --- AS v1 ----------------------------------------------------------------------------------------


def test_list_scaling_groups_shape_and_paging(emulator: Emulated) -> None:
    first = call(emulator, "GET", f"{AS}/scaling_group", [("limit", 2), ("start_number", 0)]).json()
    assert set(first) == {"total_number", "start_number", "limit", "scaling_groups"}
    assert (first["start_number"], first["limit"], len(first["scaling_groups"])) == (0, 2, 2)
    doc_keys_present(DOC_SCALING_GROUP, first["scaling_groups"][0])
    seen: list[str] = []
    start = 0
    while start < first["total_number"]:
        page = call(
            emulator, "GET", f"{AS}/scaling_group", [("limit", 2), ("start_number", start)]
        ).json()
        seen += [g["scaling_group_name"] for g in page["scaling_groups"]]
        start += len(page["scaling_groups"])
    names = sorted(g.name for g in emulator.reader.list_groups())
    assert seen == names
    default = call(emulator, "GET", f"{AS}/scaling_group").json()
    assert default["limit"] == 20


def test_list_scaling_groups_rejects_limit_over_100(emulator: Emulated) -> None:
    reply = call(emulator, "GET", f"{AS}/scaling_group", [("limit", 101)])
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "AS.1002"
    reply = call(emulator, "GET", f"{AS}/scaling_group", [("start_number", -1)])
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "AS.1001"


def _group_id(emulator: Emulated, name: str) -> str:
    return ids.group_id(name)


def test_show_scaling_group_and_instances_shape(emulator: Emulated) -> None:
    gid = _group_id(emulator, "web")
    shown = call(emulator, "GET", f"{AS}/scaling_group/{gid}").json()
    doc_keys_present(DOC_SCALING_GROUP, shown["scaling_group"])
    assert shown["scaling_group"]["lbaas_listeners"][0].keys() >= {
        "pool_id",
        "protocol_port",
        "weight",
    }
    instances = call(emulator, "GET", f"{AS}/scaling_group_instance/{gid}/list").json()
    assert set(instances) == {"total_number", "start_number", "limit", "scaling_group_instances"}
    row = instances["scaling_group_instances"][0]
    assert set(row) >= DOC_INSTANCE_KEYS
    assert row["life_cycle_state"] in {"INSERVICE", "PENDING", "REMOVING", "STANDBY"}
    assert row["health_status"] in {"NORMAL", "ERROR", "INITAILIZING"}


def test_update_scaling_group_changes_the_sim(emulator: Emulated) -> None:
    gid = _group_id(emulator, "web")
    group = emulator.reader.get_group("web")
    target = min(group.max, group.desired + 1)
    reply = call(
        emulator, "PUT", f"{AS}/scaling_group/{gid}", body={"desire_instance_number": target}
    )
    assert reply.status_code == 200 and reply.json() == {"scaling_group_id": gid}
    assert emulator.reader.get_group("web").desired == target
    bad = call(
        emulator, "PUT", f"{AS}/scaling_group/{gid}", body={"desire_instance_number": group.max + 1}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"].startswith("AS.")


def test_list_policies_shape(emulator: Emulated) -> None:
    gid = _group_id(emulator, "worker")
    page = call(emulator, "GET", f"{AS}/scaling_policy/{gid}/list").json()
    assert set(page) == {"total_number", "start_number", "limit", "scaling_policies"}
    alarm_policies = [p for p in page["scaling_policies"] if p["scaling_policy_type"] == "ALARM"]
    assert alarm_policies, page
    doc_keys_present(DOC_POLICY, alarm_policies[0])


def test_policy_create_execute_pause_delete(emulator: Emulated) -> None:
    gid = _group_id(emulator, "web")
    alarm = call(
        emulator,
        "POST",
        f"/V1.0/{PROJECT_ID}/alarms",
        body={
            "alarm_name": "web-mem",
            "metric": {
                "namespace": "SYS.AS",
                "metric_name": "mem_util",
                "dimensions": [{"name": "AutoScalingGroup", "value": gid}],
            },
            "condition": {
                "period": 300,
                "filter": "average",
                "comparison_operator": ">",
                "value": 80,
                "unit": "%",
                "count": 2,
            },
            "alarm_enabled": True,
            "alarm_action_enabled": True,
            "alarm_actions": [{"type": "autoscaling", "notification_list": []}],
        },
    )
    assert alarm.status_code == 200 and alarm.json()["alarm_id"].startswith("al")
    alarm_id = alarm.json()["alarm_id"]
    assert len(alarm_id) == 24
    created = call(
        emulator,
        "POST",
        f"{AS}/scaling_policy",
        body={
            "scaling_group_id": gid,
            "scaling_policy_name": "mem-add-1",
            "scaling_policy_type": "ALARM",
            "alarm_id": alarm_id,
            "scaling_policy_action": {"operation": "ADD", "instance_number": 1},
            "cool_down_time": 120,
        },
    )
    assert created.status_code == 200, created.text
    policy_id = created.json()["scaling_policy_id"]
    rule = next(r for r in emulator.reader.list_rules("web") if r.name == "mem-add-1")
    assert (rule.metric, rule.threshold, rule.period_s, rule.evaluation_periods) == (
        "memory",
        80,
        300,
        2,
    )
    desired = emulator.reader.get_group("web").desired
    executed = call(
        emulator, "POST", f"{AS}/scaling_policy/{policy_id}/action", body={"action": "execute"}
    )
    assert executed.status_code == 204 and executed.content == b""
    assert emulator.reader.get_group("web").desired == min(
        desired + 1, emulator.reader.get_group("web").max
    )
    paused = call(
        emulator, "POST", f"{AS}/scaling_policy/{policy_id}/action", body={"action": "pause"}
    )
    assert paused.status_code == 204
    listed = call(
        emulator, "GET", f"{AS}/scaling_policy/{gid}/list", [("scaling_policy_name", "mem-add-1")]
    ).json()["scaling_policies"]
    assert listed[0]["policy_status"] == "PAUSED" and listed[0]["alarm_id"] == alarm_id
    assert call(emulator, "DELETE", f"{AS}/scaling_policy/{policy_id}").status_code == 204
    assert not [r for r in emulator.reader.list_rules("web") if r.name == "mem-add-1"]
    # Cloud Eye keeps the alarm after the policy is gone; it can then be deleted.
    assert call(emulator, "DELETE", f"/V1.0/{PROJECT_ID}/alarms/{alarm_id}").status_code == 204


def test_activity_logs_shape(emulator: Emulated) -> None:
    gid = _group_id(emulator, "web")
    page = call(emulator, "GET", f"{AS}/scaling_activity_log/{gid}", [("limit", 3)]).json()
    assert set(page) == {"total_number", "start_number", "limit", "scaling_activity_log"}
    assert page["scaling_activity_log"], page
    row = page["scaling_activity_log"][0]
    assert set(row) >= DOC_ACTIVITY_KEYS
    assert row["status"] in {"SUCCESS", "FAIL", "DOING"}
    assert row["start_time"].endswith("Z")


# --- ELB v3 ---------------------------------------------------------------------------------------


def test_elb_shapes_and_marker_paging(emulator: Emulated) -> None:
    base = f"/v3/{PROJECT_ID}/elb"
    everything = call(emulator, "GET", f"{base}/loadbalancers").json()
    assert set(everything) == {"loadbalancers", "page_info", "request_id"}
    assert set(everything["loadbalancers"][0]) >= DOC_LB_KEYS
    ids_all = [lb["id"] for lb in everything["loadbalancers"]]
    first = call(emulator, "GET", f"{base}/loadbalancers", [("limit", 1)]).json()
    assert (
        first["page_info"]["current_count"] == 1 and first["page_info"]["next_marker"] == ids_all[0]
    )
    second = call(
        emulator,
        "GET",
        f"{base}/loadbalancers",
        [("limit", 1), ("marker", first["page_info"]["next_marker"])],
    ).json()
    assert second["loadbalancers"][0]["id"] == ids_all[1]
    listeners = call(emulator, "GET", f"{base}/listeners").json()
    assert set(listeners["listeners"][0]) >= DOC_LISTENER_KEYS
    pools = call(emulator, "GET", f"{base}/pools").json()["pools"]
    assert set(pools[0]) >= DOC_POOL_KEYS
    assert {p["lb_algorithm"] for p in pools} <= {
        "ROUND_ROBIN",
        "LEAST_CONNECTIONS",
        "SOURCE_IP",
        "QUIC_CID",
        "5_TUPLE_HASH",
    }
    members = call(emulator, "GET", f"{base}/pools/{pools[0]['id']}/members").json()
    assert set(members) == {"members", "page_info", "request_id"}
    assert set(members["members"][0]) >= DOC_MEMBER_KEYS
    assert members["members"][0]["operating_status"] in {"ONLINE", "OFFLINE", "INITIAL"}
    assert call(emulator, "GET", f"{base}/loadbalancers", [("limit", 2001)]).status_code == 400


# --- CES v1 ---------------------------------------------------------------------------------------


def test_list_alarms_shape_and_start_paging(emulator: Emulated) -> None:
    path = f"/V1.0/{PROJECT_ID}/alarms"
    everything = call(emulator, "GET", path).json()
    assert set(everything) == {"metric_alarms", "meta_data"}
    assert set(everything["meta_data"]) == {"count", "total", "marker"}
    doc_keys_present(DOC_ALARM, everything["metric_alarms"][0])
    assert everything["metric_alarms"][0]["metric"].keys() >= {
        "namespace",
        "metric_name",
        "dimensions",
    }
    total = everything["meta_data"]["total"]
    got: list[str] = []
    start = None
    while True:
        query: list[tuple[str, Any]] = [("limit", 2)] + ([("start", start)] if start else [])
        page = call(emulator, "GET", path, query).json()
        got += [a["alarm_id"] for a in page["metric_alarms"]]
        start = page["meta_data"]["marker"]
        if page["meta_data"]["count"] < 2:
            break
    assert got == [a["alarm_id"] for a in everything["metric_alarms"]] and len(got) == total
    assert call(emulator, "GET", path, [("limit", 101)]).status_code == 400


def test_metric_data_shape(emulator: Emulated) -> None:
    now = emulator.reader.now()
    to = int(now.timestamp() * 1000)
    reply = call(
        emulator,
        "GET",
        f"/V1.0/{PROJECT_ID}/metric-data",
        [
            ("namespace", "SYS.AS"),
            ("metric_name", "cpu_util"),
            ("dim.0", f"AutoScalingGroup,{ids.group_id('web')}"),
            ("filter", "average"),
            ("period", 1),
            ("from", to - 10 * 60_000),
            ("to", to),
        ],
    ).json()
    assert set(reply) == {"datapoints", "metric_name"} and reply["metric_name"] == "cpu_util"
    assert reply["datapoints"], reply
    assert set(reply["datapoints"][0]) == {"average", "timestamp", "unit"}
