"""Open a Console for a profile: load the provider plugin (entry point), the reader, the writer.

Plugins are imported only here, only for the profile in use, so a command never pays for an SDK
it does not use. A read-only profile (or ``--read-only``, or ``monitor``) never opens a writer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import import_module
from typing import Any, cast

from scalectl.config import Paths, Profile
from scalectl.core.audit import Actor, AuditLog
from scalectl.core.console import Console
from scalectl.core.errors import InputError
from scalectl.core.provider import ProviderPlugin, ProviderReader, ProviderWriter

EXTRAS = {"aws": "aws", "alibaba": "alibaba", "tencent": "tencent", "huawei": "huawei"}

# The built-in plugins, as pyproject.toml registers them: looked up here first because scanning
# every installed distribution's entry points costs more than the rest of a small command.
BUILT_IN = {
    "sim": "scalectl_sim.provider:SimProvider",
    "aws": "scalectl_aws.provider:AwsProvider",
    "alibaba": "scalectl_alibaba.provider:AlibabaProvider",
    "tencent": "scalectl_tencent.provider:TencentProvider",
    "huawei": "scalectl_huawei.provider:HuaweiProvider",
}


def _load(provider: str) -> Any:
    target = BUILT_IN.get(provider)
    if target is not None:
        module, attribute = target.split(":")
        return getattr(import_module(module), attribute)
    from importlib.metadata import entry_points  # scanning installed packages costs ~15 ms

    matches = entry_points(group="scalectl.providers", name=provider)
    if not matches:
        raise InputError(f"no provider plugin named {provider!r} is installed", field="provider")
    return next(iter(matches)).load()


def load_plugin(provider: str) -> ProviderPlugin:
    try:
        factory: Any = _load(provider)
    except ImportError as exc:
        extra = EXTRAS.get(provider, provider)
        raise InputError(
            f"the {provider} provider needs its SDK ({exc.name or exc}); "
            f"install it with: pip install 'scalectl[{extra}]'",
            field="provider",
        ) from None
    plugin: ProviderPlugin = factory() if isinstance(factory, type) else factory
    return plugin


def open_console(profile: Profile, paths: Paths) -> Console:
    plugin = load_plugin(profile.provider)
    reader = plugin.open_reader(profile)
    writer = None if profile.read_only else _on_first_use(plugin, profile, reader)
    return Console(
        profile=profile.name,
        reader=reader,
        writer=writer,
        audit=AuditLog(paths.audit_log),
        actor=Actor.current(identity=_identity(reader)),
        read_only=profile.read_only,
        step_limit=profile.step_limit,
    )


class _WriterOnFirstUse:
    """The provider's writer, opened by the first mutation that passed the Console's gate: a
    read command never imports a writer module (nor the rule schema it needs)."""

    def __init__(self, plugin: ProviderPlugin, profile: Profile, reader: ProviderReader) -> None:
        self._open: Callable[[], ProviderWriter] = lambda: plugin.open_writer(profile, reader)
        self._writer: ProviderWriter | None = None
        self._lock = threading.Lock()  # TUI workers may write from two threads

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._writer is None:
                self._writer = self._open()
        return getattr(self._writer, name)


def _on_first_use(
    plugin: ProviderPlugin, profile: Profile, reader: ProviderReader
) -> ProviderWriter:
    return cast(ProviderWriter, _WriterOnFirstUse(plugin, profile, reader))


def _identity(reader: Any) -> str:
    try:
        return str(reader.identity())
    except Exception:  # identity is best-effort decoration, never a reason to fail
        return ""
