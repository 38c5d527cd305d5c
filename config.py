"""Service settings, read from the environment.

The README's configuration table documents every variable. ``create_app`` also takes a
mapping of the same names, which tests use instead of the environment.
"""

import os
from dataclasses import dataclass, field

DEFAULT_KEY_PREFIX = "noderegistry"
# The URL schemes that redis-py's from_url takes.
REDIS_URL_SCHEMES = ("redis", "rediss", "unix")


def _redis_url(env: dict) -> str | None:
    """Return REDIS_URL, None when unset; raise ValueError for another scheme.

    The message names only the scheme, because the URL may hold a password.
    """
    url = env.get("REDIS_URL") or None
    if url is None:
        return None
    scheme, separator, _rest = url.partition("://")
    if not separator or scheme.lower() not in REDIS_URL_SCHEMES:
        shown = f"scheme {scheme[:20]!r}" if separator else "no scheme"
        raise ValueError(
            f"REDIS_URL must start with redis://, rediss:// or unix://, got {shown};"
            " for example redis://localhost:6379/0"
        )
    return url


def _float(env: dict, name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


def _int(env: dict, name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    key_prefix: str
    hardware_extra: str
    redis_socket_timeout_seconds: float
    redis_connect_timeout_seconds: float
    redis_max_connections: int
    redis_retries: int
    redis_health_check_interval_seconds: float
    stale_after_seconds: float
    lost_after_seconds: float
    max_body_bytes: int
    # Token entries as configured; kept out of repr so that logging the settings
    # never shows a token. access.tokens parses them.
    tokens_text: str = field(default="", repr=False)
    tokens_file_text: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        hardware_extra = env.get("REGISTRY_HARDWARE_EXTRA", "")
        hardware_file = env.get("REGISTRY_HARDWARE_EXTRA_FILE")
        if hardware_file:
            with open(hardware_file, encoding="utf-8") as file:
                hardware_extra = file.read()
        tokens_file_text = ""
        tokens_file = env.get("REGISTRY_TOKENS_FILE")
        if tokens_file:
            with open(tokens_file, encoding="utf-8") as file:
                tokens_file_text = file.read()
        settings = cls(
            redis_url=_redis_url(env),
            key_prefix=env.get("REGISTRY_KEY_PREFIX") or DEFAULT_KEY_PREFIX,
            hardware_extra=hardware_extra,
            redis_socket_timeout_seconds=_float(env, "REDIS_SOCKET_TIMEOUT", 2.0, 0.01),
            redis_connect_timeout_seconds=_float(
                env, "REDIS_CONNECT_TIMEOUT", 2.0, 0.01
            ),
            redis_max_connections=_int(env, "REDIS_MAX_CONNECTIONS", 16, 1),
            redis_retries=_int(env, "REDIS_RETRIES", 0),
            redis_health_check_interval_seconds=_float(
                env, "REDIS_HEALTH_CHECK_INTERVAL", 15.0
            ),
            stale_after_seconds=_float(env, "REGISTRY_STALE_AFTER_SECONDS", 40.0, 1.0),
            lost_after_seconds=_float(env, "REGISTRY_LOST_AFTER_SECONDS", 300.0, 1.0),
            max_body_bytes=_int(env, "REGISTRY_MAX_BODY_BYTES", 65536, 1024),
            tokens_text=env.get("REGISTRY_TOKENS", ""),
            tokens_file_text=tokens_file_text,
        )
        if settings.lost_after_seconds <= settings.stale_after_seconds:
            raise ValueError(
                "REGISTRY_LOST_AFTER_SECONDS must be greater than"
                f" REGISTRY_STALE_AFTER_SECONDS, got {settings.lost_after_seconds}"
                f" <= {settings.stale_after_seconds}"
            )
        return settings
