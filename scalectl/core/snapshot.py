"""A refresh snapshot: values shared by the calls of one refresh, so a provider adapter fetches
each list once per refresh however many views ask for it (issue: calls per refresh equal what
paging requires). Concurrent callers wait for one fetch; a write clears it, and a value fetched
while a write happened is not kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class RefreshSnapshot:
    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._generation = 0

    def get(self, key: str, fetch: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self.peek(key)
            if hit is not None:
                return hit
            generation = self._generation
            value = fetch()
            with self._guard:
                if generation == self._generation:  # a write during the fetch: keep nothing
                    self._values[key] = (self._clock(), value)
            return value

    def peek(self, key: str) -> Any | None:
        hit = self._values.get(key)
        if hit is not None and self._clock() - hit[0] < self._ttl_s:
            return hit[1]
        return None

    def clear(self) -> None:
        with self._guard:
            self._generation += 1
            self._values.clear()
