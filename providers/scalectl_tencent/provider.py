"""Entry point ``scalectl.providers: tencent``. The SDK is imported only when a profile opens."""

from __future__ import annotations

from typing import Any


class TencentProvider:
    name = "tencent"

    def open_reader(self, profile: Any) -> Any:
        from scalectl_tencent.client import Session
        from scalectl_tencent.reader import TencentReader

        session = Session(
            region=profile.region or "ap-guangzhou",
            endpoint=profile.endpoint,
            timeout_s=profile.timeout_s,
            max_retries=profile.max_retries,
        )
        # Calls of one refresh share a snapshot that lives at most half a refresh period.
        ttl = min(2.0, float(getattr(profile, "refresh_s", 2.0)) / 2)
        return TencentReader(session, snapshot_ttl_s=ttl)

    def open_writer(self, profile: Any, reader: Any) -> Any:
        from scalectl_tencent.reader import TencentReader
        from scalectl_tencent.writer import TencentWriter

        if not isinstance(reader, TencentReader):
            raise TypeError("the Tencent writer needs the Tencent reader of the same profile")
        return TencentWriter(reader)
