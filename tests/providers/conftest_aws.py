"""Fixtures for tests over a moto server, as a pytest plugin.

In tests/providers: ``pytest_plugins = ["conftest_aws"]``; elsewhere (e.g. tests/cli):
``pytest_plugins = ["tests.providers.conftest_aws"]``.

One server per session (its first request costs about 2 s); every test starts from an empty
account (moto's reset) with fake credentials only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from aws_seed import MotoServer, fake_aws_env, make_profile, seed_aws
except ImportError:  # loaded as tests.providers.conftest_aws from another test directory
    from tests.providers.aws_seed import MotoServer, fake_aws_env, make_profile, seed_aws

from scalectl.config import Profile


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MotoServer:
    """The server, reset, with fake credentials in the environment."""
    fake_aws_env(monkeypatch, tmp_path)
    moto_server.reset()
    return moto_server


@pytest.fixture
def aws_profile(aws_env: MotoServer) -> Profile:
    profile: Profile = make_profile(aws_env.endpoint)
    return profile


@pytest.fixture
def aws_shop(aws_env: MotoServer) -> dict[str, Any]:
    """The seeded shop; the request log starts empty after seeding."""
    seeded: dict[str, Any] = seed_aws(aws_env.endpoint)
    aws_env.log.clear()
    return seeded


@pytest.fixture
def aws_reader(aws_profile: Profile) -> Iterator[Any]:
    from scalectl_aws.provider import AwsProvider

    reader = AwsProvider().open_reader(aws_profile)
    yield reader
    reader.close()


@pytest.fixture
def aws_writer(aws_profile: Profile, aws_reader: Any) -> Any:
    from scalectl_aws.provider import AwsProvider

    return AwsProvider().open_writer(aws_profile, aws_reader)
