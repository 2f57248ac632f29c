"""One boto3 Session per reader, and the three clients scalectl needs (imported lazily)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from scalectl_aws.errors import translated


class Clients:
    """The session and its three clients, each made on first use: `groups list` needs only Auto
    Scaling, and every client costs a service model to load. Thread-safe (TUI workers share it;
    botocore sessions are not safe to make clients from concurrently)."""

    def __init__(self, session: Any, region: str, make: Callable[[str], Any]) -> None:
        self.session = session
        self.region = region
        self._make = make
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        client = self._made.get(service)
        if client is None:
            with self._lock, translated():
                client = self._made.get(service)
                if client is None:
                    client = self._made[service] = self._make(service)
        return client

    @property
    def autoscaling(self) -> Any:
        return self._client("autoscaling")

    @property
    def elbv2(self) -> Any:
        return self._client("elbv2")

    @property
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    def access_key_prefix(self) -> str:
        """The access key id's first characters: enough to tell keys apart, never a secret."""
        with translated():
            credentials = self.session.get_credentials()
        key = credentials.access_key if credentials is not None else ""
        return key[:8] if key else ""


def client_config(timeout_s: float, max_retries: int) -> Any:
    from botocore.config import Config

    # "standard" retries throttling errors, 5xx and connection failures with exponential
    # backoff and full jitter; total_max_attempts counts the first try (max_attempts does not).
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_retries + 1},
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        user_agent_appid="scalectl",
    )


def open_clients(profile: Any) -> Clients:
    """Build the clients for a ``scalectl.config.Profile`` (region, aws_profile, endpoint, …)."""
    import boto3

    with translated():
        session = boto3.session.Session(
            profile_name=profile.aws_profile or None,
            region_name=profile.region or None,
        )
        region = session.region_name
        if not region:
            from botocore.exceptions import NoRegionError

            raise NoRegionError()
        config = client_config(profile.timeout_s, profile.max_retries)
        endpoint = profile.endpoint or None

        def make(service: str) -> Any:
            return session.client(service, region_name=region, endpoint_url=endpoint, config=config)

        return Clients(session, region, make)
