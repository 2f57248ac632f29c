"""Shared fixtures: every test runs with SCALECTL_HOME in its own temp dir (no real config)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PAUSED_SIM_CONFIG = """\
default_profile = "sim"

[profiles.sim]
provider = "sim"
speed = 0
"""


@pytest.fixture(scope="session", autouse=True)
def _fresh_sim_worlds() -> Iterator[None]:
    """Many tests create the same sim world: simulate each (world, seed, groups) once per test
    process and copy its tables into later databases (byte for byte the same world)."""
    from scalectl_sim import store

    store.keep_fresh_worlds(8)
    yield
    store.keep_fresh_worlds(0)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("scalectl-home")
    monkeypatch.setenv("SCALECTL_HOME", str(home))
    monkeypatch.delenv("SCALECTL_CONFIG", raising=False)
    # Never let a test reach a real cloud with real credentials.
    for name in list(os.environ):
        if name.startswith(("AWS_", "ALIBABA_CLOUD_", "TENCENTCLOUD_", "HUAWEICLOUD_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def paused_sim(home: Path) -> Path:
    """A config whose sim profile is paused (speed 0): the world moves only by `sim advance`."""
    (home / "config.toml").write_text(PAUSED_SIM_CONFIG)
    return home
