"""Configuration: profiles in TOML, paths, and the implicit ``sim`` default profile.

Precedence for the file: ``--config``, else ``$SCALECTL_CONFIG``, else ``config.toml`` in the config
dir. ``$SCALECTL_HOME``, when set, holds config, state and the audit log; otherwise the platform's
user config and data dirs. Credentials never live here: each SDK's own chain is used.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from scalectl.core.errors import InputError

PROVIDERS = ("sim", "aws", "alibaba", "tencent", "huawei")
SECRET_KEYS = ("secret", "password", "access_key", "secret_key", "token", "sk", "ak")


# msgspec, not pydantic, checks the config: every command reads it, and msgspec validates it in
# microseconds after a 2 ms import, where pydantic's import alone is ~0.1 s of a command's start.
class Profile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One named connection: a provider, a region, and how scalectl behaves on it."""

    name: str = ""
    provider: Literal["sim", "aws", "alibaba", "tencent", "huawei"]
    region: str = ""
    read_only: bool = False
    accent: str | None = None
    endpoint: str | None = None
    # AWS: a named profile from ~/.aws; otherwise the default credential chain.
    aws_profile: str | None = None
    # Huawei: the project id (else $HUAWEICLOUD_SDK_PROJECT_ID).
    project_id: str | None = None
    # sim: the world, its seed, its speed (simulated seconds per wall second; 0 = paused),
    # and the size of a generated "large" world.
    world: Literal["shop", "large"] = "shop"
    seed: int = 42
    speed: Annotated[float, Meta(ge=0, le=86400)] = 60.0  # at most a simulated day per second
    groups: Annotated[int, Meta(ge=1, le=20000)] = 2000
    # Guardrails.
    step_limit: Annotated[int, Meta(ge=1)] = 20
    # Calls to the provider: timeout per request and retries for retryable errors.
    timeout_s: Annotated[float, Meta(gt=0, le=300)] = 10.0
    max_retries: Annotated[int, Meta(ge=0, le=10)] = 3
    refresh_s: Annotated[float, Meta(ge=0.5, le=3600)] = 2.0

    def replace(self, **changes: Any) -> Profile:
        """A copy with some fields changed (checked again as when loaded)."""
        return _checked(msgspec.structs.replace(self, **changes))


def endpoint_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:  # "Invalid IPv6 URL", a port that is not a number, ...
        return f"endpoint {value!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not host:
        return f"endpoint {value!r} must be an http(s) URL"
    if parts.scheme == "http" and not _is_loopback(host):
        return (
            f"endpoint {value!r}: plain http is allowed only for loopback (127.0.0.1, ::1, "
            "localhost); use https"
        )
    return None


