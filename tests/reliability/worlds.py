"""One paused sim world served through each cloud's wire protocol (or moto for AWS), with a
config.toml whose profiles point at it, and one way to inject faults into any of them.

The credentials are recognisable canaries, so the secrets tests can scan every output for them.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Canaries: fake credentials nobody could mistake for anything else.
CANARY_ID = "AKIDFAKECANARY0000000001"
CANARY_SECRET = "S3CR3T-canary-7f3a9c1e5b"
CANARY_PROJECT = "0123456789abcdef0123456789abcdef"
CLOUDS = ("alibaba", "tencent", "huawei")
PROVIDERS = ("sim", "aws", *CLOUDS)
REGIONS = {"alibaba": "cn-hangzhou", "tencent": "ap-guangzhou", "huawei": "cn-north-4"}
# The action that lists groups, per provider (what `groups list` pages through first).
LIST_GROUPS = {
    "aws": "DescribeAutoScalingGroups",
    "alibaba": "DescribeScalingGroups",
    "tencent": "DescribeAutoScalingGroups",
    "huawei": "ListScalingGroups",
}
MAX_RETRIES = 2
TIMEOUT_S = 1.0

_ENV = {
    "aws": {"AWS_ACCESS_KEY_ID": CANARY_ID, "AWS_SECRET_ACCESS_KEY": CANARY_SECRET},
    "alibaba": {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": CANARY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": CANARY_SECRET,
    },
    "tencent": {"TENCENTCLOUD_SECRET_ID": CANARY_ID, "TENCENTCLOUD_SECRET_KEY": CANARY_SECRET},
    "huawei": {
        "HUAWEICLOUD_SDK_AK": CANARY_ID,
        "HUAWEICLOUD_SDK_SK": CANARY_SECRET,
        "HUAWEICLOUD_SDK_PROJECT_ID": CANARY_PROJECT,
    },
}


def free_port() -> int:
    """A loopback port nothing listens on (for "connection refused")."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A provider reachable through a profile named after it, and its fault switchboard."""

    provider: str
    home: Path
    endpoint: str = ""
    server: Any = None  # EmulatorServer or MotoServer
    sim_reader: Any = None
    sim_writer: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def inject(self, kind: str, *, count: int = -1, action: str = "", **options: Any) -> None:
        """A fault in the emulator's own words (kinds of scalectl_sim.serve.common)."""
        if self.provider == "aws":
            from tests.reliability.aws_faults import inject_aws

            inject_aws(self.server, kind, count=count, action=action, **options)
        else:
            self.server.inject(kind, count, action, **options)

    def clear(self) -> None:
        if self.provider == "aws":
            self.server.clear_faults()
            self.server._middleware.__dict__.pop("_take_fault", None)  # see aws_faults
        else:
            self.server.board.clear()

    def calls(self) -> Counter[str]:
        if self.provider == "aws":
            return Counter(self.server.log.counts())
        return Counter(self.server.calls)

    def reset_calls(self) -> None:
        if self.provider == "aws":
            self.server.log.clear()
        else:
            self.server.calls.clear()


def profile_toml(
    provider: str, endpoint: str, *, read_only: bool = False, name: str = "", **extra: Any
) -> str:
    lines = [
        f"[profiles.{name or provider}]",
        f'provider = "{provider}"',
        f'region = "{REGIONS.get(provider, "us-east-1")}"',
        f'endpoint = "{endpoint}"',
        f"timeout_s = {extra.pop('timeout_s', TIMEOUT_S)}",
        f"max_retries = {extra.pop('max_retries', MAX_RETRIES)}",
    ]
    if read_only:
        lines.append("read_only = true")
    for key, value in extra.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    return "\n".join(lines) + "\n"


def write_config(home: Path, served: Served, **extra: Any) -> None:
    text = 'default_profile = "sim"\n\n[profiles.sim]\nprovider = "sim"\nspeed = 0\n'
    groups = extra.pop("groups", None)
    if groups:
        text += f'world = "large"\ngroups = {groups}\n'
    text += '\n[profiles.sim-ro]\nprovider = "sim"\nspeed = 0\nread_only = true\n'
    if groups:
        text += f'world = "large"\ngroups = {groups}\n'
    if served.provider != "sim":
        text += "\n" + profile_toml(served.provider, served.endpoint, **extra)
        text += "\n" + profile_toml(
            served.provider, served.endpoint, read_only=True, name=f"{served.provider}-ro"
        )
    (home / "config.toml").write_text(text)


def set_canary_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(home))  # the Huawei SDK writes ~/.huaweicloud
    monkeypatch.setenv("SCALECTL_HOME", str(home))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for env in _ENV.values():
        for key, value in env.items():
            monkeypatch.setenv(key, value)


def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff sleeps shrunk so the matrix runs quickly; attempt counts are unchanged."""
    import scalectl_alibaba.client as ali
    import scalectl_huawei.client as hw

    monkeypatch.setattr(ali, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setattr(hw, "BACKOFF_BASE_S", 0.001)


@contextmanager
def serve(
    provider: str, home: Path, monkeypatch: pytest.MonkeyPatch, *, groups: int = 0, **extra: Any
) -> Iterator[Served]:
    """The paused sim world of profile ``sim`` served as ``provider`` (AWS: a seeded moto)."""
    from scalectl.config import Profile

    set_canary_env(monkeypatch, home)
    fast_backoff(monkeypatch)
    if provider == "sim":
        served = Served("sim", home)
        write_config(home, served, groups=groups)
        yield served
        return
    if provider == "aws":
        from tests.providers.aws_seed import MotoServer, seed_aws, seed_many

        moto = MotoServer().start()
        try:
            moto.reset()  # moto's state is process-wide: start from an empty account
            seed_aws(moto.endpoint)
            if groups:
                seed_many(moto.endpoint, groups, instances=0)
            served = Served("aws", home, moto.endpoint, moto)
            write_config(home, served, **extra)
            moto.log.clear()
            yield served
        finally:
            moto.stop()
        return
    module = __import__(f"scalectl_sim.serve.{provider}", fromlist=["make_server"])
    sim_profile = Profile(name="sim", provider="sim", region="sim-local-1", speed=0)
    if groups:
        sim_profile = sim_profile.replace(world="large", groups=groups)
    from scalectl_sim.provider import SimProvider

    reader = SimProvider().open_reader(sim_profile)
    writer = SimProvider().open_writer(sim_profile, reader)
    server = module.make_server(
        reader, writer, access_key_id=CANARY_ID, access_key_secret=CANARY_SECRET
    ).start()
    try:
        served = Served(provider, home, server.endpoint, server, reader, writer)
        write_config(home, served, groups=groups, **extra)
        yield served
    finally:
        server.stop()
        reader.close()
