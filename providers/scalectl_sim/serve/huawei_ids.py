"""Stable Huawei-style ids for sim objects, and the way back.

AS, ELB and instance ids are UUIDs (uuid5 of a kind and the sim's own key: they survive restarts);
CES alarm ids are "al" + 22 letters/digits as documented for ListAlarms ``start``. The mapping back
is a lookup over the sim's current objects, so it stays bijective without any stored table.
"""

from __future__ import annotations

import hashlib
import string
import uuid

_NAMESPACE = uuid.UUID("5c2e8f3a-6a51-4d8e-9d55-3f4e0b1f7a10")
_ALPHABET = string.digits + string.ascii_letters


def uid(kind: str, *key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join((kind, *key))))


def alarm_id(*key: str) -> str:
    number = int.from_bytes(hashlib.sha256("/".join(key).encode()).digest()[:17], "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "al" + "".join(chars)


def group_id(name: str) -> str:
    return uid("group", name)


def instance_id(sim_id: str) -> str:
    return uid("instance", sim_id)


def policy_id(group: str, rule: str) -> str:
    return uid("policy", group, rule)


def balancer_id(sim_id: str) -> str:
    return uid("loadbalancer", sim_id)


def listener_id(balancer: str, port: int) -> str:
    return uid("listener", balancer, str(port))


def pool_id(balancer: str, port: int) -> str:
    return uid("pool", balancer, str(port))


def member_id(balancer: str, port: int, backend: str) -> str:
    return uid("member", balancer, str(port), backend)


def activity_id(sim_id: str) -> str:
    return uid("activity", sim_id)
