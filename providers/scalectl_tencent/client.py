"""One session over the Tencent Cloud SDK: clients per product, retries, normalized errors.

Imported only when a Tencent profile is opened (the SDK costs ~1.5 s to import). Calls use the
SDK's typed request/response models and come back as plain dicts (``to_json_string``) so the
mapping layer is shared with the emulator. The SDK's own StandardRetryer is not used: it keeps a
stale error across attempts (provider-wire-facts §3.5), so retries live here.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from scalectl.core.errors import ErrorKind, ProviderError

PROVIDER = "tencent"
PAGE_SIZE = 100  # the documented maximum of Limit (AS, CLB) and PageSize (Cloud Monitor)
SDK_LOGGER = "tencentcloud_sdk_common"
_SENSITIVE = re.compile(r"(?im)^(\s*(?:authorization|x-tc-token)\s*[:=]\s*).*$")


class _RedactFilter(logging.Filter):
    """The SDK logs every request header at DEBUG, Authorization and X-TC-Token included."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if _SENSITIVE.search(text):
            record.msg = _SENSITIVE.sub(r"\1<redacted>", text)
            record.args = None
        return True


_sdk_logger = logging.getLogger(SDK_LOGGER)
if not any(isinstance(f, _RedactFilter) for f in _sdk_logger.filters):
    _sdk_logger.addFilter(_RedactFilter())


@dataclass(frozen=True)
class Product:
    module: str  # tencentcloud.<module>.<version>
    version: str
    client_class: str
    client_module: str


PRODUCTS = {
    "as": Product("autoscaling", "v20180419", "AutoscalingClient", "autoscaling_client"),
    "clb": Product("clb", "v20180317", "ClbClient", "clb_client"),
    "monitor": Product("monitor", "v20180724", "MonitorClient", "monitor_client"),
}

_AUTH_PREFIXES = ("AuthFailure",)
_THROTTLE_PREFIXES = ("RequestLimitExceeded",)
_UNAVAILABLE = ("InternalError", "ServerNetworkError", "ResourceUnavailable")
_NOT_FOUND_PREFIXES = ("ResourceNotFound", "InvalidParameterValue.NotFound")
_CONFLICT_PREFIXES = ("ResourceInUse", "FailedOperation", "ResourceInsufficient", "LimitExceeded")
# The SDK names an unparsable reply after the exception it caught.
_MALFORMED = ("JSONDecodeError", "ValueError", "KeyError")
_INVALID_PREFIXES = (
    "InvalidParameter",
    "MissingParameter",
    "UnsupportedOperation",
    "InvalidAction",
    "UnknownParameter",
)


def classify(code: str) -> ErrorKind:
    if code.startswith(_AUTH_PREFIXES) or code == "UnauthorizedOperation":
        return ErrorKind.AUTH
    if code.startswith(_THROTTLE_PREFIXES):
        return ErrorKind.THROTTLED
    if code.startswith(_UNAVAILABLE):
        return ErrorKind.UNAVAILABLE
    if code == "ClientNetworkError":
        return ErrorKind.UNAVAILABLE
    if code in _MALFORMED:
        return ErrorKind.MALFORMED
    if code.startswith(_NOT_FOUND_PREFIXES):
        return ErrorKind.NOT_FOUND
    if code.startswith(_CONFLICT_PREFIXES):
        return ErrorKind.CONFLICT
    if code.startswith(_INVALID_PREFIXES):
        return ErrorKind.INVALID
    return ErrorKind.INTERNAL


def _error_envelope(text: str) -> tuple[str, str, str]:
    """Code, message and request id of a ``{"Response": {"Error": ...}}`` body, if it is one."""
    try:
        response = json.loads(text).get("Response") or {}
        error = response.get("Error") or {}
        return str(error["Code"]), str(error.get("Message") or ""), str(response["RequestId"])
    except (ValueError, AttributeError, KeyError, TypeError):
        return "", "", ""


def normalize(exc: TencentCloudSDKException) -> ProviderError:
    code = str(exc.get_code() or "")
    message = exc.get_message()
    request_id = str(exc.get_request_id() or "")
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message or code)
    if code == "ServerNetworkError":
        # A non-200 reply (5xx, 503): the SDK hands the raw body over as the message; the
        # cloud's own code and request id are inside it.
        inner_code, inner_message, inner_id = _error_envelope(message)
        if inner_code:
            code, message, request_id = inner_code, inner_message or inner_code, inner_id
    message = message[:300].splitlines()[0] if message else code
    kind = classify(code)
    if code == "ClientNetworkError" and "timed out" in message.lower():
        kind = ErrorKind.TIMEOUT
    return ProviderError(kind, message, provider=PROVIDER, code=code, request_id=request_id)


