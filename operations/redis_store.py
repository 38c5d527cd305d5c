"""The registry's store for operator commands that work on Redis directly.

nodes-check and nodes-reap read the service's environment (REDIS_URL,
REGISTRY_KEY_PREFIX, the Redis timeouts and REGISTRY_HARDWARE_EXTRA), so they act on
the registry that a service with the same environment serves. Unlike the service,
they require REDIS_URL: an embedded store would be empty.
"""

from app import build_redis_client
from config import Settings
from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace
from nodes.store import NodeStore


class CommandConfigError(Exception):
    """Invalid or missing settings of an operator command; the message names them."""


def command_settings(program: str, env: dict | None = None) -> Settings:
    """Read the service's settings from ``env`` (default: the process environment).

    Raises CommandConfigError, with a message that starts with ``program``, when a
    value is invalid or REDIS_URL is not set.
    """
    try:
        settings = Settings.from_env(env)
    except (ValueError, OSError) as exc:
        raise CommandConfigError(f"{program}: invalid configuration: {exc}") from None
    if settings.redis_url is None:
        raise CommandConfigError(
            f"{program}: REDIS_URL is not set; set it to the Redis of the registry,"
            " such as REDIS_URL=redis://127.0.0.1:6380/0"
        )
    return settings


def open_store(settings: Settings) -> NodeStore:
    """Return the store of the registry at REDIS_URL under REGISTRY_KEY_PREFIX."""
    catalog = HardwareCatalog.from_extra_json(settings.hardware_extra)
    client = build_redis_client(settings)
    return NodeStore(client, KeySpace(settings.key_prefix), catalog)
