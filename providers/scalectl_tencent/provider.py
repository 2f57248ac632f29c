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
        return TencentReader(session)

    def open_writer(self, profile: Any, reader: Any) -> Any:
        from scalectl_tencent.reader import TencentReader
        from scalectl_tencent.writer import TencentWriter

        if not isinstance(reader, TencentReader):
            raise TypeError("the Tencent writer needs the Tencent reader of the same profile")
        return TencentWriter(reader)