def credentials_from_env() -> tuple[str, str, str | None]:
    """The SDK's usual variables; never from config, never printed."""
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "")
    token = os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None
    if not secret_id or not secret_key:
        raise ProviderError(
            ErrorKind.AUTH,
            "no credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY",
            provider=PROVIDER,
            code="AuthFailure.SecretIdNotFound",
        )
    return secret_id, secret_key, token


class Session:
    """The three product clients of one profile, with bounded retries around every call."""

    def __init__(
        self,
        *,
        region: str,
        endpoint: str | None,
        timeout_s: float,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        secret_id, secret_key, token = credentials_from_env()
        self._cred = credential.Credential(secret_id, secret_key, token)
        self.identity = secret_id[:8] + "…" if len(secret_id) > 8 else secret_id
        self.region = region
        self._endpoint = endpoint
        self._timeout = max(1, round(timeout_s))
        self._max_retries = max_retries
        self._sleep = sleep
        self._clients: dict[str, Any] = {}
        self._models: dict[str, Any] = {}

    def _client(self, service: str) -> tuple[Any, Any]:
        if service not in self._clients:
            product = PRODUCTS[service]
            base = f"tencentcloud.{product.module}.{product.version}"
            client_mod = __import__(f"{base}.{product.client_module}", fromlist=["x"])
            models = __import__(f"{base}.models", fromlist=["x"])
            if self._endpoint:
                parts = urlsplit(self._endpoint)
                # The SDK wants a bare host:port (it signs Host as given) and a protocol apart.
                http = HttpProfile(
                    protocol=parts.scheme, endpoint=parts.netloc, reqTimeout=self._timeout
                )
            else:
                http = HttpProfile(reqTimeout=self._timeout)
            profile = ClientProfile(httpProfile=http)
            client_cls = getattr(client_mod, product.client_class)
            self._clients[service] = client_cls(self._cred, self.region, profile)
            self._models[service] = models
        return self._clients[service], self._models[service]

    def call(
        self,
        service: str,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One API call through the typed SDK models, retried on throttling and 5xx.

        A call that is not idempotent (create, execute) is retried on throttling only, which the
        server refused before running it: after a 5xx or a timeout it may have run already.
        """
        client, models = self._client(service)
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params or {}))
        attempt = 0
        while True:
            try:
                response = getattr(client, action)(request)
            except TencentCloudSDKException as exc:
                error = normalize(exc)
                unsafe = not idempotent and error.kind is not ErrorKind.THROTTLED
                if not error.retryable or unsafe or attempt >= self._max_retries:
                    raise error from None
            except ValueError as exc:
                # A reply the SDK could not parse (malformed JSON).
                raise ProviderError(
                    ErrorKind.MALFORMED, f"unreadable reply to {action}: {exc}", provider=PROVIDER
                ) from None
            else:
                result: dict[str, Any] = json.loads(response.to_json_string())
                return result
            attempt += 1
            # Full jitter over an exponential base, capped: many consoles must not retry in step.
            self._sleep(random.uniform(0, min(4.0, 0.2 * 2**attempt)))

    def paged(
        self,
        service: str,
        action: str,
        key: str,
        params: dict[str, Any] | None = None,
        *,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of an Offset/Limit list (Limit max 100), to the end or ``limit`` items."""
        offset = 0
        seen = 0
        while True:
            page = self.call(
                service, action, {**(params or {}), "Offset": offset, "Limit": PAGE_SIZE}
            )
            items = page.get(key) or []
            for item in items:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            offset += len(items)
            if not items or offset >= int(page.get("TotalCount") or 0):
                return

    def pages(
        self, service: str, action: str, key: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a PageNumber/PageSize list (Cloud Monitor; PageSize max 100)."""
        number = 1
        seen = 0
        while True:
            page = self.call(
                service, action, {**(params or {}), "PageNumber": number, "PageSize": PAGE_SIZE}
            )
            items = page.get(key) or []
            yield from items
            seen += len(items)
            if not items or seen >= int(page.get("TotalCount") or 0):
                return
            number += 1
