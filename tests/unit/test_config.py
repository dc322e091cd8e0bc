"""Settings added for robustness: validated once, one clear line on a bad value."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.store.db import DEFAULT_TIMEOUT


def test_defaults_are_safe():
    config = load_config({})
    assert config.trust_proxy is False  # forwarded headers are anyone's to write
    assert config.db_timeout == DEFAULT_TIMEOUT == 5.0


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False)])
def test_trust_proxy_is_a_boolean(raw: str, expected: bool):
    assert load_config({"TRUST_PROXY": raw}).trust_proxy is expected


def test_trust_proxy_rejects_anything_else():
    with pytest.raises(ConfigError, match=r"^TRUST_PROXY must be true or false, got 'maybe'$"):
        load_config({"TRUST_PROXY": "maybe"})


@pytest.mark.parametrize(("raw", "expected"), [("2", 2.0), (" 0.5 ", 0.5), ("120", 120.0)])
def test_db_timeout_in_seconds(raw: str, expected: float):
    assert load_config({"DB_TIMEOUT": raw}).db_timeout == expected


@pytest.mark.parametrize("raw", ["0", "-1", "121", "5s", "nan", "inf", "five"])
def test_db_timeout_out_of_range_is_one_line(raw: str):
    with pytest.raises(ConfigError) as info:
        load_config({"DB_TIMEOUT": raw})
    assert str(info.value) == f"DB_TIMEOUT must be a number of seconds from 0.5 to 120, got {raw!r}"


@pytest.mark.parametrize(("raw", "expected"), [("", "en"), ("de", "de"), (" pt-BR ", "pt")])
def test_default_language_is_one_of_the_eight(raw: str, expected: str):
    assert load_config({"DEFAULT_LANGUAGE": raw}).default_language == expected


def test_an_unknown_default_language_is_one_line():
    with pytest.raises(ConfigError) as info:
        load_config({"DEFAULT_LANGUAGE": "klingon"})
    assert str(info.value) == (
        "DEFAULT_LANGUAGE must be one of en, de, fr, es, it, nl, pl, pt, got 'klingon'"
    )
