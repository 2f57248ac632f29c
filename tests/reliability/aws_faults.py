"""The emulators' fault kinds, worded as AWS words them, on the moto server of aws_seed."""

from __future__ import annotations

from typing import Any

from tests.providers.aws_seed import Fault, MotoServer

# kind -> (HTTP status, AWS error code)
_AWS = {
    "5xx": (500, "InternalFailure"),
    "503": (503, "ServiceUnavailable"),
    "throttle": (400, "Throttling"),
    "auth": (403, "InvalidClientTokenId"),
}


def inject_aws(
    moto: MotoServer,
    kind: str,
    *,
    count: int = -1,
    action: str = "",
    after: int = 0,
    delay_s: float = 0.0,
) -> None:
    many = count if count > 0 else 10_000
    if kind in _AWS:
        status, code = _AWS[kind]
        fault = Fault(status, code, many, action or None)
    elif kind == "slow":
        fault = Fault(500, "InternalFailure", many, action or None, delay_s=delay_s or 5.0)
    elif kind == "malformed":
        fault = Fault(200, "", many, action or None, body="<DescribeResponse><truncated")
    else:
        raise ValueError(f"no AWS wording for fault {kind!r}")
    if after:
        _let_through(moto, fault, after)
    moto.inject(fault)


def _let_through(moto: MotoServer, fault: Fault, after: int) -> None:
    """Serve ``after`` matching requests normally before the fault starts (mid-paging)."""
    middleware: Any = moto._middleware
    original = middleware._take_fault
    left = {"n": after}

    def take(action: str) -> Fault | None:
        if fault.action in (None, action) and left["n"] > 0:
            left["n"] -= 1
            return None
        return original(action)  # type: ignore[no-any-return]

    middleware._take_fault = take
