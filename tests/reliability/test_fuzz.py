"""Issue 8, point 4: fuzz the rules parser, the config parser and the trace reader.

Every case either parses or raises InputError whose one-line message starts with the file's name
(and names the line or field where it can); any other exception, a traceback, fails the test.
Seeds are fixed (derandomize): CI sees the same cases every run. The default run tries a few
thousand cases per parser; `-m soak` runs ten times as many.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalectl.config import Paths, load_settings
from scalectl.core.errors import InputError
from scalectl.core.rulesfile import loads_rules
from scalectl.core.trace import loads_trace
from tests.reliability.fuzzing import documents, json_text, mutations, toml_text

TRIED: Counter[str] = Counter()  # cases tried per parser (reported in the README figures)

RULE_KEYS = [
    "name", "group", "kind", "metric", "target", "threshold", "comparison", "adjustment",
    "adjustment_type", "evaluation_periods", "datapoints_to_alarm", "period_s", "steps",
    "cooldown_s", "warmup_s", "cron", "at", "timezone", "min", "max", "desired", "enabled",
    "mode", "disable_scale_in", "min_adjustment_magnitude", "description", "lower", "upper",
]  # fmt: skip
RULES_VALID = """\
version = 1
bounds = [{ group = "web", min = 2, max = 20, desired = 4 }]

[[rules]]
name = "cpu-50"
group = "web"
kind = "target_tracking"
target = 50.0

[[rules]]
name = "step-out"
group = "api"
kind = "step"
comparison = ">"
threshold = 70.0
evaluation_periods = 3
steps = [{ upper = 10.0, adjustment = 1 }, { lower = 10.0, adjustment = 3 }]

[[rules]]
name = "nightly"
group = "web"
kind = "scheduled"
cron = "0 22 * * *"
timezone = "Asia/Shanghai"
min = 1
max = 4
"""
PROFILE_KEYS = [
    "provider", "region", "read_only", "accent", "endpoint", "aws_profile", "project_id",
    "world", "seed", "speed", "groups", "step_limit", "timeout_s", "max_retries", "refresh_s",
]  # fmt: skip
CONFIG_VALID = """\
default_profile = "sim"
theme = "scalectl-dark"

[profiles.sim]
provider = "sim"
speed = 0

[profiles.prod]
provider = "alibaba"
region = "cn-hangzhou"
read_only = true
endpoint = "https://ess.aliyuncs.com"
"""
TRACE_VALID = """\
timestamp,requests,instances
2026-11-11T00:00:00+08:00,1200,4
2026-11-11T00:01:00+08:00,1350,4
2026-11-11T00:02:00+08:00,1500,5
"""

SOAK_FACTOR = 20  # `-m soak`: twenty times the cases of the default run


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,  # a fixed seed: the same cases in CI every run
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def fuzz_pair(
    strategy: st.SearchStrategy[Any], body: Callable[[Any], None], examples: int
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The same property twice: a fast run by default and a long one behind the soak marker."""

    def make(n: int) -> Callable[[], None]:
        @fuzz_settings(n)
        @given(strategy)
        def run(value: Any) -> None:
            body(value)

        return run  # type: ignore[no-any-return]

    return make(examples), pytest.mark.soak(make(examples * SOAK_FACTOR))


def check(parse: Callable[[str], Any], text: str, source: str, counter: str) -> None:
    TRIED[counter] += 1
    try:
        parse(text)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(source), message
        assert "\n" not in message.strip() or "Traceback" not in message, message


# -- rules ---------------------------------------------------------------------------------------

RULES_DOCS = documents(
    {"version": [], "rules": RULE_KEYS, "bounds": ["group", "min", "max", "desired"]}
)


def _rules(text: str) -> None:
    loads_rules(text, source="fuzz-rules.toml")


def _rules_text(text: str) -> None:
    check(_rules, text, "fuzz-rules.toml", "rules")


def _rules_doc(doc: dict[str, Any]) -> None:
    text = toml_text(doc)
    if text is not None:
        check(_rules, text, "fuzz-rules.toml", "rules")


test_fuzz_rules_text, test_soak_rules_text = fuzz_pair(
    st.one_of(st.text(max_size=300), mutations(RULES_VALID)), _rules_text, 1000
)
test_fuzz_rules_documents, test_soak_rules_documents = fuzz_pair(RULES_DOCS, _rules_doc, 1000)


# -- config ----------------------------------------------------------------------------------------

CONFIG_DIR = Path(tempfile.mkdtemp(prefix="scalectl-fuzz-config-"))
CONFIG = CONFIG_DIR / "config.toml"


