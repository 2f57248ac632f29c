"""Load-balancing algorithms over simulated requests, and what a backend's load does to it.

``distribute`` replays a bounded sample of requests (arrival times, client IPs, durations) through
one algorithm and returns how many each backend took; the engine scales those shares to the full
load. Only healthy backends with a weight above 0 are eligible for new requests (unhealthy,
unregistered and draining ones are simply not passed in as eligible).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

ALGORITHMS = (
    "round_robin",
    "weighted_round_robin",
    "random",
    "weighted_random",
    "least_connections",
    "weighted_least_connections",
    "least_outstanding_requests",
    "source_ip_hash",
)
CONNECTION_BASED = frozenset(
    ("least_connections", "weighted_least_connections", "least_outstanding_requests")
)
RING_VNODES = 100  # virtual nodes per backend on the source-IP hash ring


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    weight: int = 100
    speed: float = 1.0  # relative service rate: a speed-2 backend finishes requests twice as fast
    healthy: bool = True
    active: int = 0  # connections already open when the sample starts (long-lived clients)


class Request(NamedTuple):
    at: float  # seconds into the minute
    client: str  # client IP
    duration: float  # seconds at speed 1


@dataclass(frozen=True, slots=True)
class Distribution:
    counts: dict[str, int]  # requests per backend id (ineligible ones get 0)
    connections: dict[str, int]  # open connections per backend at the end of the sample
    total: int

    def shares(self) -> dict[str, float]:
        if self.total == 0:
            return {k: 0.0 for k in self.counts}
        return {k: v / self.total for k, v in self.counts.items()}


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class HashRing:
    """Consistent hashing: a client maps to the first backend point clockwise of its hash, so when a
    backend leaves only its own clients move, and everyone else stays where they were."""

    def __init__(self, ids: Sequence[str], vnodes: int = RING_VNODES) -> None:
        points = sorted((_hash64(f"{tid}#{v}"), tid) for tid in ids for v in range(vnodes))
        self._keys = [p[0] for p in points]
        self._ids = [p[1] for p in points]

    def lookup(self, client: str) -> str:
        if not self._keys:
            raise LookupError("no eligible backend on the ring")
        i = bisect.bisect(self._keys, _hash64(client)) % len(self._keys)
        return self._ids[i]


@lru_cache(maxsize=1024)
def _ring(ids: tuple[str, ...]) -> HashRing:
    # A ring is read-only once built, and a backend set keeps its ring from minute to minute.
    return HashRing(ids)


@lru_cache(maxsize=65536)
def client_ip(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def sample_requests(
    n: int, rng: random.Random, *, clients: int = 500, mean_duration: float = 1.0
) -> list[Request]:
    """``n`` requests over a minute, from a pool of client IPs, with exponential durations."""
    times = sorted(rng.random() * 60.0 for _ in range(n))
    rand, expo = rng.random, rng.expovariate
    return [Request(t, client_ip(int(rand() * clients)), expo(1.0) * mean_duration) for t in times]


def eligible(targets: Sequence[Target]) -> list[Target]:
    return [t for t in targets if t.healthy and t.weight > 0]


def distribute(
    algorithm: str, targets: Sequence[Target], requests: Sequence[Request], rng: random.Random
) -> Distribution:
    """Route ``requests`` (in arrival order) over ``targets`` with ``algorithm``."""
    counts = {t.id: 0 for t in targets}
    pool = eligible(targets)
    active = [t.active for t in pool]
    if not pool:
        return Distribution(counts, {t.id: 0 for t in targets}, 0)
    k = len(pool)
    finishing: list[tuple[float, int]] = []  # (end time, index) of open connections
    ring = _ring(tuple(t.id for t in pool)) if algorithm == "source_ip_hash" else None
    index_of = {t.id: i for i, t in enumerate(pool)}
    weights = [t.weight for t in pool]
    total_weight = sum(weights)
    cumulative = [sum(weights[: i + 1]) for i in range(k)]
    current = [0] * k  # smooth weighted round robin state (nginx)
    turn = 0

    tracked = algorithm in CONNECTION_BASED
    for request in requests:
        while finishing and finishing[0][0] <= request.at:
            _, done = heapq.heappop(finishing)
            active[done] -= 1
        if algorithm == "round_robin":
            i = turn % k
        elif algorithm == "weighted_round_robin":
            for j in range(k):
                current[j] += weights[j]
            i = max(range(k), key=lambda j: current[j])
            current[i] -= total_weight
        elif algorithm == "random":
            i = rng.randrange(k)
        elif algorithm == "weighted_random":
            i = bisect.bisect(cumulative, rng.random() * total_weight)
        elif algorithm in ("least_connections", "least_outstanding_requests"):
            # Ties rotate, so idle backends share the work evenly.
            i = min(range(k), key=lambda j: (active[j], (j - turn) % k))
        elif algorithm == "weighted_least_connections":
            i = min(range(k), key=lambda j: (active[j] / weights[j], -weights[j], (j - turn) % k))
        elif algorithm == "source_ip_hash":
            assert ring is not None
            i = index_of[ring.lookup(request.client)]
        else:
            raise ValueError(f"unknown balancing algorithm {algorithm!r}")
        turn += 1
        counts[pool[i].id] += 1
        # A connection's length is the client's (keep-alive) for least connections; a request's is
        # the backend's service time for least outstanding requests and everything else.
        if not tracked:
            continue
        duration = request.duration
        if algorithm != "least_connections" and algorithm != "weighted_least_connections":
            duration = request.duration / pool[i].speed
        active[i] += 1
        heapq.heappush(finishing, (request.at + duration, i))
    connections = {t.id: 0 for t in targets}
    for t, n in zip(pool, active, strict=True):
        connections[t.id] = n
    return Distribution(counts, connections, len(requests))


def simulate(
    algorithm: str, targets: Sequence[Target], n: int, *, key: str, concurrency: float = 2.0
) -> Distribution:
    """Distribute ``n`` synthetic requests, seeded by ``key``; ``concurrency`` is the mean number of
    requests in flight per backend (busier backends hold more)."""
    rng = random.Random(key)
    k = max(1, len(eligible(targets)))
    mean_duration = concurrency * 60.0 * k / max(n, 1)
    return distribute(algorithm, targets, sample_requests(n, rng, mean_duration=mean_duration), rng)


# ---------------------------------------------------------------------------------------------
# What load does to a backend


def utilization(load_rpm: float, capacity_rpm: float) -> float:
    """Offered load over capacity (1.0 = saturated)."""
    return load_rpm / capacity_rpm if capacity_rpm > 0 else 0.0


def cpu_percent(rho: float) -> float:
    return min(100.0, 2.0 + 98.0 * rho)


def latency_ms(rho: float, base_ms: float) -> float:
    """M/M/1-like: base / (1 - rho), steep near saturation; past it the queue keeps growing."""
    knee = 0.95
    if rho < knee:
        return base_ms / (1.0 - rho)
    return base_ms / (1.0 - knee) * (1.0 + 4.0 * (rho - knee))


def error_rate(rho: float) -> float:
    """Percent of requests failing: a small floor, and the excess above capacity shed."""
    floor = 0.05
    if rho <= 1.0:
        return floor
    return min(100.0, floor + 100.0 * (rho - 1.0) / rho)
