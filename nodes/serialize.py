"""Node dicts to JSON: RFC 3339 timestamps and the derived liveness status.

The list endpoint serializes up to a whole fleet per request, so this module builds
the JSON text of each node with one f-string instead of running marshmallow (or
json.dumps on a dict) per node. The response schema in schemas.NodeSchema documents
the same shape.
"""

import json
import re
import time
from collections.abc import Callable, Iterable
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


@lru_cache(maxsize=1024)
def _json_string(text: str) -> str:
    return json.dumps(text)


def nodes_to_json_text(nodes: list[dict], liveness: Liveness, now_ms: int) -> str:
    """Return the JSON array of the nodes: the same text as json.dumps of their
    node_to_json dicts with compact separators, about three times faster.

    The numeric fields must be ints, as the store's node dicts hold them.
    """
    stale_after_ms = liveness.stale_after_ms
    lost_after_ms = liveness.lost_after_ms
    parts = []
    for node in nodes:
        last_seen = node["last_seen"]
        seconds, millis = divmod(last_seen, 1000)
        age_ms = now_ms - last_seen
        if age_ms <= stale_after_ms:
            status = "alive"
        elif age_ms <= lost_after_ms:
            status = "stale"
        else:
            status = "lost"
        job = node["current_job_id"]
        parts.append(
            f'{{"pk":{node["pk"]},"index":{node["index"]},'
            f'"cpu_mem":{node["cpu_mem"]},'
            f'"driver_version":{_json_string(node["driver_version"])},'
            f'"hardware_generation":{_json_string(node["hardware_generation"])},'
            f'"gpu_mem":{node["gpu_mem"]},'
            f'"last_seen":"{_format_second(seconds)}.{millis:03d}Z",'
            f'"current_job_id":{"null" if job is None else job},'
            f'"status":"{status}"}}'
        )
    return "[" + ",".join(parts) + "]"


# A healthy fetch_range.lua line: integers as the write scripts store them (no sign,
# no leading zero), then text fields, and an empty current_job_id for null.
_INTEGER = "(0|[1-9][0-9]*)"
_HEALTHY_LINE = re.compile(
    "\t".join([_INTEGER] * 4 + ["([^\t]+)", "([^\t]+)", _INTEGER, "(0|[1-9][0-9]*|)"])
)


def lines_to_json_text(
    replies: Iterable[str],
    liveness: Liveness,
    now_ms: int,
    decode: Callable[[str], dict | None],
) -> str:
    """Return the JSON array of the nodes in fetch_range.lua replies.

    Each reply contains lines of a pk and the fields of NODE_FIELDS, tab-separated
    (full_list.py strips the reply's read-on marker). The text equals that of
    nodes_to_json_text on the decoded nodes. A line of canonical integers is
    copied without building a dict; any other line goes through decode, which
    returns its node dict or None to leave it out (a damaged node).
    """
    stale_after_ms = liveness.stale_after_ms
    lost_after_ms = liveness.lost_after_ms
    healthy = _HEALTHY_LINE.fullmatch
    parts = []
    for reply in replies:
        if not reply:
            continue
        for line in reply.split("\n"):
            match = healthy(line)
            if match is None:
                node = decode(line)
                if node is not None:
                    parts.append(nodes_to_json_text([node], liveness, now_ms)[1:-1])
                continue
            pk, index, cpu_mem, gpu_mem, driver, generation, seen, job = match.groups()
            last_seen = int(seen)
            seconds, millis = divmod(last_seen, 1000)
            age_ms = now_ms - last_seen
            if age_ms <= stale_after_ms:
                status = "alive"
            elif age_ms <= lost_after_ms:
                status = "stale"
            else:
                status = "lost"
            parts.append(
                f'{{"pk":{pk},"index":{index},"cpu_mem":{cpu_mem},'
                f'"driver_version":{_json_string(driver)},'
                f'"hardware_generation":{_json_string(generation)},'
                f'"gpu_mem":{gpu_mem},'
                f'"last_seen":"{_format_second(seconds)}.{millis:03d}Z",'
                f'"current_job_id":{job or "null"},'
                f'"status":"{status}"}}'
            )
    return "[" + ",".join(parts) + "]"


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, headers=headers, mimetype="application/json")


def json_text_response(text: str, headers: dict | None = None) -> Response:
    """Return a 200 response whose body is JSON text that is already encoded."""
    return Response(text, status=200, headers=headers, mimetype="application/json")
