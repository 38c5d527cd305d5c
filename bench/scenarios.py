"""The measured scenarios, against the registry and against the Datasette peer."""

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from bench import wrk
from bench.fleet import GIB
from bench.options import Options

log = logging.getLogger(__name__)

# The list queries, as filter specifications of POST /v1/nodes/list.
FULL_LIST = {}
# Idle Volta 32 GiB nodes seen in the last minute.
EXACT_MATCH = {
    "filter": {
        "hardware_generation": "volta",
        "gpu_mem": 32 * GIB,
        "current_job_id": None,
        "last_seen": {"gte": "-1m"},
    }
}
# The 100 idle nodes with the most GPU memory.
TOP_IDLE = {
    "filter": {"current_job_id": None},
    "sort": [{"field": "gpu_mem", "order": "desc"}],
    "limit": 100,
}
QUERIES = {"full list": FULL_LIST, "exact match": EXACT_MATCH, "top 100 idle": TOP_IDLE}

CURSOR_HEADER = "Next-Cursor"


@dataclass(frozen=True)
class Heartbeat:
    """How a worker sends a heartbeat to this build of the registry."""

    method: str
    path_template: str
    body: str

    def describe(self) -> str:
        body = "" if self.body == "-" else f" {self.body}"
        return f"{self.method} {self.path_template}{body}"


def detect_heartbeat(url: str) -> Heartbeat:
    """Use POST /v1/nodes/{pk}/heartbeat where it exists, else PATCH with {}."""
    response = requests.post(f"{url}/v1/nodes/1/heartbeat", timeout=10)
    if response.status_code == 204:
        return Heartbeat("POST", "/v1/nodes/{pk}/heartbeat", "-")
    log.warning(
        "POST /v1/nodes/1/heartbeat returned %s, so heartbeats use PATCH {}",
        response.status_code,
    )
    return Heartbeat("PATCH", "/v1/nodes/{pk}", "{}")


def heartbeats(
    url: str, beat: Heartbeat, nodes: int, options: Options, delay_ms: int = 0, **kw
):
    """Start wrk sending heartbeats of random pks 1..nodes; returns the process."""
    return wrk.start(
        url,
        "heartbeat.lua",
        [beat.method, beat.path_template, "1", str(nodes), beat.body],
        kw.get("seconds", options.seconds),
        threads=options.wrk_threads,
        connections=kw.get("connections", options.connections),
        delay_ms=delay_ms,
    )


def _latency_seconds(options: Options, one_request_seconds: float) -> float:
    """Return how long to measure a query so that at least about 3 requests finish.

    wrk counts only requests that end before its duration is over.
    """
    return min(90.0, max(options.list_seconds, 3.5 * one_request_seconds))


def list_latency(
    url: str, spec: dict, options: Options, one_request_seconds: float
) -> wrk.WrkResult:
    """Measure one list query on one connection, back to back."""
    return wrk.run(
        url,
        "fixed.lua",
        ["POST", "/v1/nodes/list", json.dumps(spec)],
        _latency_seconds(options, one_request_seconds),
    )


def list_nodes(url: str, spec: dict) -> tuple[list[dict], float]:
    """Send one list query; return the nodes and the seconds it took."""
    started = time.perf_counter()
    response = requests.post(f"{url}/v1/nodes/list", json=spec, timeout=120)
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


# The peer: the same queries as Datasette table URLs.


def peer_path(table: str, query: str, since_ms: int) -> str:
    """Return the Datasette URL path of a query on one table.

    _nocount, _nofacet and _nosuggest skip the row count and facet suggestions,
    which the JSON array does not show, so the peer does only the query.
    """
    params = {"_shape": "array", "_nocount": "1", "_nofacet": "1", "_nosuggest": "1"}
    if query == "full list":
        params["_size"] = "max"
    elif query == "exact match":
        params.update(
            {
                "hardware_generation": "volta",
                "gpu_mem": str(32 * GIB),
                "current_job_id__isnull": "1",
                "last_seen__gte": str(since_ms),
                "_size": "max",
            }
        )
    elif query == "top 100 idle":
        params.update(
            {"current_job_id__isnull": "1", "_sort_desc": "gpu_mem", "_size": "100"}
        )
    else:
        raise ValueError(f"unknown peer query {query!r}")
    return f"/fleet/{table}.json?{urlencode(params)}"


def peer_latency(
    url: str, path: str, options: Options, one_request_seconds: float
) -> wrk.WrkResult:
    seconds = _latency_seconds(options, one_request_seconds)
    return wrk.run(url, "fixed.lua", ["GET", path], seconds)


def peer_rows(url: str, path: str) -> tuple[list[dict], float]:
    """Send one peer query; return the rows and the seconds it took."""
    started = time.perf_counter()
    response = requests.get(url + path, timeout=120)
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


def page_through(url: str, page_size: int) -> dict:
    """Read the whole fleet page by page, following the cursor header."""
    session = requests.Session()
    spec: dict = {"limit": page_size}
    pages = 0
    pks: list[int] = []
    started = time.perf_counter()
    while True:
        response = session.post(f"{url}/v1/nodes/list", json=spec, timeout=60)
        response.raise_for_status()
        pages += 1
        pks.extend(node["pk"] for node in response.json())
        cursor = response.headers.get(CURSOR_HEADER)
        if not cursor:
            break
        spec = {"limit": page_size, "cursor": cursor}
        if pages > 10_000:
            raise RuntimeError("paging did not end after 10,000 pages")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "pages": pages,
        "nodes": len(pks),
        "distinct": len(set(pks)),
    }
