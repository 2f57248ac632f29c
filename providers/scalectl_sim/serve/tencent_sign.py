"""TC3-HMAC-SHA256 verification for the Tencent emulator (provider-wire-facts §3.3).

The SDK signs only ``content-type;host``, with the Host header exactly as sent (port included)
and the credential scope ``<UTC date>/<service>/tc3_request``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
MAX_SKEW_S = 300  # Tencent rejects signatures older than five minutes (AuthFailure.SignatureExpire)

_AUTH = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)"
    r"/tc3_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class SignatureError(Exception):
    code: str
    message: str


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature(
    secret_key: str,
    *,
    method: str,
    uri: str,
    query: str,
    headers: dict[str, str],
    signed_headers: list[str],
    payload: bytes,
    timestamp: int,
    service: str,
) -> str:
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed_headers)
    canonical = "\n".join(
        (
            method,
            uri or "/",
            query,
            canonical_headers,
            ";".join(signed_headers),
            hashlib.sha256(payload).hexdigest(),
        )
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = "\n".join(
        (
            ALGORITHM,
            str(timestamp),
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        )
    )
    k_date = _hmac(("TC3" + secret_key).encode(), date)
    k_signing = _hmac(_hmac(k_date, service), "tc3_request")
    return hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(
    *,
    method: str,
    uri: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
    now: float,
) -> str:
    """Check a request's TC3 signature; return the signed service. Raises SignatureError."""
    auth = headers.get("authorization", "")
    match = _AUTH.match(auth.strip())
    if match is None:
        raise SignatureError(
            "AuthFailure.InvalidAuthorization", "The Authorization header is missing or malformed."
        )
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        raise SignatureError(
            "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not an integer."
        ) from None
    if abs(now - timestamp) > MAX_SKEW_S:
        raise SignatureError(
            "AuthFailure.SignatureExpire",
            "Signature expired: the timestamp is more than 5 minutes off.",
        )
    if match["id"] != access_key_id:
        raise SignatureError(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        )
    if match["date"] != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
        raise SignatureError(
            "AuthFailure.SignatureFailure", "The credential date does not match X-TC-Timestamp."
        )
    signed = match["headers"].split(";")
    payload = b"" if method == "GET" else body
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload = b"UNSIGNED-PAYLOAD"
    expected = signature(
        access_key_secret,
        method=method,
        uri=uri,
        query=query if method == "GET" else "",
        headers=headers,
        signed_headers=signed,
        payload=payload,
        timestamp=timestamp,
        service=match["service"],
    )
    if not hmac.compare_digest(expected, match["sig"]):
        raise SignatureError(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. "
            "Please check your signature is correct.",
        )
    return match["service"]
