"""The ``aws`` entry point: readers and writers over boto3 (imported only when used)."""

from __future__ import annotations

from typing import Any

from scalectl.core.provider import ProviderReader, ProviderWriter


class AwsProvider:
    """Opens an AWS reader for a profile (region, aws_profile, endpoint, timeout_s, max_retries)."""

    name = "aws"

    def open_reader(self, profile: Any) -> ProviderReader:
        from scalectl_aws.reader import SNAPSHOT_TTL_S, AwsReader
        from scalectl_aws.session import open_clients

        # Calls of one refresh share a snapshot that lives at most half a refresh period.
        ttl = min(SNAPSHOT_TTL_S, float(getattr(profile, "refresh_s", 2.0)) / 2)
        return AwsReader(open_clients(profile), snapshot_ttl_s=ttl)

    def open_writer(self, profile: Any, reader: ProviderReader) -> ProviderWriter:
        from scalectl_aws.reader import AwsReader
        from scalectl_aws.writer import AwsWriter

        # The writer shares the reader's clients and drops its snapshot after every write.
        if not isinstance(reader, AwsReader):
            reader = self.open_reader(profile)
        assert isinstance(reader, AwsReader)
        return AwsWriter(reader)
