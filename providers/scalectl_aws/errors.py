"""botocore exceptions -> scalectl's error taxonomy (one line, request id kept, no secrets)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from scalectl.core.errors import ErrorKind, ProviderError, ScalectlError
from scalectl_aws.mapping import PROVIDER

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
AUTH = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "MissingAuthenticationToken",
        "IncompleteSignature",
    }
)
NOT_FOUND = frozenset(
    {
        "ResourceNotFound",
        "ResourceNotFoundException",
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
    }
)
CONFLICT = frozenset(
    {"AlreadyExists", "ResourceInUse", "ScalingActivityInProgress", "ResourceContention"}
)
_MAX_MESSAGE = 300


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def _client_error_kind(code: str, message: str, status: int | None) -> ErrorKind:
    if code in THROTTLING:
        return ErrorKind.THROTTLED
    if code in AUTH or status in (401, 403):
        return ErrorKind.AUTH
    if code in NOT_FOUND or (code == "ValidationError" and "not found" in message.lower()):
        return ErrorKind.NOT_FOUND
    if code in CONFLICT:
        return ErrorKind.CONFLICT
    if status is not None and status >= 500:
        return ErrorKind.UNAVAILABLE
    if (
        code
        in (
            "ValidationError",
            "InvalidParameterValue",
            "InvalidParameterCombination",
            "InvalidNextToken",
            "LimitExceeded",
            "MissingParameter",
        )
        or status == 400
    ):
        return ErrorKind.INVALID
    return ErrorKind.INTERNAL


def normalize(exc: BaseException) -> ScalectlError:
    """Translate a botocore exception; anything else is returned as an internal ProviderError."""
    import botocore.exceptions as bx
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = str(error.get("Code", ""))
        message = _one_line(error.get("Message", "") or code)
        status = meta.get("HTTPStatusCode")
        request_id = str(
            meta.get("RequestId", "") or meta.get("HTTPHeaders", {}).get("x-amzn-requestid", "")
        )
        return ProviderError(
            _client_error_kind(code, message, status),
            message,
            provider=PROVIDER,
            code=code,
            request_id=request_id,
            http_status=status,
        )
    if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return ProviderError(
            ErrorKind.TIMEOUT, "no answer within the profile's timeout_s", provider=PROVIDER
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError):
        return ProviderError(ErrorKind.UNAVAILABLE, "cannot reach the endpoint", provider=PROVIDER)
    if isinstance(exc, bx.HTTPClientError):
        return ProviderError(ErrorKind.UNAVAILABLE, "connection failed", provider=PROVIDER)
    if isinstance(exc, ResponseParserError):
        # The body is not an AWS answer (an HTML error page, a proxy): never echo it.
        return ProviderError(
            ErrorKind.MALFORMED, "the endpoint sent a response that is not AWS's", provider=PROVIDER
        )
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return ProviderError(
            ErrorKind.AUTH,
            "no AWS credentials found (set AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY or the profile's aws_profile)",
            provider=PROVIDER,
            retryable=False,
        )
    if isinstance(exc, bx.ProfileNotFound):
        return ProviderError(
            ErrorKind.AUTH, _one_line(str(exc)), provider=PROVIDER, retryable=False
        )
    if isinstance(exc, bx.NoRegionError):
        return ProviderError(
            ErrorKind.INVALID, "no region: set region in the profile", provider=PROVIDER
        )
    if isinstance(exc, bx.ParamValidationError):
        return ProviderError(ErrorKind.INVALID, _one_line(str(exc)), provider=PROVIDER)
    if isinstance(exc, bx.BotoCoreError):
        return ProviderError(
            ErrorKind.INTERNAL, _one_line(type(exc).__name__ + ": " + str(exc)), provider=PROVIDER
        )
    return ProviderError(ErrorKind.INTERNAL, _one_line(type(exc).__name__), provider=PROVIDER)


@contextmanager
def translated() -> Iterator[None]:
    """Run SDK calls; re-raise their failures as scalectl errors without the SDK's traceback."""
    import botocore.exceptions as bx
    from botocore.parsers import ResponseParserError

    try:
        yield
    except (bx.BotoCoreError, bx.ClientError, ResponseParserError) as exc:
        raise normalize(exc) from None
