"""The sim's balancing algorithms, one test per algorithm over many requests.

Tolerances for the random algorithms come from the binomial distribution: with n requests and a
backend's expected share p, its count has standard deviation sqrt(n p (1 - p)); we allow 4 of them
(a false failure about once in 15,000 runs for each backend, and the seeds are fixed anyway).
"""

from __future__ import annotations

import math
import random

import pytest
from scalectl_sim import balancing
from scalectl_sim.balancing import (
    HashRing,
    Target,
    client_ip,
    distribute,
    sample_requests,
    simulate,
)

N = 4000


def _within_binomial(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_round_robin_gives_equal_shares() -> None:
    targets = [Target(f"b{i}") for i in range(5)]
    dist = simulate("round_robin", targets, N, key="rr")
    assert sorted(dist.counts.values()) == [N // 5] * 5


def test_smooth_weighted_round_robin_follows_weights_exactly() -> None:
    weights = [100, 200, 300, 400]
    targets = [Target(f"b{w}", weight=w) for w in weights]
    dist = simulate("weighted_round_robin", targets, N, key="wrr")
    for w in weights:
        # Smooth WRR repeats a cycle of sum(weights)/gcd picks: off by at most one cycle part.
        assert abs(dist.counts[f"b{w}"] - N * w / sum(weights)) <= 1


def test_smooth_weighted_round_robin_interleaves() -> None:
    """nginx's smooth WRR spreads the heavy backend's turns instead of sending bursts."""
    targets = [Target("a", weight=5), Target("b", weight=1), Target("c", weight=1)]
    rng = random.Random(0)
    requests = sample_requests(7, rng)
    # Replay prefixes and record each pick: a a b a c a a (nginx's documented example).
    seq = []
    for i in range(1, 8):
        before = distribute("weighted_round_robin", targets, requests[: i - 1], rng).counts
        after = distribute("weighted_round_robin", targets, requests[:i], rng).counts
        seq.append(next(k for k in after if after[k] != before[k]))
    assert seq == ["a", "a", "b", "a", "c", "a", "a"]


def test_random_is_uniform() -> None:
    targets = [Target(f"b{i}") for i in range(4)]
    dist = simulate("random", targets, N, key="random")
    for count in dist.counts.values():
        assert _within_binomial(count, N, 0.25)


def test_weighted_random_follows_weights() -> None:
    weights = [100, 200, 300, 400]
    targets = [Target(f"b{w}", weight=w) for w in weights]
    dist = simulate("weighted_random", targets, N, key="wrand")
    for w in weights:
        assert _within_binomial(dist.counts[f"b{w}"], N, w / sum(weights))


def test_least_connections_prefers_idle_backends() -> None:
    # "busy" starts with 40 long-lived connections; the idle ones take the new requests first.
    targets = [Target("busy", active=40), Target("idle1"), Target("idle2")]
    dist = simulate("least_connections", targets, N, key="lc", concurrency=2.0)
    assert dist.counts["busy"] < 0.1 * N
    assert dist.counts["idle1"] > 0.4 * N and dist.counts["idle2"] > 0.4 * N
    # With no head start the same backends share evenly.
    even = simulate("least_connections", [Target(f"b{i}") for i in range(3)], N, key="lc")
    for count in even.counts.values():
        assert abs(count - N / 3) < 0.05 * N


def test_weighted_least_connections_follows_weights_under_load() -> None:
    targets = [Target("small", weight=100), Target("big", weight=300)]
    dist = simulate("weighted_least_connections", targets, N, key="wlc", concurrency=8.0)
    share = dist.counts["big"] / N
    assert 0.65 < share < 0.85  # the weight ratio says 0.75


def test_least_outstanding_requests_prefers_the_fastest() -> None:
    targets = [Target("slow1", speed=1.0), Target("slow2", speed=1.0), Target("fast", speed=4.0)]
    dist = simulate("least_outstanding_requests", targets, N, key="lor", concurrency=4.0)
    assert dist.counts["fast"] > 0.45 * N
    assert dist.counts["fast"] > 1.5 * max(dist.counts["slow1"], dist.counts["slow2"])
    # Round robin, blind to speed, would give each a third.
    rr = simulate("round_robin", targets, N, key="lor")
    assert abs(rr.counts["fast"] - N / 3) <= 1


def test_source_ip_hash_is_sticky_and_moves_only_the_lost_backends_clients() -> None:
    ids = [f"i-{n}" for n in range(5)]
    ring = HashRing(ids)
    clients = [client_ip(i) for i in range(3000)]
    before = {c: ring.lookup(c) for c in clients}
    # Sticky: the same client always lands on the same backend, whatever else happens.
    assert all(ring.lookup(c) == before[c] for c in clients[:100])
    # Reasonably even: 100 virtual nodes per backend.
    for backend in ids:
        share = sum(1 for b in before.values() if b == backend) / len(clients)
        assert 0.1 < share < 0.3
    # i-2 leaves: only its clients move, and they spread over the others.
    after_ring = HashRing([b for b in ids if b != "i-2"])
    moved = {c for c in clients if after_ring.lookup(c) != before[c]}
    assert moved == {c for c in clients if before[c] == "i-2"}
    assert len({after_ring.lookup(c) for c in moved}) >= 3


def test_source_ip_hash_distribution_matches_the_ring() -> None:
    targets = [Target(f"i-{n}") for n in range(4)]
    rng = random.Random(5)
    requests = sample_requests(2000, rng)
    dist = distribute("source_ip_hash", targets, requests, rng)
    ring = HashRing([t.id for t in targets])
    expected: dict[str, int] = {t.id: 0 for t in targets}
    for r in requests:
        expected[ring.lookup(r.client)] += 1
    assert dist.counts == expected


@pytest.mark.parametrize("algorithm", balancing.ALGORITHMS)
def test_unhealthy_and_weight_zero_backends_get_nothing(algorithm: str) -> None:
    targets = [
        Target("ok1"),
        Target("sick", healthy=False),
        Target("ok2", weight=200),
        Target("zero", weight=0),
    ]
    dist = simulate(algorithm, targets, 2000, key=f"elig-{algorithm}")
    assert dist.counts["sick"] == 0
    assert dist.counts["zero"] == 0
    assert dist.counts["ok1"] + dist.counts["ok2"] == 2000
    assert dist.counts["ok1"] > 0 and dist.counts["ok2"] > 0


def test_no_eligible_backend_takes_nothing() -> None:
    dist = simulate("round_robin", [Target("sick", healthy=False)], 100, key="none")
    assert dist.counts == {"sick": 0}
    assert dist.total == 0


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown balancing algorithm"):
        simulate("fastest_guess", [Target("a")], 10, key="x")


def test_load_model() -> None:
    assert balancing.cpu_percent(0.5) == pytest.approx(51.0)
    assert balancing.cpu_percent(3.0) == 100.0
    # Latency grows sharply near saturation and keeps growing past it.
    low, mid, high, over = (balancing.latency_ms(r, 40.0) for r in (0.1, 0.5, 0.9, 1.5))
    assert low < mid < high < over
    assert high > 5 * low
    # Errors stay at the floor until capacity is exceeded, then the excess is shed.
    assert balancing.error_rate(0.9) == balancing.error_rate(0.2)
    assert balancing.error_rate(2.0) == pytest.approx(0.05 + 50.0)
