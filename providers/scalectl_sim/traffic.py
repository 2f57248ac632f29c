"""Load per group per minute: a daily and a weekly wave in the shop's time zone, seeded noise, and
flash sales. Pure functions of (seed, group, minute): the result never depends on who looks, or how
often."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from scalectl_sim.world import FlashSale, SimGroup, unit_hash_pair

SHOP_OFFSET_MIN = 8 * 60  # Asia/Shanghai, UTC+8 all year (no DST since 1991)
NOISE = 0.06  # relative standard deviation of minute-to-minute noise


def _bump(hour: float, centre: float, width: float) -> float:
    # Distance on the 24-hour circle, so the evening peak wraps past midnight smoothly.
    d = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-0.5 * (d / width) ** 2)


@lru_cache(maxsize=4096)
def _wave(local_minute_of_week: int) -> float:
    """Daily x weekly factor for a local minute of the week (0 = Thursday 00:00, as the epoch)."""
    day = (local_minute_of_week // 1440 + 3) % 7  # 0 = Monday
    hour = (local_minute_of_week % 1440) / 60
    daily = (
        0.18
        + 0.35 * _bump(hour, 10.5, 2.5)
        + 0.45 * _bump(hour, 13.0, 1.5)
        + 0.85 * _bump(hour, 21.0, 2.2)
    )
    weekly = 1.25 if day >= 5 else (1.08 if day == 4 and hour >= 17 else 1.0)
    return min(daily, 1.0) * weekly


def wave(minute: int) -> float:
    """The shop's normal load factor at ``minute`` (about 1 at a weekday's evening peak)."""
    local = minute + SHOP_OFFSET_MIN
    return _wave(local % (7 * 1440))


def noise(seed: int, group: str, minute: int) -> float:
    """A multiplicative noise factor around 1, from (seed, group, minute) alone."""
    u1, u2 = unit_hash_pair(seed, group, minute)
    u1 = max(u1, 1e-12)
    gauss = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return max(0.5, 1.0 + NOISE * gauss)


def flash_factor(sales: Sequence[FlashSale], group: SimGroup, minute: int) -> float:
    """The strongest sale running for ``group`` at ``minute``, scaled by its sensitivity."""
    best = 1.0
    for sale in sales:
        if sale.start <= minute < sale.end and (sale.groups is None or group.name in sale.groups):
            best = max(best, sale.factor(minute))
    return 1.0 + (best - 1.0) * group.flash_sensitivity


def load(seed: int, group: SimGroup, minute: int, sales: Sequence[FlashSale] = ()) -> float:
    """Requests per minute arriving for ``group`` during ``minute``."""
    return (
        group.base_rpm
        * wave(minute)
        * noise(seed, group.name, minute)
        * flash_factor(sales, group, minute)
    )
