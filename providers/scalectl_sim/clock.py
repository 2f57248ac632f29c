"""The sim's clock and identity: what a reader needs before (or without) loading the world.

Time is an integer count of minutes since the Unix epoch; shown in the shop's offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

# The sim shows its clock in the shop's offset (Asia/Shanghai has had no DST since 1991).
SIM_TZ = timezone(timedelta(hours=8))
# The eve of Singles' Day: where a new world's clock stands once its history is pre-simulated.
START = datetime(2026, 11, 10, 0, 0, tzinfo=SIM_TZ)
PROVIDER = "sim"
REGION = "sim-local-1"


def minute_of(at: datetime) -> int:
    return int(at.timestamp()) // 60


@lru_cache(maxsize=4096)
def at_minute(minute: int) -> datetime:
    # Cached: every group's autoscaler asks for the same instant within one tick.
    return datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(SIM_TZ)
