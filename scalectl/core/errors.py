"""Errors and exit codes: one taxonomy for every layer, one IntEnum for the CLI contract."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2  # arguments, config, rules file
    REFUSED = 3  # guardrail, read-only, confirmation missing
    PROVIDER = 4  # auth, throttled after retries, unavailable, rejected
    NOT_FOUND = 5
    INTERRUPTED = 130


class ScalectlError(Exception):
    """Base of every error a user may see: ``str(err)`` is the one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL


class InputError(ScalectlError):
    """Bad input: a broken file, a bad argument. The message names the file, line or field."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        where = source or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        if field:
            where = f"{where}: {field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message


class RefusedError(ScalectlError):
    """The policy core refused a mutation (guardrail, read-only, no confirmation)."""

    exit_code = ExitCode.REFUSED

    def __init__(self, reason: str, *, rule: str = "guard") -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


class NotFoundError(ScalectlError):
    exit_code = ExitCode.NOT_FOUND

    def __init__(self, what: str, name: str, *, hint: str = "") -> None:
        message = f"{what} {name!r} not found"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
        self.what = what
        self.name = name


class ErrorKind(StrEnum):
    AUTH = "auth"
    THROTTLED = "throttled"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    INTERNAL = "internal"


_RETRYABLE = {ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT}


class ProviderError(ScalectlError):
    """A normalized provider failure, with the cloud's own code and request id kept."""

    exit_code = ExitCode.PROVIDER

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        provider: str,
        code: str = "",
        request_id: str = "",
        http_status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.kind = kind
        self.provider = provider
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.retryable = kind in _RETRYABLE if retryable is None else retryable
        self.message = message
        parts = [f"{provider}: {kind.value}"]
        if code:
            parts.append(code)
        text = " ".join(parts) + f": {message}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)
        if kind is ErrorKind.NOT_FOUND:
            self.exit_code = ExitCode.NOT_FOUND
