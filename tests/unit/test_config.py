from __future__ import annotations

import os
from pathlib import Path

import pytest

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.core.errors import ExitCode, InputError


def write(home: Path, text: str, mode: int = 0o644) -> Path:
    path = home / "config.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_no_config_means_the_sim_profile(home: Path) -> None:
    settings = load_settings(resolve_paths())
    profile = pick_profile(settings, None)
    assert profile.provider == "sim" and profile.name == "sim"
    assert resolve_paths().audit_log == home / "audit.jsonl"


def test_syntax_error_names_the_line(home: Path) -> None:
    write(home, 'default_profile = "sim"\n\n[profiles.sim\nprovider = "sim"\n')
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert err.value.exit_code == ExitCode.USAGE
    assert f"{home / 'config.toml'}:3" in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_key_names_line_and_field(home: Path) -> None:
    write(home, '[profiles.prod]\nprovider = "aws"\nregoin = "us-east-1"\n')
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert ":3: profiles.prod.regoin: unknown key" in str(err.value)


def test_plain_http_only_for_loopback(home: Path) -> None:
    write(home, '[profiles.p]\nprovider = "aws"\nendpoint = "http://10.1.2.3:5000"\n')
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert "plain http is allowed only for loopback" in str(err.value)
    assert ":3:" in str(err.value)
    write(home, '[profiles.p]\nprovider = "aws"\nendpoint = "http://127.0.0.1:5000"\n')
    assert load_settings(resolve_paths()).profiles["p"].endpoint == "http://127.0.0.1:5000"


@pytest.mark.parametrize("endpoint", ["h://[", "https://[::1", "ftp://example.com", "https://"])
def test_a_broken_endpoint_is_a_one_line_error_naming_it(home: Path, endpoint: str) -> None:
    # urlsplit raises on some of these (found by the soak fuzzer): still an input error.
    write(home, f'[profiles.p]\nprovider = "aws"\nendpoint = "{endpoint}"\n')
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert err.value.field == "profiles.p.endpoint"
    assert ":3:" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e9"])
def test_the_sim_speed_is_a_finite_bounded_number(home: Path, value: str) -> None:
    write(home, f'[profiles.s]\nprovider = "sim"\nspeed = {value}\n')
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert err.value.field == "profiles.s.speed"


def test_secret_in_world_readable_config_is_refused(home: Path) -> None:
    text = '[profiles.p]\nprovider = "aws"\n[extra]\nsecret_key = "x"\n'
    write(home, text, 0o644)
    with pytest.raises(InputError) as err:
        load_settings(resolve_paths())
    assert "secret-looking key 'extra.secret_key'" in str(err.value)


def test_config_env_and_option_precedence(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.toml"
    other.write_text('default_profile = "x"\n[profiles.x]\nprovider = "sim"\n')
    monkeypatch.setenv("SCALECTL_CONFIG", str(other))
    assert resolve_paths().config_file == other
    assert resolve_paths("/explicit.toml").config_file == Path("/explicit.toml")
    assert load_settings(resolve_paths()).default_profile == "x"


def test_unknown_profile_lists_known(home: Path) -> None:
    with pytest.raises(InputError) as err:
        pick_profile(load_settings(resolve_paths()), "nope")
    assert "unknown profile 'nope' (known: sim)" in str(err.value)


def test_read_only_flag_wins(home: Path) -> None:
    profile = pick_profile(load_settings(resolve_paths()), None, read_only=True)
    assert profile.read_only
