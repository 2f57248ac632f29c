"""API calls counted at the server (``GET /__sim/stats``) for Tencent, Alibaba and Huawei: each list
costs exactly the pages its size requires, and a whole refresh lists the groups and the alarms only
once (the readers share a short-lived snapshot that every write drops).

AWS is counted the same way in test_aws_paging.py. One large sim world (250 groups, 625 alarms)
is served through each cloud's wire protocol (Huawei shows the 125 alarms its scaling policies
own); the adapters are the real SDKs over HTTP.
"""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scalectl.config import Profile

GROUPS = 250


@dataclass
class Cloud:
    name: str
    endpoint: str
    reader: Any
    writer: Any
    group_list: str  # the action listing groups
    group_page: int  # its largest page
    alarm_list: str = ""  # the action listing alarms
    alarm_page: int = 0

    def calls(self) -> dict[str, int]:
        with _opener().open(self.endpoint + "/__sim/stats", timeout=10) as reply:
            return dict(json.loads(reply.read())["calls"])

    def reset(self) -> None:
        request = urllib.request.Request(self.endpoint + "/__sim/stats/reset", data=b"")
        with _opener().open(request, timeout=10):
            pass

    def counted(self, read: Callable[[], object]) -> dict[str, int]:
        self.reset()
        read()
        return self.calls()


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    from scalectl_sim.provider import SimProvider

    home = tmp_path_factory.mktemp("paging")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCALECTL_HOME", str(home))
        profile = Profile(
            name="sim", provider="sim", speed=0, region="sim-local-1", world="large", groups=GROUPS
        )
        reader = SimProvider().open_reader(profile)
        writer = SimProvider().open_writer(profile, reader)
        reader.list_groups()  # creates the world under this home
        yield reader, writer
        reader.close()


def _clean(mp: pytest.MonkeyPatch, home: Path) -> None:
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        mp.delenv(name, raising=False)
    mp.setenv("HOME", str(home))  # the Huawei SDK writes ~/.huaweicloud


@pytest.fixture(params=["tencent", "alibaba", "huawei"])
def cloud(
    request: pytest.FixtureRequest,
    sim: tuple[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Cloud]:
    sim_reader, sim_writer = sim
    _clean(monkeypatch, tmp_path)
    name = request.param
    if name == "tencent":
        from scalectl_sim.serve.tencent import make_server as serve_tencent
        from scalectl_tencent.provider import TencentProvider
        from tencent_fixtures import SECRET_ID, SECRET_KEY, tencent_profile

        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        server = serve_tencent(
            sim_reader, sim_writer, access_key_id=SECRET_ID, access_key_secret=SECRET_KEY
        ).start()
        profile = tencent_profile(server.endpoint)
        reader = TencentProvider().open_reader(profile)
        writer = TencentProvider().open_writer(profile, reader)
        made = Cloud(name, server.endpoint, reader, writer, "DescribeAutoScalingGroups", 100)
        made.alarm_list, made.alarm_page = "DescribeAlarmPolicies", 100
    elif name == "alibaba":
        from alibaba_fixtures import KEY_ID, SECRET
        from scalectl_alibaba.provider import AlibabaProvider
        from scalectl_sim.serve.alibaba import make_server as serve_alibaba

        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        server = serve_alibaba(
            sim_reader, sim_writer, access_key_id=KEY_ID, access_key_secret=SECRET
        ).start()
        profile = Profile(
            name="ali",
            provider="alibaba",
            region="cn-hangzhou",
            endpoint=server.endpoint,
            timeout_s=5,
            max_retries=3,
        )
        reader = AlibabaProvider().open_reader(profile)
        writer = AlibabaProvider().open_writer(profile, reader)
        made = Cloud(name, server.endpoint, reader, writer, "DescribeScalingGroups", 50)
        made.alarm_list, made.alarm_page = "DescribeAlarms", 50
    else:
        from huawei_fixtures import AK, SK, huawei_profile
        from scalectl_huawei.provider import HuaweiProvider
        from scalectl_sim.serve.huawei import make_server as serve_huawei

        monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
        monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
        server = serve_huawei(
            sim_reader, sim_writer, access_key_id=AK, access_key_secret=SK
        ).start()
        profile = huawei_profile(server.endpoint)
        reader = HuaweiProvider().open_reader(profile)
        writer = HuaweiProvider().open_writer(profile, reader)
        made = Cloud(name, server.endpoint, reader, writer, "ListScalingGroups", 100)
        made.alarm_list, made.alarm_page = "ListAlarms", 100
    try:
        yield made
    finally:
        server.stop()


def test_listing_the_groups_costs_the_pages_it_needs(cloud: Cloud) -> None:
    groups: list[Any] = []
    calls = cloud.counted(lambda: groups.extend(cloud.reader.list_groups()))
    assert len(groups) == GROUPS
    assert calls[cloud.group_list] == math.ceil(GROUPS / cloud.group_page)


def test_listing_the_alarms_costs_the_pages_it_needs(cloud: Cloud) -> None:
    alarms: list[Any] = []
    calls = cloud.counted(lambda: alarms.extend(cloud.reader.list_alarms()))
    assert alarms
    assert calls[cloud.alarm_list] == math.ceil(len(alarms) / cloud.alarm_page)


def test_a_whole_refresh_lists_the_groups_and_alarms_once(cloud: Cloud) -> None:
    first = cloud.reader.list_groups()[0].name
    alarms = len(cloud.reader.list_alarms())
    cloud.reader.invalidate()  # the refresh starts with no snapshot

    def refresh() -> None:
        cloud.reader.list_groups()
        cloud.reader.get_group(first)
        cloud.reader.list_balancers()
        cloud.reader.list_alarms()
        cloud.reader.list_rules()

    calls = cloud.counted(refresh)
    # get_group may ask for its one group by name: one more call at most.
    assert calls[cloud.group_list] <= math.ceil(GROUPS / cloud.group_page) + 1
    assert calls[cloud.alarm_list] == math.ceil(alarms / cloud.alarm_page)


def test_a_write_drops_the_snapshot(cloud: Cloud) -> None:
    group = next(g for g in cloud.reader.list_groups() if g.min < g.max)
    wanted = group.min if group.desired != group.min else group.max
    cloud.writer.set_desired(group.name, wanted, honor_cooldown=False, reason="paging test")
    try:
        calls = cloud.counted(
            lambda: [g for g in cloud.reader.list_groups() if g.name == group.name]
        )
        assert calls[cloud.group_list] == math.ceil(GROUPS / cloud.group_page)
        seen = next(g for g in cloud.reader.list_groups() if g.name == group.name)
        assert seen.desired == wanted
    finally:
        cloud.writer.set_desired(group.name, group.desired, honor_cooldown=False, reason="undo")
