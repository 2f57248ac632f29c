"""One boto3 Session per reader, and the three clients scalectl needs (imported lazily)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scalectl_aws.errors import translated


@dataclass(frozen=True)
class Clients:
    autoscaling: Any
    elbv2: Any
    cloudwatch: Any
    region: str
    session: Any

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

        return Clients(
            autoscaling=make("autoscaling"),
            elbv2=make("elbv2"),
            cloudwatch=make("cloudwatch"),
            region=region,
            session=session,
        )