@pytest.fixture(scope="module", autouse=True)
def _config_dir() -> Iterator[None]:
    CONFIG.write_text("")
    CONFIG.chmod(0o600)
    yield
    shutil.rmtree(CONFIG_DIR, ignore_errors=True)


def _config_doc() -> st.SearchStrategy[dict[str, Any]]:
    profile = st.dictionaries(
        st.one_of(st.sampled_from(PROFILE_KEYS), st.text(min_size=1, max_size=8)),
        st.one_of(
            st.sampled_from(["sim", "aws", "alibaba", "tencent", "huawei", "http://10.0.0.1:80"]),
            st.sampled_from(["http://127.0.0.1:5000", "https://x", "ftp://a", "http://[::1]:1"]),
            st.text(max_size=20),
            st.integers(-5, 30000),
            st.floats(allow_nan=True),
            st.booleans(),
        ),
        max_size=6,
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "default_profile": st.one_of(st.sampled_from(["sim", "prod", "x"]), st.integers()),
            "theme": st.text(max_size=10),
            "lang": st.one_of(st.sampled_from(["en", "zh"]), st.integers()),
            "profiles": st.dictionaries(st.text(min_size=1, max_size=8), profile, max_size=3),
            "secret_key": st.just("S3CR3T-canary"),
        },
    )


def _load_config_bytes(data: bytes) -> None:
    TRIED["config"] += 1
    CONFIG.write_bytes(data)
    try:
        load_settings(Paths(config_file=CONFIG, config_dir=CONFIG_DIR, data_dir=CONFIG_DIR))
    except InputError as exc:
        message = str(exc)
        assert message.startswith(str(CONFIG)) and "\n" not in message, message


def _config_text(text: str) -> None:
    _load_config_bytes(text.encode("utf-8", "surrogateescape"))


def _config_doc_body(doc: dict[str, Any]) -> None:
    text = toml_text(doc)
    if text is not None:
        _load_config_bytes(text.encode())


test_fuzz_config_text, test_soak_config_text = fuzz_pair(
    st.one_of(st.text(max_size=300), mutations(CONFIG_VALID)), _config_text, 700
)
test_fuzz_config_documents, test_soak_config_documents = fuzz_pair(
    _config_doc(), _config_doc_body, 700
)
test_fuzz_config_bytes, test_soak_config_bytes = fuzz_pair(
    st.binary(max_size=200), _load_config_bytes, 300
)


# -- trace -----------------------------------------------------------------------------------------


def _csv_line() -> st.SearchStrategy[str]:
    cell = st.one_of(
        st.sampled_from(["2026-11-11T00:03:00+08:00", "2026-11-11T00:01:00Z", "1200", "-5", "nan",
                         "inf", "", "4", "1e400", "2026-02-30T00:00:00", '"', "x,y"]),
        st.text(max_size=8),
    )  # fmt: skip
    return st.lists(cell, min_size=1, max_size=4).map(",".join)


TRACE_CSV = st.one_of(
    st.text(max_size=300),
    mutations(TRACE_VALID),
    st.lists(_csv_line(), max_size=6).map(
        lambda rows: "\n".join(["timestamp,requests,instances", *rows])
    ),
)
TRACE_JSON = st.one_of(
    st.lists(
        st.dictionaries(
            st.sampled_from(["timestamp", "requests", "utilization", "instances", "cpu", "x"]),
            st.one_of(
                st.sampled_from(["2026-11-11T00:00:00+00:00", "2026-11-11T00:01:00+00:00"]),
                st.integers(-10, 10**20),
                st.floats(allow_nan=True),
                st.none(),
                st.text(max_size=5),
                st.lists(st.integers(), max_size=2),
            ),
            max_size=4,
        ),
        max_size=5,
    ),
    st.dictionaries(st.sampled_from(["points", "x"]), st.lists(st.integers(), max_size=3)),
    st.integers(),
    st.text(max_size=10),
).map(json_text)


def _trace_csv(text: str) -> None:
    check(lambda t: loads_trace(t, source="fuzz-trace.csv"), text, "fuzz-trace.csv", "trace")


def _trace_json(text: str) -> None:
    check(lambda t: loads_trace(t, source="fuzz-trace.json"), text, "fuzz-trace.json", "trace")


test_fuzz_trace_csv, test_soak_trace_csv = fuzz_pair(TRACE_CSV, _trace_csv, 1000)
test_fuzz_trace_json, test_soak_trace_json = fuzz_pair(TRACE_JSON, _trace_json, 700)


def test_zz_report_cases_tried() -> None:
    """Prints the figure for the README (runs last in this module)."""
    if TRIED:
        print("\nfuzz cases tried: " + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items())))
