"""The fields a filter may name, and how a literal of each is checked and converted.

Every function here is pure: it takes JSON values and returns Python values that
evaluate.py compares with node dicts as NodeStore returns them (integers, strings,
last_seen in integer milliseconds, current_job_id None when the node is idle).
"""

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from filtering.errors import SpecError
from nodes.json_numbers import OverlongNumber

MAX_INTEGER = 2**53 - 1
MAX_TEXT_LENGTH = 64

ORDERING_OPERATORS = ("lt", "lte", "gt", "gte")
EQUALITY_OPERATORS = ("eq", "ne", "in", "not_in")
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in")

INTEGER_FIELDS = ("pk", "index", "cpu_mem", "gpu_mem", "current_job_id")
BYTE_FIELDS = ("cpu_mem", "gpu_mem")
# Fields that only eq, ne, in and not_in apply to, because their values have no order.
UNORDERED_FIELDS = ("hardware_generation", "status")
FIELDS = (
    "pk",
    "index",
    "cpu_mem",
    "gpu_mem",
    "driver_version",
    "hardware_generation",
    "last_seen",
    "current_job_id",
    "status",
)
SORT_FIELDS = FIELDS[:-1]
STATUSES = ("alive", "stale", "lost")

NUMERIC_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
    r"([Zz]|[+-]\d{2}:\d{2})$"
)
RELATIVE_TIME = re.compile(r"^-(\d{1,12})(ms|s|m|h|d)$")
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# Relative times reach back at most this far, so every bound stays an exact score.
MAX_RELATIVE_MS = 100 * 366 * UNIT_MS["d"]
NS_PER_MS = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def version_key(text: str) -> tuple:
    """Return the sort key of a driver_version: a total order consistent with ==.

    A numeric version (dot-separated decimal numbers) compares number by number, so
    99.1 < 100.0 < 535.104.05, and a shorter prefix sorts first (535 < 535.0). Two
    texts with equal numbers, such as 535.104.05 and 535.104.5, are ordered by their
    text. Every other string sorts after all numeric versions, by its text.
    """
    if NUMERIC_VERSION.match(text):
        return (0, tuple(int(part) for part in text.split(".")), text)
    return (1, (), text)


def is_numeric_version(text: str) -> bool:
    return NUMERIC_VERSION.match(text) is not None


def _type_name(value: object) -> str:
    if isinstance(value, OverlongNumber):
        return "number"
    return "null" if value is None else type(value).__name__


def parse_integer(value: object, path: str, field: str) -> int:
    unit = " number of bytes" if field in BYTE_FIELDS else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(
            path,
            f"{field} must be an integer{unit} from 0 to {MAX_INTEGER},"
            f" got {value!r} ({_type_name(value)})",
        )
    if not 0 <= value <= MAX_INTEGER:
        raise SpecError(
            path,
            f"{field} must be an integer{unit} from 0 to {MAX_INTEGER}, got {value}",
        )
    return value


def parse_text(value: object, path: str, field: str) -> str:
    if not isinstance(value, str):
        raise SpecError(
            path, f"{field} must be a string, got {value!r} ({_type_name(value)})"
        )
    if not 1 <= len(value) <= MAX_TEXT_LENGTH or not value.isprintable():
        raise SpecError(
            path,
            f"{field} must be 1 to {MAX_TEXT_LENGTH} printable characters,"
            f" got {value[:80]!r}",
        )
    return value


def parse_driver_version(value: object, path: str, operator: str) -> str:
    text = parse_text(value, path, "driver_version")
    if operator in ORDERING_OPERATORS and not is_numeric_version(text):
        raise SpecError(
            path,
            f"driver_version {operator} needs a numeric version such as 535 or"
            f" 535.104.05 (decimal numbers separated by dots), got {text!r}",
        )
    return text


def parse_timestamp_ns(text: str, path: str) -> int:
    """Parse an RFC 3339 timestamp with an offset into nanoseconds since the epoch."""
    match = RFC3339.match(text)
    if match is None:
        raise SpecError(
            path,
            f"last_seen {text!r} is neither an RFC 3339 timestamp such as"
            ' "2026-05-28T20:26:40Z" nor a relative time such as "-90s", "-5m"'
            ' or "-1h"',
        )
    fraction = match.group(7) or ""
    offset = match.group(8)
    iso = text[: match.start(7) if fraction else match.start(8)]
    iso = iso[:10] + "T" + iso[11:]
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        moment = datetime.fromisoformat(iso + zone)
    except ValueError as exc:
        raise SpecError(
            path, f"last_seen {text!r} is not a valid time: {exc}"
        ) from None
    fraction_ns = int(fraction[1:].ljust(9, "0")) if fraction else 0
    seconds = (moment - EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + fraction_ns


def parse_relative_ms(text: str, path: str, now_ms: int) -> int | None:
    """Return now_ms minus a relative time such as "-5m", or None if not relative."""
    match = RELATIVE_TIME.match(text)
    if match is None:
        return None
    amount_ms = int(match.group(1)) * UNIT_MS[match.group(2)]
    if amount_ms > MAX_RELATIVE_MS:
        raise SpecError(
            path,
            f"last_seen {text!r} reaches back more than 100 years; use an RFC 3339"
            " timestamp instead",
        )
    return now_ms - amount_ms


def parse_last_seen_ns(value: object, path: str, now_ms: int) -> int:
    """Return a last_seen literal in nanoseconds since the epoch."""
    if not isinstance(value, str):
        raise SpecError(
            path,
            "last_seen must be an RFC 3339 timestamp or a relative time such as"
            f' "-5m", got {value!r} ({_type_name(value)})',
        )
    relative_ms = parse_relative_ms(value, path, now_ms)
    if relative_ms is not None:
        return relative_ms * NS_PER_MS
    return parse_timestamp_ns(value, path)


def parse_status(value: object, path: str) -> str:
    if value not in STATUSES:
        raise SpecError(
            path,
            f"status must be one of {', '.join(STATUSES)}, got {value!r}",
        )
    return value


def parse_generation(value: object, path: str, catalog) -> str:
    if not isinstance(value, str) or value not in catalog:
        raise SpecError(
            path,
            f"hardware_generation {value!r} is not a known hardware ID; GET"
            " /v1/hardware lists the valid IDs",
        )
    return value
