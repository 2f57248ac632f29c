"""The Huawei SDK clients (AS v1, ELB v3, CES v1), with our own retries and normalized errors.

Imported only when a Huawei profile is used. Facts from provider-wire-facts §4-5:
- use ``with_endpoints`` and an explicit project id, never ``with_region`` (it calls IAM);
- the SDK retries nothing useful (5xx never; 429 only on idempotent methods, and then the body's
  code and request id are lost), so retries are ours: bounded, exponential backoff, full jitter;
- the SDK loggers do not propagate and their ERROR lines reach stderr through Python's last-resort
  handler: give them a NullHandler so errors reach the user once, from us.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from scalectl.core.errors import ErrorKind, InputError, ProviderError

PROVIDER = "huawei"
log = logging.getLogger("scalectl_huawei")

# Retry backoff: attempt n waits a random time in [0, min(CAP, BASE * 2**n)].
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 5.0
_SDK_LOGGERS = (
    "HuaweiCloud-SDK-AsClient",
    "HuaweiCloud-SDK-ElbClient",
    "HuaweiCloud-SDK-CesClient",
)
_SERVICES = {"as": "as", "elb": "elb", "ces": "ces"}


def _quiet_sdk_loggers() -> None:
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


def kind_of(status: int | None, code: str) -> ErrorKind:
    if status in (401, 403) or (code.startswith("APIGW.030") and code != "APIGW.0308"):
        return ErrorKind.AUTH
    if status == 429 or code == "APIGW.0308":
        return ErrorKind.THROTTLED
    if status == 404:
        return ErrorKind.NOT_FOUND
    if status == 409:
        return ErrorKind.CONFLICT
    if status is not None and status >= 500:
        return ErrorKind.UNAVAILABLE
    return ErrorKind.INVALID


def normalize(exc: Exception) -> ProviderError:
    """A ProviderError for whatever the SDK raised, keeping Huawei's code and request id."""
    from huaweicloudsdkcore.exceptions import exceptions as hw

    if isinstance(exc, hw.ServiceResponseException):
        code = str(exc.error_code or exc.status_code)
        message = str(exc.error_msg or "").splitlines()[0][:300] or f"HTTP {exc.status_code}"
        return ProviderError(
            kind_of(exc.status_code, code),
            message,
            provider=PROVIDER,
            code=code,
            request_id=str(exc.request_id or ""),
            http_status=exc.status_code,
        )
    if isinstance(exc, hw.RequestTimeoutException):
        return ProviderError(ErrorKind.TIMEOUT, "request timed out", provider=PROVIDER)
    if isinstance(exc, hw.ConnectionException):
        text = str(getattr(exc, "error_msg", "") or exc)
        kind = ErrorKind.TIMEOUT if "timed out" in text.lower() else ErrorKind.UNAVAILABLE
        return ProviderError(
            kind,
            "cannot reach the endpoint" if kind is ErrorKind.UNAVAILABLE else "request timed out",
            provider=PROVIDER,
        )
    if isinstance(exc, ValueError):  # a body that is not the JSON the model expects
        return ProviderError(
            ErrorKind.MALFORMED,
            f"malformed response: {type(exc).__name__}",
            provider=PROVIDER,
            # Not retried: the server answered, so a write behind it may well have happened.
        )
    return ProviderError(
        ErrorKind.INTERNAL, f"{type(exc).__name__}: {str(exc)[:200]}", provider=PROVIDER
    )


def _check_body(response: Any) -> None:
    """The SDK turns a body that is not JSON into an empty response; refuse it instead."""
    raw = getattr(response, "raw_content", None)
    if raw:
        json.loads(raw)  # ValueError -> normalized as malformed


