"""Fixtures for the Alibaba adapter and emulator: a real sim world behind ``sim serve --api
alibaba`` on a free loopback port, and the adapter talking to it through the real SDK over HTTP.

Import with ``from alibaba_fixtures import *`` (pytest puts this directory on sys.path).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scalectl_sim.provider import SimProvider, SimReader, SimWriter
from scalectl_sim.serve.alibaba import make_server
from scalectl_sim.serve.common import EmulatorServer

from scalectl.config import Profile

KEY_ID = "LTAI_TEST_AK"
SECRET = "test-secret-Zq8Lr2"
_ENV_DROP = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "DEBUG",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIYUN_ACCESS_KEY_ID",
    "ALIYUN_ACCESS_KEY_SECRET",
)


@dataclass
class AliWorld:
    """One sim world, its emulator and the adapter's profile pointing at it."""

    home: Path
    sim_reader: SimReader
    sim_writer: SimWriter
    server: EmulatorServer
    profile: Profile

    def fault(self, kind: str, count: int = 1, action: str = "", delay_s: float = 0.0) -> None:
        body = json.dumps(
            {"kind": kind, "count": count, "action": action, "delay_s": delay_s}
        ).encode()
        request = urllib.request.Request(
            f"{self.server.endpoint}/__sim/faults", data=body, method="POST"
        )
        with _opener().open(request, timeout=5) as reply:
            assert reply.status == 200

    def fault_clear(self) -> None:
        request = urllib.request.Request(f"{self.server.endpoint}/__sim/faults", method="DELETE")
        with _opener().open(request, timeout=5):
            pass

    def calls(self) -> dict[str, int]:
        with _opener().open(f"{self.server.endpoint}/__sim/stats", timeout=5) as reply:
            return dict(json.loads(reply.read())["calls"])

    def reset_calls(self) -> None:
        request = urllib.request.Request(
            f"{self.server.endpoint}/__sim/stats/reset", data=b"", method="POST"
        )
        with _opener().open(request, timeout=5):
            pass

    def adapter(self, **changes: Any) -> tuple[Any, Any]:
        from scalectl_alibaba.provider import AlibabaProvider

        profile = self.profile.replace(**changes)
        reader = AlibabaProvider().open_reader(profile)
        return reader, AlibabaProvider().open_writer(profile, reader)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _clean_env(mp: pytest.MonkeyPatch, home: Path) -> None:
    for name in _ENV_DROP:
        mp.delenv(name, raising=False)
    mp.setenv("SCALECTL_HOME", str(home))
    mp.setenv("HOME", str(home))
    mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)


def _start(home: Path) -> AliWorld:
    sim_profile = Profile(name="sim", provider="sim", region="sim-local-1", speed=0)
    reader = SimProvider().open_reader(sim_profile)
    writer = SimProvider().open_writer(sim_profile, reader)
    server = make_server(reader, writer, access_key_id=KEY_ID, access_key_secret=SECRET).start()
    profile = Profile(
        name="ali",
        provider="alibaba",
        region="cn-hangzhou",
        endpoint=server.endpoint,
        timeout_s=5,
        max_retries=3,
    )
    return AliWorld(home, reader, writer, server, profile)


def _fast_backoff(mp: pytest.MonkeyPatch) -> None:
    import scalectl_alibaba.client as client

    mp.setattr(client, "BACKOFF_BASE_S", 0.001)


@pytest.fixture(autouse=True)
def _alibaba_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root conftest clears ALIBABA_CLOUD_* per test; the adapter reads them at open time."""
    for name in _ENV_DROP:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)


@pytest.fixture(scope="module")
def ali_shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AliWorld]:
    """A world shared by read-only tests of one module (building a world takes about a second)."""
    home = tmp_path_factory.mktemp("ali-shared")
    with pytest.MonkeyPatch.context() as mp:
        _clean_env(mp, home)
        _fast_backoff(mp)
        world = _start(home)
        try:
            yield world
        finally:
            world.server.stop()
            world.sim_reader.close()


@pytest.fixture
def ali(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AliWorld]:
    """A fresh world for a test that changes it."""
    _clean_env(monkeypatch, tmp_path)
    _fast_backoff(monkeypatch)
    world = _start(tmp_path)
    try:
        yield world
    finally:
        world.server.stop()
        world.sim_reader.close()


__all__ = ["KEY_ID", "SECRET", "AliWorld", "_alibaba_credentials", "ali", "ali_shared"]
