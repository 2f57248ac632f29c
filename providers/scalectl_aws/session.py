"""One SDK session per reader, and the three clients scalectl needs (imported lazily).

The clients are boto3's own: ``boto3.client`` is ``botocore.session.Session.create_client``.
scalectl makes them from botocore's session directly, because ``import boto3`` also imports
s3transfer (S3 uploads, which scalectl never does): about 0.1 s of every command's start.
Credentials, profiles, regions and endpoints resolve exactly as in boto3 (botocore's chain).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from scalectl_aws.errors import translated


class Clients:
    """The session and its three clients, each made on first use: `groups list` needs only Auto
    Scaling, and every client costs a service model to load. Thread-safe (TUI workers share it;
    botocore sessions are not safe to make clients from concurrently)."""

    def __init__(
        self, session: Any, region: str, make: Callable[[str], Any], max_retries: int = 3
    ) -> None:
        self.session = session
        self.region = region
        self.max_retries = max_retries
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

    @property
    def autoscaling_once(self) -> Any:
        """Auto Scaling without botocore's retries, for calls that are not idempotent
        (ExecutePolicy): a 5xx or a timeout may come after the action ran, so only throttling
        (refused before anything ran) is retried, by ``throttled_retry``."""
        return self._client("autoscaling#once")

    def access_key_prefix(self) -> str:
        """The access key id's first characters: enough to tell keys apart, never a secret."""
        with translated():
            credentials = self.session.get_credentials()
        key = credentials.access_key if credentials is not None else ""
        return key[:8] if key else ""


_CREDENTIAL = re.compile(r"(Credential=)[^/\s,'\"]+")
_LOG_FAMILIES = ("botocore", "boto3", "urllib3", "s3transfer")


class _RedactCredentials(logging.Filter):
    """botocore at DEBUG logs the signed Authorization header: the access key id is in its
    Credential= part. Logger filters do not reach child loggers, so every logger of these
    families gets one (``redact_sdk_logs``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "Credential=" in text:
            record.msg = _CREDENTIAL.sub(r"\1<redacted>", text)
            record.args = None
        return True


_REDACT = _RedactCredentials()


def redact_sdk_logs() -> None:
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in _LOG_FAMILIES:
            logger = logging.getLogger(name)
            if _REDACT not in logger.filters:
                logger.addFilter(_REDACT)


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
    import botocore.session

    with translated():
        session = botocore.session.Session(profile=profile.aws_profile or None)
        session.get_scoped_config()  # an unknown named profile fails here, as boto3's does
        if profile.region:
            session.set_config_variable("region", profile.region)
        region = session.get_config_variable("region")
        if not region:
            from botocore.exceptions import NoRegionError

            raise NoRegionError()
        config = client_config(profile.timeout_s, profile.max_retries)
        endpoint = profile.endpoint or None

        once = client_config(profile.timeout_s, 0)

        def make(service: str) -> Any:
            name, _, variant = service.partition("#")
            client = session.create_client(
                name,
                region_name=region,
                endpoint_url=endpoint,
                config=once if variant == "once" else config,
            )
            redact_sdk_logs()  # the client's modules and their loggers exist by now
            return client

        return Clients(session, region, make, profile.max_retries)


THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})


def throttled_retry(call: Callable[[], Any], max_retries: int, *, base_s: float = 0.2) -> Any:
    """Run ``call``; retry only when AWS refused it for throttling (backoff with full jitter)."""
    import random
    import time

    from botocore.exceptions import ClientError

    for attempt in range(max_retries + 1):
        try:
            return call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in THROTTLING_CODES or attempt == max_retries:
                raise
            time.sleep(random.uniform(0, base_s * 2**attempt))
    raise AssertionError("unreachable")
