"""Errors and exit codes: one taxonomy for every layer, one IntEnum for the CLI contract."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum, StrEnum
from typing import Any, TypeVar


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2  # arguments, config, rules file
    REFUSED = 3  # guardrail, read-only, confirmation missing
    PROVIDER = 4  # auth, throttled after retries, unavailable, rejected
    NOT_FOUND = 5
    INTERRUPTED = 130


def one_line(text: str) -> str:
    """``text`` safe to print as one terminal line: control characters (newlines, escape
    sequences, bidi overrides) written as escapes, so a hostile name cannot forge more lines."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


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
        where = one_line(source or "")
        field = one_line(field) if field else field
        message = one_line(message)
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
        self.http_status = http_status
        self.retryable = kind in _RETRYABLE if retryable is None else retryable
        message, code, request_id = one_line(message), one_line(code), one_line(request_id)
        self.code = code
        self.request_id = request_id
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

    def with_request_id(self, request_id: str) -> ProviderError:
        """The same error naming ``request_id`` (when the SDK lost it but a header kept it)."""
        if self.request_id or not request_id:
            return self
        return ProviderError(
            self.kind,
            self.message,
            provider=self.provider,
            code=self.code,
            request_id=request_id,
            http_status=self.http_status,
            retryable=self.retryable,
        )


# -- replies that do not have the documented shape -------------------------------------------------

# The reader's methods (scalectl.core.provider.ProviderReader); a writer passes WRITE_OPERATIONS.
_READ_METHODS = (
    "list_groups",
    "get_group",
    "list_balancers",
    "list_alarms",
    "list_activities",
    "list_rules",
    "metric_series",
)
_COUNTS = ("min", "max", "desired", "in_service", "pending", "terminating")
# What converting a reply of the wrong shape raises (a missing key, a dict where a number was).
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)

_T = TypeVar("_T")


def _checked(provider: str, what: str, value: Any) -> Any:
    """Refuse groups with negative capacities: no cloud has them, so the reply is broken."""
    for item in value if isinstance(value, list) else [value]:
        for name in _COUNTS:
            count = getattr(item, name, None)
            if isinstance(count, int) and count < 0:
                raise ProviderError(
                    ErrorKind.MALFORMED,
                    f"{what}: {getattr(item, 'name', '?')!r} has {name} {count}",
                    provider=provider,
                )
    return value


def guard_replies(
    provider: str, methods: tuple[str, ...] = _READ_METHODS
) -> Callable[[type[_T]], type[_T]]:
    """Class decorator for a provider reader: a reply that does not have the documented shape
    (missing fields, wrong types, negative capacities) becomes one MALFORMED ProviderError
    instead of a traceback, whichever conversion tripped over it."""

    def wrap(method: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return _checked(provider, name, method(*args, **kwargs))
            except ScalectlError:
                raise
            except _SHAPE_ERRORS as exc:
                raise ProviderError(
                    ErrorKind.MALFORMED,
                    f"{name}: the reply does not have the documented shape "
                    f"({type(exc).__name__}: {str(exc)[:120]})",
                    provider=provider,
                ) from None

        return guarded

    def decorate(cls: type[_T]) -> type[_T]:
        for name in methods:
            method = cls.__dict__.get(name)
            if method is not None:
                setattr(cls, name, wrap(method, name))
        return cls

    return decorate
