"""Node dicts to JSON: RFC 3339 timestamps and the derived liveness status.

The list endpoint serializes thousands of nodes per request, so this module builds
plain dicts and one json.dumps call instead of running marshmallow per node. The
response schema in schemas.NodeSchema documents the same shape.
"""

import json
import time
from functools import lru_cache

from flask import Response


@lru_cache(maxsize=4096)
def _format_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def format_timestamp_ms(ms: int) -> str:
    """Format milliseconds since the Unix epoch as RFC 3339 in UTC, e.g. ...40.123Z."""
    seconds, millis = divmod(ms, 1000)
    return f"{_format_second(seconds)}.{millis:03d}Z"


class Liveness:
    """Derives a node's status from its last_seen and two grace periods."""

    def __init__(self, stale_after_seconds: float, lost_after_seconds: float) -> None:
        self.stale_after_ms = int(stale_after_seconds * 1000)
        self.lost_after_ms = int(lost_after_seconds * 1000)

    def status(self, last_seen_ms: int, now_ms: int) -> str:
        age_ms = now_ms - last_seen_ms
        if age_ms <= self.stale_after_ms:
            return "alive"
        if age_ms <= self.lost_after_ms:
            return "stale"
        return "lost"


def node_to_json(node: dict, liveness: Liveness, now_ms: int) -> dict:
    last_seen = node["last_seen"]
    return {
        "pk": node["pk"],
        "index": node["index"],
        "cpu_mem": node["cpu_mem"],
        "driver_version": node["driver_version"],
        "hardware_generation": node["hardware_generation"],
        "gpu_mem": node["gpu_mem"],
        "last_seen": format_timestamp_ms(last_seen),
        "current_job_id": node["current_job_id"],
        "status": liveness.status(last_seen, now_ms),
    }


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, headers=headers, mimetype="application/json")
