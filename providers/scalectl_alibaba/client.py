"""Calls to ESS, SLB and CMS through aliyun-python-sdk-core: retries, errors, paging, log hygiene.

The SDK never retries ESS/SLB/CMS (only ECS is in its retry_config.json; provider-wire-facts §2.6),
so retries are ours: bounded, exponential backoff with full jitter, on throttling and 5xx (writes
that are not idempotent retry on throttling only, which the server rejected unrun). The SDK is
imported here, and this module is imported only when an Alibaba profile is opened.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import random
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient

from scalectl.core.errors import ErrorKind, ProviderError

PROVIDER = "alibaba"
KEY_ID_ENV = "ALIBABA_CLOUD_ACCESS_KEY_ID"
SECRET_ENV = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
PRODUCTS = {
    "ess": "aliyunsdkess.request.v20140828",
    "slb": "aliyunsdkslb.request.v20140515",
    "cms": "aliyunsdkcms.request.v20190101",
}
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 5.0

_AUTH_CODES = (
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidAccessKeySecret",
    "IncompleteSignature",
    "Forbidden",
    "NoPermission",
    "InvalidSecurityToken",
    "MissingAccessKeyId",
    "InvalidTimeStamp",
    "SignatureNonceUsed",
)
_CONFLICT_CODES = (
    "ScalingActivityInProgress",
    "IncorrectScalingGroupStatus",
    "Duplicate",
    "Conflict",
    "IncorrectCapacity",
)
_SECRETS = re.compile(r"(Signature|AccessKeyId|SecurityToken|SignatureNonce)=[^&\s'\"]+")


class _Redact(logging.Filter):
    """The SDK logs failing URLs (AccessKeyId, Signature) and, with DEBUG=sdk, request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = _SECRETS.sub(r"\1=***", text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


def install_log_redaction() -> None:
    for name in (
        "aliyunsdkcore.client",
        "aliyunsdkcore.http.http_response",
        "aliyunsdkcore.auth.signers.access_key_signer",
        # The vendored urllib3 logs each signed URL at DEBUG, query string and all.
        "aliyunsdkcore.vendored.requests.packages.urllib3.connectionpool",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Redact) for f in logger.filters):
            logger.addFilter(_Redact())


def credentials_from_env() -> tuple[str, str]:
    key_id = os.environ.get(KEY_ID_ENV, "")
    secret = os.environ.get(SECRET_ENV, "")
    if not key_id or not secret:
        raise ProviderError(
            ErrorKind.AUTH,
            f"no credentials: set {KEY_ID_ENV} and {SECRET_ENV}",
            provider=PROVIDER,
            code="MissingCredentials",
        )
    return key_id, secret


def classify(code: str, status: int | None) -> ErrorKind:
    if code.startswith("Throttling") or status == 429:
        return ErrorKind.THROTTLED
    if any(code.startswith(c) for c in _AUTH_CODES):
        return ErrorKind.AUTH
    if status is not None and status >= 500:
        return ErrorKind.UNAVAILABLE
    if code.endswith("NotFound") or ".NotFound" in code:
        return ErrorKind.NOT_FOUND
    if any(c in code for c in _CONFLICT_CODES):
        return ErrorKind.CONFLICT
    if code == "SDK.UnknownServerError":
        return ErrorKind.MALFORMED
    return ErrorKind.INVALID


def normalize(exc: Exception) -> ProviderError:
    if isinstance(exc, ServerException):
        code = exc.get_error_code() or ""
        status = exc.get_http_status()
        message = _SECRETS.sub(
            r"\1=***", (exc.get_error_msg() or "").split("server string to sign")[0]
        )
        return ProviderError(
            classify(code, status),
            message.strip() or code,
            provider=PROVIDER,
            code=code,
            request_id=exc.get_request_id() or "",
            http_status=status,
        )
    if isinstance(exc, ClientException):
        text = _SECRETS.sub(r"\1=***", exc.get_error_msg() or "")
        text = re.sub(r"https?://\S+", "<url>", text)  # failing URLs carry the signature
        kind = ErrorKind.TIMEOUT if "timed out" in text.lower() else ErrorKind.UNAVAILABLE
        if exc.get_error_code() != "SDK.HttpError":
            kind = ErrorKind.INTERNAL
        return ProviderError(
            kind, text[:300] or "client error", provider=PROVIDER, code=exc.get_error_code() or ""
        )
    return ProviderError(ErrorKind.INTERNAL, f"{type(exc).__name__}", provider=PROVIDER)


class Calls:
    """One AcsClient for the three products; ``call`` returns the parsed JSON body."""

    def __init__(
        self,
        *,
        region: str,
        endpoint: str | None,
        timeout_s: float,
        max_retries: int,
        access_key_id: str,
        access_key_secret: str,
    ) -> None:
        install_log_redaction()
        self.region = region
        self.max_retries = max_retries
        # The endpoint override skips endpoint resolution (wire facts §2.1); Aliyun's requests
        # ignores NO_PROXY, so a loopback endpoint must bypass proxies explicitly (§0).
        self._host = urlsplit(endpoint).netloc if endpoint else None
        proxy = {"http": None, "https": None} if endpoint else None
        self._client = AcsClient(
            access_key_id,
            access_key_secret,
            region,
            auto_retry=False,
            connect_timeout=min(5.0, timeout_s),
            timeout=timeout_s,
            proxy=proxy,
        )
        self._sleep = time.sleep

    def _request(self, product: str, action: str, params: Mapping[str, Any]) -> Any:
        module = importlib.import_module(f"{PRODUCTS[product]}.{action}Request")
        request = getattr(module, f"{action}Request")()
        request.set_accept_format("JSON")
        for key, value in params.items():
            if value is not None:
                text = ("true" if value else "false") if isinstance(value, bool) else str(value)
                request.add_query_param(key, text)
        if self._host:
            request.set_endpoint(self._host)
        return request

    def call(
        self,
        product: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        attempt = 0
        while True:
            request = self._request(product, action, params or {})
            try:
                raw = self._client.do_action_with_exception(request)
            except (ServerException, ClientException) as exc:
                error = normalize(exc)
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise ProviderError(
                        ErrorKind.MALFORMED, f"{action}: the reply is not JSON", provider=PROVIDER
                    ) from None
                if not isinstance(body, dict):
                    raise ProviderError(
                        ErrorKind.MALFORMED,
                        f"{action}: the reply is not an object",
                        provider=PROVIDER,
                    )
                return body
            retry = error.retryable and (idempotent or error.kind is ErrorKind.THROTTLED)
            if not retry or attempt >= self.max_retries:
                raise error
            self._sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
            attempt += 1

    def pages(
        self,
        product: str,
        action: str,
        params: Mapping[str, Any],
        key: str,
        item: str,
        *,
        page_size: int = 50,
    ) -> list[dict[str, Any]]:
        """Every item of a PageNumber/PageSize list (double-wrapped ``key.item[]``)."""
        seen: list[dict[str, Any]] = []
        number = 1
        while True:
            body = self.call(
                product, action, {**params, "PageNumber": number, "PageSize": page_size}
            )
            wrapper = body.get(key) or {}
            batch = wrapper.get(item, []) if isinstance(wrapper, dict) else []
            seen.extend(batch)
            total = int(body.get("TotalCount", len(seen)))
            if not batch or len(seen) >= total:
                return seen
            number += 1
