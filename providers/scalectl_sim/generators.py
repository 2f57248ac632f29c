"""World generators: the "shop" (the default, deterministic for a seed) and the "large" world
(thousands of groups, for performance)."""

from __future__ import annotations

from datetime import datetime

from scalectl.core.model import Comparison
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    PredictiveMode,
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
)
from scalectl_sim.clock import SIM_TZ, minute_of
from scalectl_sim.world import (
    ZONES,
    FlashSale,
    SimAlarm,
    SimBalancer,
    SimGroup,
    SimListener,
    World,
    unit_hash,
)


def _group(
    name: str,
    *,
    min_size: int,
    max_size: int,
    desired: int,
    capacity_rpm: float,
    base_rpm: float,
    boot_s: int,
    warmup_s: int,
    latency_ms: float = 40.0,
    flash_sensitivity: float = 1.0,
    large_every: int = 0,
    zones: tuple[str, ...] = ZONES,
) -> SimGroup:
    return SimGroup(
        id=f"asg-{name}",
        name=name,
        min=min_size,
        max=max_size,
        desired=desired,
        zones=list(zones),
        capacity_rpm=capacity_rpm,
        base_rpm=base_rpm,
        boot_s=boot_s,
        warmup_s=warmup_s,
        latency_ms=latency_ms,
        flash_sensitivity=flash_sensitivity,
        large_every=large_every,
    )


