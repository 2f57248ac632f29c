"""Alibaba-style ids for sim objects, and ESS/SLB time formats.

Every id is the cloud's prefix plus the base32 of the sim key, so the mapping is bijective and
stateless: ``asg-o5sgc`` is the sim group ``web`` and decodes back to it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from scalectl_alibaba import native

ACCOUNT_ID = "1406926474050000"  # the sim's fixed account (appears in ARIs)
_SEP = "\n"


def encode(prefix: str, *parts: str) -> str:
    raw = _SEP.join(parts).encode()
    return f"{prefix}-" + base64.b32encode(raw).decode().rstrip("=").lower()


def decode(prefix: str, ident: str, parts: int = 1) -> tuple[str, ...] | None:
    """The sim key(s) behind an id, or None when the id is not one of ours."""
    head = f"{prefix}-"
    if not ident.startswith(head):
        return None
    body = ident[len(head) :].upper()
    body += "=" * (-len(body) % 8)
    try:
        text = base64.b32decode(body).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    split = tuple(text.split(_SEP))
    return split if len(split) == parts else None


def group_id(name: str) -> str:
    return encode("asg", name)


def rule_id(group: str, name: str) -> str:
    return encode("asr", group, name)


def rule_ari(region: str, group: str, name: str) -> str:
    return f"ari:acs:ess:{region}:{ACCOUNT_ID}:scalingrule/{rule_id(group, name)}"


def rule_of_ari(ari: str) -> tuple[str, str] | None:
    """(group, rule name) from a scaling-rule ARI or a bare ``asr-`` id."""
    ident = ari.rsplit("/", 1)[-1]
    found = decode("asr", ident, 2)
    return (found[0], found[1]) if found else None


def alarm_task_id(kind: str, group: str, key: str) -> str:
    """``kind`` is ``rule`` (the alarm of a simple/step rule) or ``sim`` (a sim alarm)."""
    return encode("ata", kind, group, key)


def task_id(group: str, name: str) -> str:
    return encode("sst", group, name)


def instance_id(sim_id: str) -> str:
    return encode("i", sim_id)


def balancer_id(sim_id: str) -> str:
    return encode("lb", sim_id)


def activity_id(sim_id: str) -> str:
    return encode("asa", sim_id)


def ess_time(value: datetime | None) -> str | None:
    """ESS shows times as ``2014-08-14T10:58Z`` (UTC, minutes)."""
    return native.ess_time(value) if value is not None else None
