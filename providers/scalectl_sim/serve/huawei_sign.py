"""Server-side check of Huawei Cloud's SDK-HMAC-SHA256 AK/SK request signature.

What the SDK sends and how it signs is in provider-wire-facts §4.2-4.3: the canonical URI gets a
trailing "/", every header named in SignedHeaders is signed (lower-cased, trimmed), and the HMAC key
is the SK itself (no key derivation).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)$"
)


@dataclass(frozen=True)
class SignatureProblem:
    """Why a request failed authentication, worded as API Gateway words it."""

    message: str


def _canonical_uri(path: str) -> str:
    uri = "/".join(quote(unquote(segment), safe="~") for segment in path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{quote(key, safe='~')}={quote(value, safe='~')}" for key, value in sorted(pairs)
    )


def string_to_sign(
    method: str, path: str, query: str, headers: dict[str, str], signed: list[str], body: bytes
) -> str:
    """The StringToSign for a request; ``headers`` has lower-cased names."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    payload_hash = headers.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{headers.get('x-sdk-date', '')}\n{digest}"


def verify(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    *,
    access_key_id: str,
    access_key_secret: str,
) -> SignatureProblem | None:
    """None when the request is signed by ``access_key_id``/``access_key_secret``."""
    match = _AUTH_RE.match(headers.get("authorization", "").strip())
    if match is None or not headers.get("x-sdk-date"):
        return SignatureProblem(
            "Incorrect IAM authentication information: Authorization header not found"
        )
    if match["access"] != access_key_id:
        return SignatureProblem(
            "Incorrect IAM authentication information: Get secretKey failed,err:ak not exist"
        )
    signed = match["signed"].split(";")
    if "host" not in signed or "x-sdk-date" not in signed:
        return SignatureProblem(
            "Incorrect IAM authentication information: host and x-sdk-date must be signed"
        )
    expected = hmac.new(
        access_key_secret.encode(),
        string_to_sign(method, path, query, headers, signed, body).encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, match["signature"].lower()):
        return SignatureProblem(
            "Incorrect IAM authentication information: verify aksk signature fail"
        )
    return None
