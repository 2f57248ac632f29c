"""Configuration: profiles in TOML, paths, and the implicit ``sim`` default profile.

Precedence for the file: ``--config``, else ``$SCALECTL_CONFIG``, else ``config.toml`` in the config
dir. ``$SCALECTL_HOME``, when set, holds config, state and the audit log; otherwise the platform's
user config and data dirs. Credentials never live here: each SDK's own chain is used.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scalectl.core.errors import InputError

PROVIDERS = ("sim", "aws", "alibaba", "tencent", "huawei")
SECRET_KEYS = ("secret", "password", "access_key", "secret_key", "token", "sk", "ak")


class Profile(BaseModel):
    """One named connection: a provider, a region, and how scalectl behaves on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    speed: Annotated[float, Field(ge=0)] = 60.0
    groups: Annotated[int, Field(ge=1, le=20000)] = 2000
    # Guardrails.
    step_limit: Annotated[int, Field(ge=1)] = 20
    # Calls to the provider: timeout per request and retries for retryable errors.
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    refresh_s: Annotated[float, Field(ge=0.5, le=3600)] = 2.0

    @field_validator("endpoint")
    @classmethod
    def _endpoint_safe(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint {value!r} must be an http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError(
                f"endpoint {value!r}: plain http is allowed only for loopback (127.0.0.1, ::1, "
                "localhost); use https"
            )
        return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_profile: str = "sim"
    theme: str = "scalectl-dark"
    lang: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)


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


def _validation_message(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return loc, message


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
            import re

            match = re.search(r"at line (\d+)", message)
            line = int(match.group(1)) if match else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)$", "", message)
        else:
            message = getattr(exc, "msg", message)
        raise InputError(f"TOML syntax error: {message}", source=str(path), line=line) from None
    _check_secret_file_mode(path, raw)
    profiles = raw.get("profiles", {})
    if isinstance(profiles, dict):
        for name, body in profiles.items():
            if isinstance(body, dict):
                body.setdefault("name", name)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        loc, message = _validation_message(exc)
        raise InputError(message, source=str(path), line=_line_of(text, loc), field=loc) from None
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
    return settings.model_copy(update={"profiles": profiles})


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
        profile = profile.model_copy(update={"region": "sim-local-1"})
    if read_only and not profile.read_only:
        profile = profile.model_copy(update={"read_only": True})
    return profile
