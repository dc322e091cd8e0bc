"""Configuration from environment variables (and an optional `.env`), validated once.

A bad value stops start-up with one line naming the variable and what it expects.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.checkup.nudges import DEFAULT_QUIET, QuietWindow
from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from bot.knowledge.model import REGIONS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8080
DEFAULT_LISTEN = "0.0.0.0"
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The only ports Telegram delivers webhooks to.
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)


_N = TypeVar("_N", int, float)


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
    # Operator tools (issue 4): all have safe defaults.
    admin_ids: frozenset[int] = frozenset()
    flood_limit: int = 20  # messages per chat per minute before a "slow down" notice
    log_unmatched: bool = False  # keep normalised fallback questions (no ids) for FAQ authors
    unmatched_days: int = 30
    log_text: bool = False  # include message text in logs (off: never)
    # Webhook mode and the HTTP listener (issue 4).
    webhook_url: str | None = None  # set: serve a webhook instead of long polling
    webhook_secret: str | None = None  # required in webhook mode (checked by `run`)
    port: int | None = None  # None: not set; webhook mode then listens on DEFAULT_PORT
    listen: str = DEFAULT_LISTEN
    # Take the client address for logs from X-Forwarded-For / X-Real-IP (only behind a proxy
    # the operator runs: anyone else can write those headers).
    trust_proxy: bool = False
    # Seconds to connect to the database and to run one statement; slower counts as down.
    db_timeout: float = 5.0
    # Local hours without re-check nudges or alerts (the chat's time zone); "off": none.
    nudge_quiet: QuietWindow = DEFAULT_QUIET
    # The reply language when nothing tells (a group, an unclear message, a chat that never
    # chose): a consumer centre in Germany sets "de".
    default_language: str = "en"

    @property
    def listen_port(self) -> int:
        """The port to listen on: PORT, or 8080 when it is not set."""
        return DEFAULT_PORT if self.port is None else self.port


def _language(value: str) -> str:
    raw = value.strip()
    if not raw:
        return DEFAULT_LANGUAGE
    language = normalize_language(raw)
    if language is None:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {raw!r}")
    return language


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
    return Config(
        token,
        api_url,
        faq_dir,
        region,
        tz,
        level,
        data_dir,
        database_url,
        rate,
        paid,
        admin_ids=_admin_ids(env.get("ADMIN_IDS", "")),
        flood_limit=_int("FLOOD_LIMIT", env.get("FLOOD_LIMIT", ""), 20, 1, 10_000),
        log_unmatched=_bool("LOG_UNMATCHED", env.get("LOG_UNMATCHED", "false")),
        unmatched_days=_int("UNMATCHED_DAYS", env.get("UNMATCHED_DAYS", ""), 30, 1, 3650),
        log_text=_bool("LOG_MESSAGE_TEXT", env.get("LOG_MESSAGE_TEXT", "false")),
        webhook_url=_webhook_url(env.get("WEBHOOK_URL", ""), api_url),
        webhook_secret=_webhook_secret(env.get("WEBHOOK_SECRET", "")),
        port=_port(env.get("PORT", "")),
        listen=_listen(env.get("LISTEN", "")),
        trust_proxy=_bool("TRUST_PROXY", env.get("TRUST_PROXY", "false")),
        db_timeout=_seconds("DB_TIMEOUT", env.get("DB_TIMEOUT", ""), 5.0, 0.5, 120.0),
        nudge_quiet=_quiet_hours(env.get("NUDGE_QUIET_HOURS", "")),
        default_language=_language(env.get("DEFAULT_LANGUAGE", "")),
    )


def _quiet_hours(raw: str) -> QuietWindow:
    """NUDGE_QUIET_HOURS: "21:00-09:00" (the default when unset) or "off"."""
    if not raw.strip():
        return DEFAULT_QUIET
    try:
        return QuietWindow.parse(raw)
    except ValueError:
        raise ConfigError(
            "NUDGE_QUIET_HOURS must be local hours like 21:00-09:00 (24-hour clock) or off, "
            f"got {raw.strip()[:40]!r}"
        ) from None


def _int(name: str, raw: str, default: int, low: int, high: int) -> int:
    return _number(name, raw, default, low, high, int, "a whole number")


def _seconds(name: str, raw: str, default: float, low: float, high: float) -> float:
    return _number(name, raw, default, low, high, float, "a number of seconds")


def _number(
    name: str, raw: str, default: _N, low: _N, high: _N, parse: Callable[[str], _N], what: str
) -> _N:
    if not raw.strip():
        return default
    try:
        value = parse(raw.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:  # NaN fails the range test too
        raise ConfigError(f"{name} must be {what} from {low:g} to {high:g}, got {raw!r}")
    return value


def _admin_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"ADMIN_IDS must be Telegram user ids separated by commas, got {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _webhook_url(raw: str, api_url: str | None) -> str | None:
    """The public address Telegram posts updates to.

    Telegram delivers only to https:// on ports 443, 80, 88 or 8443. With BOT_API_URL (a
    self-hosted Bot API server or a test stand-in) plain http:// and any port are allowed.
    """
    url = raw.strip()
    if not url:
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    schemes = ("https", "http") if api_url else ("https",)
    if parts.scheme not in schemes or not parts.hostname or port == -1 or parts.fragment:
        need = "an http(s)" if api_url else "an https://"
        raise ConfigError(
            f"WEBHOOK_URL must be {need} URL such as https://bot.example.org/telegram, got {url!r}"
        )
    if api_url is None and port is not None and port not in TELEGRAM_WEBHOOK_PORTS:
        raise ConfigError(
            "WEBHOOK_URL must use port 443, 80, 88 or 8443 (the only ones Telegram posts to), "
            f"got {port}"
        )
    return url


def _webhook_secret(raw: str) -> str | None:
    secret = raw.strip()
    if not secret:
        return None
    if not WEBHOOK_SECRET_RE.fullmatch(secret):
        # Never echo a secret: say what is wrong with it instead.
        raise ConfigError(
            "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's "
            "rule); the one given "
            + (
                f"has {len(secret)} characters"
                if len(secret) > 256
                else "contains other characters (not shown)"
            )
        )
    return secret


def _port(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        port = int(raw.strip())
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise ConfigError(f"PORT must be a whole number from 1 to 65535, got {raw!r}")
    return port


def _listen(raw: str) -> str:
    address = raw.strip()
    if not address:
        return DEFAULT_LISTEN
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ConfigError(
            f"LISTEN must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1, "
            f"got {address!r}"
        ) from None
    return address
