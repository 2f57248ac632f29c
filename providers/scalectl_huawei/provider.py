"""Entry point of the Huawei Cloud provider (``scalectl.providers`` -> huawei).

Nothing here imports the SDK: the reader and writer import it when the profile is first used.
"""

from __future__ import annotations

from typing import Any

from scalectl.core.provider import ProviderReader, ProviderWriter


class HuaweiProvider:
    def open_reader(self, profile: Any) -> ProviderReader:
        from scalectl_huawei.reader import HuaweiReader

        return HuaweiReader(profile)

    def open_writer(self, profile: Any, reader: ProviderReader) -> ProviderWriter:
        from scalectl_huawei.reader import HuaweiReader
        from scalectl_huawei.writer import HuaweiWriter

        if not isinstance(reader, HuaweiReader):
            raise TypeError("a Huawei writer needs the Huawei reader of the same profile")
        return HuaweiWriter(reader)
