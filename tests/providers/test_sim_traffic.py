"""The sim's traffic: daily and weekly waves in Asia/Shanghai, seeded noise, flash sales."""

from __future__ import annotations

from datetime import datetime

from scalectl_sim import traffic
from scalectl_sim.clock import SIM_TZ, minute_of
from scalectl_sim.generators import shop_world
from scalectl_sim.world import FlashSale


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return minute_of(datetime(year, month, day, hour, minute, tzinfo=SIM_TZ))


def test_daily_wave_peaks_in_the_shanghai_evening() -> None:
    tuesday = [traffic.wave(_at(2026, 11, 10, h)) for h in range(24)]
    assert max(range(24), key=lambda h: tuesday[h]) in (20, 21, 22)
    assert min(range(24), key=lambda h: tuesday[h]) in (3, 4, 5, 6)
    assert tuesday[21] > 3 * tuesday[4]


def test_weekend_is_busier_than_a_weekday() -> None:
    saturday, tuesday = _at(2026, 11, 14, 15), _at(2026, 11, 10, 15)
    assert traffic.wave(saturday) > 1.2 * traffic.wave(tuesday)


def test_noise_depends_only_on_seed_group_and_minute() -> None:
    minutes = [_at(2026, 11, 10, 12, m) for m in range(60)]
    forward = [traffic.noise(42, "web", m) for m in minutes]
    backward = [traffic.noise(42, "web", m) for m in reversed(minutes)][::-1]
    assert forward == backward  # no hidden state: the order of looking changes nothing
    assert forward != [traffic.noise(43, "web", m) for m in minutes]
    assert forward != [traffic.noise(42, "api", m) for m in minutes]
    assert 0.8 < sum(forward) / len(forward) < 1.2


def test_flash_sale_ramps_holds_and_decays() -> None:
    world = shop_world(42, _at(2026, 11, 10, 0))
    web = world.groups["web"]
    start = _at(2026, 11, 10, 14)
    sale = FlashSale("sale-x", start, ramp=5, hold=30, decay=10, multiplier=4.0, groups=["web"])
    factors = [traffic.flash_factor([sale], web, start + t) for t in range(-2, 50)]
    assert factors[:2] == [1.0, 1.0]  # before
    ramp = factors[2:7]
    assert ramp == sorted(ramp) and ramp[-1] == 4.0  # ramps up over 5 minutes
    assert set(factors[7:37]) == {4.0}  # holds
    decay = factors[37:47]
    assert decay == sorted(decay, reverse=True) and 1.0 < decay[-1] < 1.5  # decays
    assert factors[47:] == [1.0] * len(factors[47:])  # over
    # Other groups are not in this sale; a sensitive group feels a whole-shop sale more.
    assert traffic.flash_factor([sale], world.groups["api"], start + 10) == 1.0
    everyone = FlashSale("sale-y", start, 5, 30, 10, 4.0)
    checkout = world.groups["checkout"]
    assert traffic.flash_factor([everyone], checkout, start + 10) > 4.0
    assert traffic.load(42, web, start + 10, [sale]) > 3 * traffic.load(42, web, start + 10)