class HuaweiApi:
    """One set of SDK clients for a profile, and ``call`` with retries."""

    def __init__(self, profile: Any) -> None:
        ak = os.environ.get("HUAWEICLOUD_SDK_AK", "")
        sk = os.environ.get("HUAWEICLOUD_SDK_SK", "")
        if not ak or not sk:
            raise ProviderError(
                ErrorKind.AUTH,
                "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK",
                provider=PROVIDER,
                code="NoCredentials",
            )
        project_id = profile.project_id or os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID", "")
        if not project_id:
            raise InputError(
                "Huawei needs a project id: set project_id in the profile or "
                "HUAWEICLOUD_SDK_PROJECT_ID",
                field=f"profiles.{profile.name}.project_id",
            )
        if not profile.endpoint and not profile.region:
            raise InputError(
                "a Huawei profile needs a region or an endpoint",
                field=f"profiles.{profile.name}.region",
            )
        self.project_id = project_id
        self.access_key_prefix = ak[:4]
        self.max_retries = int(profile.max_retries)
        self.timeout_s = float(profile.timeout_s)
        self._endpoint = profile.endpoint
        self._region = profile.region
        self._credentials = (ak, sk)
        self._clients: dict[str, Any] = {}
        self._seen = threading.local()

    def _remember_request_id(self, **kwargs: Any) -> None:
        # A response hook: success bodies carry no request id, the X-Request-Id header does.
        response = kwargs.get("response")
        if response is not None:
            self._seen.request_id = str(response.headers.get("X-Request-Id", ""))

    def last_request_id(self) -> str:
        """X-Request-Id of the last response this thread received."""
        return str(getattr(self._seen, "request_id", ""))

    def _endpoint_of(self, service: str) -> str:
        if self._endpoint:
            return str(self._endpoint).rstrip("/")
        return f"https://{service}.{self._region}.myhuaweicloud.com"

    def client(self, service: str) -> Any:
        if service in self._clients:
            return self._clients[service]
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkcore.http.http_handler import HttpHandler

        if service == "as":
            from huaweicloudsdkas.v1 import AsClient as Client
        elif service == "elb":
            from huaweicloudsdkelb.v3 import ElbClient as Client
        else:
            from huaweicloudsdkces.v1 import CesClient as Client
        _quiet_sdk_loggers()
        config = HttpConfig.get_default_config()
        config.timeout = (min(5.0, self.timeout_s), self.timeout_s)
        config.retry_times = 0
        ak, sk = self._credentials
        built = (
            Client.new_builder()
            .with_http_config(config)
            .with_credentials(BasicCredentials(ak, sk, self.project_id))
            .with_endpoints([self._endpoint_of(_SERVICES[service])])
            .with_http_handler(HttpHandler().add_response_handler(self._remember_request_id))
            .build()
        )
        self._clients[service] = built
        return built

    def call(self, service: str, method: str, request: Any, *, idempotent: bool = True) -> Any:
        """``client(service).<method>(request)``, retried on throttling, 5xx and timeouts.

        A call that is not idempotent (create, execute) is retried on throttling only, which the
        gateway refused before running it: after a 5xx or a timeout it may have run already.
        """
        attempt = 0
        while True:
            self._seen.request_id = ""  # never name the request id of an earlier reply
            try:
                fn: Callable[[Any], Any] = getattr(self.client(service), method)
                response = fn(request)
                _check_body(response)
                return response
            except ProviderError:
                raise
            except Exception as exc:  # the SDK raises many types; all are normalized
                # The SDK drops the body (code, request id) of some errors, such as a 429;
                # the X-Request-Id header seen by the response hook still names the request.
                error = normalize(exc).with_request_id(self.last_request_id())
                unsafe = not idempotent and error.kind is not ErrorKind.THROTTLED
                if not error.retryable or unsafe or attempt >= self.max_retries:
                    raise error from None
                delay = random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))
                log.debug(
                    "huawei %s.%s: %s; retry %d in %.2fs",
                    service,
                    method,
                    error.kind.value,
                    attempt + 1,
                    delay,
                )
                time.sleep(delay)
                attempt += 1

    def close(self) -> None:
        for client in self._clients.values():
            http = client.get_http_client() if hasattr(client, "get_http_client") else None
            if http is not None and hasattr(http, "close"):
                http.close()
        self._clients.clear()
