"""Shared by the Tencent emulator's products: envelopes, faults, ids, paging, lookups."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from scalectl_tencent import mapping as m

from scalectl.core.model import Balancer, Group
from scalectl.core.provider import ProviderReader, ProviderWriter
from scalectl.core.rules import ScheduledRule
from scalectl_sim.serve.common import FaultReplies, Reply

VERSIONS = {"2018-04-19": "as", "2018-03-17": "clb", "2018-07-24": "monitor"}
DEFAULT_LIMIT = 20
CONTENT_TYPE = "application/json"
ZONE_PREFIX = "ap-guangzhou"


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def reply_with(payload: dict[str, Any], status: int = 200) -> Reply:
    body = {"Response": {**payload, "RequestId": str(uuid.uuid4())}}
    return Reply(status, json.dumps(body, ensure_ascii=False).encode(), content_type=CONTENT_TYPE)


def error_reply(code: str, message: str, status: int = 200) -> Reply:
    return reply_with({"Error": {"Code": code, "Message": message}}, status)


class TencentFaults(FaultReplies):
    def reply(self, kind: str, action: str) -> Reply:
        if kind == "throttle":
            return error_reply(
                "RequestLimitExceeded",
                "Your current request times equals to `20` in a second, which "
                "exceeds the frequency limit `20` for a second. Please reduce "
                "the frequency of calls.",
            )
        if kind == "auth":
            return error_reply(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        if kind == "503":
            return Reply(
                503,
                b"<html><body>503 Service Temporarily Unavailable</body></html>",
                content_type="text/html",
            )
        # Gateway-level 5xx: a non-200 status, which the SDK reports as ServerNetworkError.
        return error_reply("InternalError", "An internal error has occurred.", status=500)


def short_id(prefix: str, key: str) -> str:
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(8):
        digest, rest = divmod(digest, 36)
        out += chars[rest]
    return f"{prefix}-{out}"


class IdMap:
    """Tencent-style ids <-> sim keys; a collision is a bug in the world, so it fails loudly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {}

    def id(self, prefix: str, key: str) -> str:
        native = short_id(prefix, key)
        with self._lock:
            known = self._keys.setdefault(native, key)
        if known != key:
            raise RuntimeError(f"id collision: {native} for {known!r} and {key!r}")
        return native

    def key(self, native: str) -> str | None:
        with self._lock:
            return self._keys.get(native)


def filters_of(params: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in params.get("Filters") or []:
        out.setdefault(str(item.get("Name")), []).extend(str(v) for v in item.get("Values") or [])
    return out


def offset_page(params: dict[str, Any], items: list[Any]) -> tuple[list[Any], int]:
    offset = params.get("Offset", 0)
    limit = params.get("Limit", DEFAULT_LIMIT)
    if not isinstance(offset, int) or offset < 0:
        raise ApiError("InvalidParameterValue", "Offset must be a non-negative integer.")
    if not isinstance(limit, int) or not 1 <= limit <= m.MAX_LIMIT:
        raise ApiError(
            "InvalidParameterValue.LimitExceeded", f"Limit must be between 1 and {m.MAX_LIMIT}."
        )
    return items[offset : offset + limit], len(items)


def number_page(params: dict[str, Any], items: list[Any]) -> tuple[list[Any], int]:
    number = params.get("PageNumber", 1)
    size = params.get("PageSize", DEFAULT_LIMIT)
    if not isinstance(number, int) or number < 1:
        raise ApiError("InvalidParameterValue", "PageNumber starts at 1.")
    if not isinstance(size, int) or not 1 <= size <= m.MAX_LIMIT:
        raise ApiError("InvalidParameterValue", f"PageSize must be between 1 and {m.MAX_LIMIT}.")
    start = (number - 1) * size
    return items[start : start + size], len(items)


def ip_of(key: str) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{max(2, digest[2])}"


class ApiBase:
    """What every product's actions share: the world, the id map, and lookups by native id."""

    def __init__(self, reader: ProviderReader, writer: ProviderWriter | None, region: str) -> None:
        self.reader = reader
        self._writer = writer
        self.region = region
        self.ids = IdMap()
        self._instance_group: dict[str, str] = {}  # ins- id -> sim group name

    @property
    def writer(self) -> ProviderWriter:
        if self._writer is None:
            # `sim serve` on a read-only profile holds no writer at all.
            raise ApiError("UnauthorizedOperation", "This world is served read-only.")
        return self._writer

    # --- ids and lookups ----------------------------------------------------------------------

    def group_id(self, name: str) -> str:
        return self.ids.id("asg", name)

    def _resolve(self, native: str, refresh: Callable[[], object], what: str) -> str:
        key = self.ids.key(native)
        if key is None:
            refresh()  # ids are minted while listing: list once more, then look again
            key = self.ids.key(native)
        if key is None:
            raise ApiError(
                f"ResourceNotFound.{what}NotFound", f"The {what} `{native}` does not exist."
            )
        return key

    def group_name(self, native: str) -> str:
        return self._resolve(native, self._groups, "AutoScalingGroup")

    def instance_id(self, sim_id: str, group: str) -> str:
        native = self.ids.id("ins", sim_id)
        self._instance_group[native] = group
        return native

    def instance_group(self, native: str) -> str | None:
        if native not in self._instance_group:
            for group in self._groups():
                for inst in self.reader.get_group(group.name).instances:
                    self.instance_id(inst.id, group.name)
        return self._instance_group.get(native)

    def _groups(self) -> list[Group]:
        groups = self.reader.list_groups()
        for group in groups:
            self.group_id(group.name)
        return groups

    def _rules(self, group: str | None = None) -> list[Any]:
        rules = self.reader.list_rules(group)
        for rule in rules:
            prefix = "asst" if isinstance(rule, ScheduledRule) else "asp"
            self.ids.id(prefix, f"{rule.group}/{rule.name}")
        return rules

    def _rule(self, prefix: str, native: str, what: str) -> tuple[str, str]:
        key = self._resolve(native, self._rules, what)
        group, _, name = key.partition("/")
        return group, name

    def _balancers(self) -> list[Balancer]:
        balancers = self.reader.list_balancers()
        for lb in balancers:
            self.ids.id("lb", lb.id)
        return balancers