def _checked(profile: Profile) -> Profile:
    if profile.endpoint is not None:
        problem = endpoint_problem(profile.endpoint)
        if problem:
            raise InputError(problem, field="endpoint")
    return profile


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    default_profile: str = "sim"
    theme: str = "scalectl-dark"
    lang: str | None = None
    profiles: dict[str, Profile] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class Paths:
    config_file: Path
    config_dir: Path
    data_dir: Path

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def audit_log(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def themes_dir(self) -> Path:
        return self.config_dir / "themes"


def resolve_paths(config_option: str | os.PathLike[str] | None = None) -> Paths:
    home = os.environ.get("SCALECTL_HOME")
    if home:
        config_dir = Path(home)
        data_dir = Path(home)
    else:
        import platformdirs

        config_dir = Path(platformdirs.user_config_dir("scalectl"))
        data_dir = Path(platformdirs.user_data_dir("scalectl"))
    if config_option:
        config_file = Path(config_option)
    elif os.environ.get("SCALECTL_CONFIG"):
        config_file = Path(os.environ["SCALECTL_CONFIG"])
    else:
        config_file = config_dir / "config.toml"
    return Paths(config_file=config_file, config_dir=config_dir, data_dir=data_dir)


def _check_secret_file_mode(path: Path, raw: dict[str, Any]) -> None:
    """A config that holds anything secret-looking must be readable by its owner only."""

    def secret_keys(node: object, prefix: str = "") -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            for key, value in node.items():
                dotted = f"{prefix}.{key}" if prefix else str(key)
                if any(
                    word == str(key).lower() or str(key).lower().endswith("_" + word)
                    for word in SECRET_KEYS
                ):
                    found.append(dotted)
                found.extend(secret_keys(value, dotted))
        return found

    keys = secret_keys(raw)
    if not keys:
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(
            f"holds secret-looking key {keys[0]!r} but is readable by others "
            f"(mode {stat.S_IMODE(mode):o}); credentials belong in the SDK's own chain, "
            "or chmod 600 the file",
            source=str(path),
        )


_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?P<what>unknown|missing required) field `(?P<field>[^`]+)`")


def _validation_message(err: msgspec.ValidationError, prefix: str) -> tuple[str, str]:
    """msgspec's message as (dotted field path, message): "Expected `int` >= 1 - at `$.groups`"."""
    text = str(err)
    loc = prefix
    found = _AT.search(text)
    if found:
        text = text[: found.start()]
        loc = ".".join(p for p in (prefix, found.group("path")) if p)
    named = _NAMED.search(text)
    if named:
        loc = ".".join(p for p in (loc, named.group("field")) if p)
        text = "unknown key" if named.group("what") == "unknown" else "required"
    return loc, text


def _parse(raw: dict[str, Any]) -> Settings:
    """The settings from a TOML document, each profile checked on its own so an error names it."""
    try:
        settings = msgspec.convert({**raw, "profiles": {}}, Settings)
    except msgspec.ValidationError as exc:
        raise _Invalid(*_validation_message(exc, "")) from None
    profiles = raw.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _Invalid("profiles", "must be a table of profiles")
    parsed: dict[str, Profile] = {}
    for name, body in profiles.items():
        if not isinstance(body, dict):
            raise _Invalid(f"profiles.{name}", "must be a table")
        try:
            profile = msgspec.convert({"name": name, **body}, Profile)
        except msgspec.ValidationError as exc:
            raise _Invalid(*_validation_message(exc, f"profiles.{name}")) from None
        if profile.endpoint is not None:
            problem = endpoint_problem(profile.endpoint)
            if problem:
                raise _Invalid(f"profiles.{name}.endpoint", problem)
        parsed[name] = profile
    return msgspec.structs.replace(settings, profiles=parsed)


class _Invalid(Exception):
    def __init__(self, loc: str, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _line_of(text: str, loc: str) -> int | None:
    """Best-effort line of a dotted key path such as ``profiles.prod.endpoint``."""
    parts = loc.split(".")
    if not parts:
        return None
    lines = text.splitlines()
    table_line = None
    if len(parts) >= 2 and parts[0] == "profiles":
        for number, line in enumerate(lines, 1):
            stripped = line.strip().replace('"', "").replace("'", "")
            if stripped == f"[profiles.{parts[1]}]":
                table_line = number
                break
        if table_line is None:
            return None
        if len(parts) == 2:
            return table_line
        key = parts[2]
        for number in range(table_line + 1, len(lines) + 1):
            stripped = lines[number - 1].strip()
            if stripped.startswith("["):
                break
            if stripped.split("=", 1)[0].strip() == key:
                return number
        return table_line
    for number, line in enumerate(lines, 1):
        if line.strip().split("=", 1)[0].strip() == parts[0]:
            return number
    return None


def load_settings(paths: Paths) -> Settings:
    """Read the config file; a missing file means defaults. Errors name the file and line."""
    path = paths.config_file
    if not path.exists():
        if os.environ.get("SCALECTL_CONFIG") and path == Path(os.environ["SCALECTL_CONFIG"]):
            raise InputError("config file does not exist", source=str(path))
        return with_default_profiles(Settings())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc)
        if line is None:
            # Python 3.11's message ends with "(at line L, column C)".
            match = re.search(r"at line (\d+)", message)
            line = int(match.group(1)) if match else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)$", "", message)
        else:
            message = getattr(exc, "msg", message)
        raise InputError(f"TOML syntax error: {message}", source=str(path), line=line) from None
    _check_secret_file_mode(path, raw)
    try:
        settings = _parse(raw)
    except _Invalid as exc:
        raise InputError(
            exc.message, source=str(path), line=_line_of(text, exc.loc), field=exc.loc
        ) from None
    settings = with_default_profiles(settings)
    if settings.default_profile not in settings.profiles:
        raise InputError(
            f"default_profile {settings.default_profile!r} is not a profile here "
            f"(known: {', '.join(sorted(settings.profiles))})",
            source=str(path),
            line=_line_of(text, "default_profile"),
            field="default_profile",
        )
    return settings


def with_default_profiles(settings: Settings) -> Settings:
    """The ``sim`` profile always exists unless the file defines its own."""
    if "sim" in settings.profiles:
        return settings
    profiles = {
        "sim": Profile(name="sim", provider="sim", region="sim-local-1"),
        **settings.profiles,
    }
    return msgspec.structs.replace(settings, profiles=profiles)


def pick_profile(settings: Settings, name: str | None, *, read_only: bool = False) -> Profile:
    chosen = name or settings.default_profile
    try:
        profile = settings.profiles[chosen]
    except KeyError:
        raise InputError(
            f"unknown profile {chosen!r} (known: {', '.join(sorted(settings.profiles))})",
            field="--profile",
        ) from None
    if profile.provider == "sim" and not profile.region:
        profile = profile.replace(region="sim-local-1")
    if read_only and not profile.read_only:
        profile = profile.replace(read_only=True)
    return profile