def shop_world(seed: int, start: int) -> World:
    """The shop: six groups over three zones, three balancers using every algorithm, alarms, and
    rules of every kind. ``start`` is the minute the world begins (its history is simulated on)."""
    rng_scale = 0.9 + 0.2 * unit_hash(
        seed, "shop-scale"
    )  # the seed shifts the shop's size a little
    groups = [
        _group(
            "web",
            min_size=3,
            max_size=40,
            desired=12,
            capacity_rpm=1200,
            base_rpm=7800 * rng_scale,
            boot_s=120,
            warmup_s=180,
            latency_ms=35,
        ),
        _group(
            "api",
            min_size=3,
            max_size=30,
            desired=10,
            capacity_rpm=1500,
            base_rpm=7200 * rng_scale,
            boot_s=90,
            warmup_s=120,
            latency_ms=25,
        ),
        _group(
            "checkout",
            min_size=2,
            max_size=24,
            desired=5,
            capacity_rpm=600,
            base_rpm=1900 * rng_scale,
            boot_s=150,
            warmup_s=240,
            latency_ms=80,
            flash_sensitivity=1.4,
            large_every=3,
        ),
        _group(
            "search",
            min_size=2,
            max_size=20,
            desired=5,
            capacity_rpm=900,
            base_rpm=3100 * rng_scale,
            boot_s=180,
            warmup_s=300,
            latency_ms=60,
            flash_sensitivity=0.8,
            large_every=4,
        ),
        _group(
            "cart",
            min_size=2,
            max_size=16,
            desired=5,
            capacity_rpm=1000,
            base_rpm=2000 * rng_scale,
            boot_s=100,
            warmup_s=150,
            latency_ms=30,
            flash_sensitivity=1.2,
        ),
        _group(
            "worker",
            min_size=2,
            max_size=20,
            desired=6,
            capacity_rpm=400,
            base_rpm=1300 * rng_scale,
            boot_s=120,
            warmup_s=120,
            latency_ms=200,
            flash_sensitivity=0.6,
        ),
    ]
    for g in groups:
        g.created = start
    balancers = [
        SimBalancer(
            "lb-shop-alb",
            "shop-alb",
            "alb",
            [
                SimListener("lst-web-443", "HTTPS", 443, "round_robin", "round_robin", "web"),
                SimListener(
                    "lst-api-443",
                    "HTTPS",
                    8443,
                    "least_outstanding_requests",
                    "least_outstanding_requests",
                    "api",
                    0.7,
                ),
                SimListener(
                    "lst-search-443", "HTTPS", 9443, "weighted_random", "weighted_random", "search"
                ),
            ],
        ),
        SimBalancer(
            "lb-shop-clb",
            "shop-clb",
            "clb",
            [
                SimListener(
                    "lst-checkout-443", "HTTPS", 443, "weighted_round_robin", "wrr", "checkout", 0.8
                ),
                SimListener("lst-checkout-80", "HTTP", 80, "round_robin", "rr", "checkout", 0.2),
                SimListener("lst-cart-443", "HTTPS", 8443, "source_ip_hash", "sch", "cart", 0.6),
                SimListener(
                    "lst-cart-8080", "HTTP", 8080, "weighted_least_connections", "wlc", "cart", 0.4
                ),
            ],
        ),
        SimBalancer(
            "lb-internal",
            "internal-lb",
            "nginx",
            [
                SimListener(
                    "lst-api-9000", "HTTP", 9000, "least_connections", "least_conn", "api", 0.3
                ),
                SimListener("lst-worker-9100", "HTTP", 9100, "random", "random", "worker"),
            ],
        ),
    ]
    for b in balancers:
        for lst in b.listeners:
            owner = next(g for g in groups if g.name == lst.group)
            if b.id not in owner.balancer_ids:
                owner.balancer_ids.append(b.id)
    alarms = [
        SimAlarm("alarm-web-latency", "web-latency-high", "web", "latency_ms", ">", 400, 5, 3),
        SimAlarm("alarm-api-cpu", "api-cpu-high", "api", "cpu", ">", 85, 5, 5),
        SimAlarm(
            "alarm-checkout-errors", "checkout-5xx-rate", "checkout", "error_rate", ">", 1.0, 3, 2
        ),
        SimAlarm(
            "alarm-checkout-latency",
            "checkout-latency-high",
            "checkout",
            "latency_ms",
            ">=",
            600,
            3,
            3,
        ),
        SimAlarm("alarm-search-cpu", "search-cpu-high", "search", "cpu", ">", 80, 4, 3),
        SimAlarm(
            "alarm-worker-errors",
            "worker-error-rate",
            "worker",
            "error_rate",
            ">",
            2.0,
            5,
            3,
            "not_breaching",
        ),
        SimAlarm("alarm-cart-latency", "cart-latency-high", "cart", "latency_ms", ">", 300, 3, 2),
        SimAlarm("alarm-checkout-cpu", "checkout-cpu-high", "checkout", "cpu", ">", 85, 3, 2),
        # Forecast: search CPU rising past 80 within 30 minutes (before search-cpu-high fires).
        SimAlarm(
            "alarm-search-cpu-forecast",
            "search-cpu-forecast",
            "search",
            "cpu",
            ">",
            80,
            kind="predictive",
            horizon_s=1800,
        ),
        # Checkout is degraded when it is slow and either failing or saturated.
        SimAlarm(
            "alarm-checkout-degraded",
            "checkout-degraded",
            "checkout",
            "",
            ">",
            0,
            kind="composite",
            rule='ALARM("checkout-latency-high") AND '
            '(ALARM("checkout-5xx-rate") OR ALARM("checkout-cpu-high"))',
        ),
    ]
    rules: dict[str, list[AnyRule]] = {
        "web": [
            TargetTrackingRule(
                name="cpu-55",
                group="web",
                metric="cpu",
                target=55,
                warmup_s=180,
                description="keep web CPU near 55 %",
            ),
            ScheduledRule(
                name="evening-prescale",
                group="web",
                cron="0 19 * * *",
                timezone="Asia/Shanghai",
                min=8,
                description="raise the floor before the evening peak",
            ),
            ScheduledRule(
                name="night-floor",
                group="web",
                cron="0 23 * * *",
                timezone="Asia/Shanghai",
                min=3,
                description="lower the floor again at night",
            ),
        ],
        "api": [
            TargetTrackingRule(
                name="requests-per-target-800",
                group="api",
                metric="requests_per_target",
                target=800,
                warmup_s=120,
            ),
        ],
        "checkout": [
            StepRule(
                name="cpu-step-out",
                group="checkout",
                metric="cpu",
                comparison=Comparison.GT,
                threshold=60,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                warmup_s=240,
                steps=[
                    Step(lower=0, upper=15, adjustment=1),
                    Step(lower=15, upper=30, adjustment=2),
                    Step(lower=30, upper=None, adjustment=4),
                ],
            ),
            StepRule(
                name="cpu-step-in",
                group="checkout",
                metric="cpu",
                comparison=Comparison.LT,
                threshold=30,
                evaluation_periods=10,
                steps=[
                    Step(lower=-10, upper=0, adjustment=-1),
                    Step(lower=None, upper=-10, adjustment=-2),
                ],
            ),
            ScheduledRule(
                name="singles-day-eve",
                group="checkout",
                at=datetime(2026, 11, 10, 23, 30, tzinfo=SIM_TZ),
                timezone="Asia/Shanghai",
                min=6,
                desired=8,
                description="Singles' Day starts at midnight",
            ),
            ScheduledRule(
                name="singles-day-over",
                group="checkout",
                at=datetime(2026, 11, 12, 2, 0, tzinfo=SIM_TZ),
                timezone="Asia/Shanghai",
                min=2,
            ),
        ],
        "search": [
            TargetTrackingRule(
                name="cpu-60", group="search", metric="cpu", target=60, warmup_s=300
            ),
            PredictiveRule(
                name="forecast-cpu-50",
                group="search",
                metric="cpu",
                target=50,
                mode=PredictiveMode.FORECAST_ONLY,
            ),
        ],
        "cart": [
            TargetTrackingRule(name="cpu-50", group="cart", metric="cpu", target=50),
        ],
        "worker": [
            SimpleRule(
                name="cpu-high-add-2",
                group="worker",
                metric="cpu",
                comparison=Comparison.GT,
                threshold=70,
                evaluation_periods=3,
                adjustment=2,
                cooldown_s=300,
            ),
            SimpleRule(
                name="cpu-low-remove-1",
                group="worker",
                metric="cpu",
                comparison=Comparison.LT,
                threshold=25,
                evaluation_periods=10,
                adjustment=-1,
                cooldown_s=600,
            ),
        ],
    }
    sales = [
        # Singles' Day: the midnight rush, and the evening's second wave.
        FlashSale(
            "sale-0001", minute_of(datetime(2026, 11, 11, 0, 0, tzinfo=SIM_TZ)), 5, 45, 40, 4.0
        ),
        FlashSale(
            "sale-0002", minute_of(datetime(2026, 11, 11, 20, 0, tzinfo=SIM_TZ)), 10, 60, 60, 3.0
        ),
    ]
    return World(
        name="shop",
        seed=seed,
        now=start,
        groups={g.name: g for g in groups},
        balancers=balancers,
        alarms=alarms,
        rules={k: sorted(v, key=lambda r: r.name) for k, v in rules.items()},
        flash_sales=sales,
        sale_seq=len(sales),
    )


