"""What a new sim world costs, simulated and as this process's copy; and that the copy is exact.

Tests create many worlds: the first of a spec in a process is simulated (26 h of history for the
shop), later ones copy its tables. The copy must be the same world byte for byte, and stay the
same after the same commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from scalectl_sim.store import SimStore, WorldSpec, forget_fresh_worlds

pytestmark = pytest.mark.benchmark

TABLES = ("world", "metrics", "activities", "groups", "meta")


def _dump(store: SimStore) -> dict[str, list[tuple[object, ...]]]:
    # Rows in key order: the tables are compared, not their physical order on disk.
    return {t: sorted(store._db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}


def test_a_copied_world_is_the_simulated_world(tmp_path: Path, bench: Callable[..., None]) -> None:
    spec = WorldSpec("shop", 42)
    forget_fresh_worlds()
    start = time.perf_counter()
    simulated = SimStore(tmp_path / "simulated.db", spec)
    simulated.ensure()
    fresh = time.perf_counter() - start
    start = time.perf_counter()
    copied = SimStore(tmp_path / "copied.db", spec)
    copied.ensure()
    copy = time.perf_counter() - start
    assert _dump(copied) == _dump(simulated)
    # The same commands on both give the same bytes (the copy is loaded from its JSON, the
    # original was kept in memory by the process that simulated it).
    for store in (simulated, copied):
        store.advance(90, speed=0)
    assert _dump(copied) == _dump(simulated)
    simulated.close()
    copied.close()
    bench(
        "sim shop: new world, copied from this process's first",
        f"{copy * 1000:.0f} ms",
        "",
        f"simulated (26 h of history) {fresh * 1000:.0f} ms",
    )
