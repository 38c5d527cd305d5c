"""Keyset pagination cursors: opaque strings that name where the next page starts.

A cursor is base64url-encoded JSON holding a fingerprint of the filter and sort it
belongs to, the server time at which the first page resolved relative times and
status, and the sort values of the last node returned. It is not signed: a forged
cursor can only move the start of a page, and every value in it is checked against
the same types and bounds as a filter's values.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from filtering.errors import SpecError

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 1024
CURSOR_KEYS = frozenset({"v", "f", "t", "k"})
FINGERPRINT = re.compile(r"[0-9a-f]{24}")
# The server time of the first page, in milliseconds since the Unix epoch, lies
# between the epoch and 9999-12-31T23:59:59.999Z, the last time RFC 3339 can write.
MAX_TIME_MS = 253_402_300_799_999


@dataclass(frozen=True)
class Cursor:
    fingerprint: str
    now_ms: int
    values: tuple


def fingerprint(raw_filter: object, sort_fields: list[str]) -> str:
    """Return a short digest of the filter JSON and sort that a cursor belongs to."""
    text = json.dumps(
        {"filter": raw_filter, "sort": sort_fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def encode_cursor(cursor: Cursor) -> str:
    data = {
        "v": CURSOR_VERSION,
        "f": cursor.fingerprint,
        "t": cursor.now_ms,
        "k": list(cursor.values),
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _invalid(reason: str) -> SpecError:
    return SpecError(
        "cursor",
        f"the cursor is invalid ({reason}); send the Next-Cursor header of the"
        " previous page unchanged, or leave cursor out to start from the first page",
    )


def decode_cursor(text: object) -> Cursor:
    """Decode a cursor string; raise SpecError at path "cursor" when it is invalid."""
    if not isinstance(text, str):
        raise _invalid(f"expected a string, got {type(text).__name__}")
    if not 1 <= len(text) <= MAX_CURSOR_LENGTH:
        raise _invalid(f"length {len(text)}, expected 1 to {MAX_CURSOR_LENGTH}")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _invalid("not a cursor this server issued") from None
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        raise _invalid("unknown cursor version")
    digest, now_ms, values = data.get("f"), data.get("t"), data.get("k")
    if (
        not isinstance(digest, str)
        or isinstance(now_ms, bool)
        or not isinstance(now_ms, int)
        or not isinstance(values, list)
    ):
        raise _invalid("a field is missing or has the wrong type")
    if set(data) != CURSOR_KEYS:
        raise _invalid("it has fields this server does not write")
    if not FINGERPRINT.fullmatch(digest):
        raise _invalid("its fingerprint is not 24 hexadecimal digits")
    if not 0 <= now_ms <= MAX_TIME_MS:
        raise _invalid(
            f"its time is outside 0 to {MAX_TIME_MS} milliseconds since the Unix epoch"
        )
    return Cursor(digest, now_ms, tuple(values))