LARGE_ALGORITHMS = (
    ("round_robin", "round_robin"),
    ("weighted_round_robin", "wrr"),
    ("random", "random"),
    ("weighted_random", "weighted_random"),
    ("least_connections", "least_conn"),
    ("least_outstanding_requests", "least_outstanding_requests"),
    ("source_ip_hash", "sch"),
)


def large_world(seed: int, start: int, n_groups: int = 2000, per_group: int = 20) -> World:
    """Many groups for performance: ~20 instances each, an alarm for every other group, and
    balancers in front of one group in ten. Metric history is kept for a shorter window."""
    groups: dict[str, SimGroup] = {}
    rules: dict[str, list[AnyRule]] = {}
    alarms: list[SimAlarm] = []
    listeners: list[SimListener] = []
    for n in range(n_groups):
        name = f"svc-{n:04d}"
        h = unit_hash(seed, name, "size")
        capacity = 500 + 100 * int(10 * h)
        group = _group(
            name,
            min_size=max(2, per_group // 2),
            max_size=per_group * 3,
            desired=per_group,
            capacity_rpm=capacity,
            base_rpm=capacity * per_group * (0.7 + 0.3 * h),
            boot_s=90 + 30 * (n % 4),
            warmup_s=120 + 60 * (n % 4),
        )
        group.created = start
        groups[name] = group
        rules[name] = [
            TargetTrackingRule(name="cpu-target", group=name, metric="cpu", target=50 + 5 * (n % 4))
        ]
        if n % 2 == 0:
            metric, threshold = (("cpu", 85.0), ("latency_ms", 500.0))[(n // 2) % 2]
            alarms.append(
                SimAlarm(
                    f"alarm-{name}-{metric}",
                    f"{name}-{metric}-high",
                    name,
                    metric,
                    ">",
                    threshold,
                    5,
                    3,
                )
            )
        if n % 10 == 0:
            algorithm, native = LARGE_ALGORITHMS[(n // 10) % len(LARGE_ALGORITHMS)]
            listeners.append(
                SimListener(f"lst-{name}", "HTTP", 8000 + (n // 10) % 1000, algorithm, native, name)
            )
    balancers = []
    for b in range(0, len(listeners), 10):
        balancer = SimBalancer(
            f"lb-{b // 10:04d}", f"lb-{b // 10:04d}", "alb", listeners[b : b + 10]
        )
        balancers.append(balancer)
        for lst in balancer.listeners:
            groups[lst.group].balancer_ids.append(balancer.id)
    return World(
        name="large",
        seed=seed,
        now=start,
        groups=groups,
        balancers=balancers,
        alarms=alarms,
        rules=rules,
        history_days=0.125,
        sample_max=256,
    )
