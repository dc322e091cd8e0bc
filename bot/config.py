"""Configuration from environment variables (and an optional `.env`), validated once.

A bad value stops start-up with one line naming the variable and what it expects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.model import REGIONS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """One clear line: which variable, what is expected."""


@dataclass(frozen=True, slots=True)
class Config:
    bot_token: str | None
    bot_api_url: str | None
    faq_dir: Path
    default_region: str | None
    default_timezone: str
    log_level: str
    data_dir: Path
    database_url: str | None
    broadcast_rate: float
    paid_broadcast: bool


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def load_dotenv_file(path: Path | None = None) -> None:
    """Read `.env` if present; real environment variables win."""
    from dotenv import load_dotenv

    load_dotenv(path or Path.cwd() / ".env", override=False)


def load_config(env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    token = env.get("BOT_TOKEN", "").strip() or None
    if token is not None and (":" not in token or " " in token):
        raise ConfigError("BOT_TOKEN must look like 123456:ABC-DEF... (the token from @BotFather)")
    api_url = env.get("BOT_API_URL", "").strip() or None
    if api_url is not None and not api_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"BOT_API_URL must be an http(s) URL such as http://127.0.0.1:8081/bot, got {api_url!r}"
        )
    faq_dir = Path(env.get("FAQ_DIR", "").strip() or PROJECT_ROOT / "faq")
    region = env.get("DEFAULT_REGION", "").strip().lower() or None
    if region is not None and region not in REGIONS:
        raise ConfigError(f"DEFAULT_REGION must be one of {', '.join(REGIONS)}, got {region!r}")
    tz = env.get("DEFAULT_TIMEZONE", "").strip() or "Europe/Brussels"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"DEFAULT_TIMEZONE must be an IANA time zone such as Europe/Berlin, got {tz!r}"
        ) from None
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    data_dir = Path(env.get("DATA_DIR", "").strip() or "data")
    database_url = env.get("DATABASE_URL", "").strip() or None
    if database_url is not None and not database_url.startswith(
        ("postgres://", "postgresql", "sqlite")
    ):
        raise ConfigError(
            "DATABASE_URL must be a postgres:// or postgresql:// URL, "
            f"got {database_url.split('@')[-1]!r}"
        )
    paid = _bool("PAID_BROADCAST", env.get("PAID_BROADCAST", "false"))
    raw_rate = env.get("BROADCAST_RATE", "").strip() or "30"
    try:
        rate = float(raw_rate)
    except ValueError:
        raise ConfigError(
            f"BROADCAST_RATE must be a number of messages per second, got {raw_rate!r}"
        ) from None
    limit = 1000.0 if paid else 30.0
    if not 0 < rate <= limit:
        raise ConfigError(
            f"BROADCAST_RATE must be between 0 and {limit:g} messages per second"
            + ("" if paid else " (set PAID_BROADCAST=true for up to 1000)")
            + f", got {raw_rate!r}"
        )
    return Config(token, api_url, faq_dir, region, tz, level, data_dir, database_url, rate, paid)
