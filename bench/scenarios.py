"""The measured requests, against the registry and against the Datasette peer."""

import json
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from bench import wrk
from bench.fleet import GIB
from bench.options import Options

log = logging.getLogger(__name__)

# The list queries, as filter specifications of POST /v1/nodes/list.
FULL_LIST: dict = {}
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
TOP_IDLE = {"filter": {"current_job_id": None}, "sort": ["-gpu_mem"], "limit": 100}
QUERIES = {"full list": FULL_LIST, "exact match": EXACT_MATCH, "top 100 idle": TOP_IDLE}

CURSOR_HEADER = "Next-Cursor"


@dataclass
class Target:
    """A server under load: its base URL and the headers every request carries."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)

    def post(self, path: str, body: object = None, **kwargs) -> requests.Response:
        return requests.post(
            self.url + path, json=body, headers=self.headers, timeout=120, **kwargs
        )

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, timeout=120)


@dataclass(frozen=True)
class Heartbeat:
    """The request that a worker sends as a heartbeat to this build of the registry."""

    method: str
    path_template: str
    body: str

    def describe(self) -> str:
        body = "" if self.body == "-" else f" {self.body}"
        return f"{self.method} {self.path_template}{body}"


def detect_heartbeat(registry: Target) -> Heartbeat:
    """Use POST /v1/nodes/{pk}/heartbeat where it exists, else PATCH with {}."""
    response = registry.post("/v1/nodes/1/heartbeat")
    if response.status_code == 204:
        return Heartbeat("POST", "/v1/nodes/{pk}/heartbeat", "-")
    log.warning(
        "POST /v1/nodes/1/heartbeat returned %s, so heartbeats use PATCH {}",
        response.status_code,
    )
    return Heartbeat("PATCH", "/v1/nodes/{pk}", "{}")


def heartbeats(
    registry: Target,
    beat: Heartbeat,
    nodes: int,
    options: Options,
    seconds: float | None = None,
    delay_ms: int = 0,
):
    """Start wrk sending heartbeats of random pks 1..nodes; returns the process."""
    return wrk.start(
        registry.url,
        "heartbeat.lua",
        [beat.method, beat.path_template, "1", str(nodes), beat.body],
        options.seconds if seconds is None else seconds,
        threads=options.wrk_threads,
        connections=options.connections,
        headers=registry.headers,
        delay_ms=delay_ms,
    )


def _latency_seconds(options: Options, one_request_seconds: float) -> float:
    """Return how long one turn of a query runs so that about 2 requests finish.

    wrk counts only requests that end before its duration is over.
    """
    turn = options.list_seconds / options.rounds
    return min(60.0, max(turn, 2.5 * one_request_seconds))


def list_nodes(registry: Target, spec: dict) -> tuple[list[dict], float]:
    """Send one list query; return the nodes and the seconds it took."""
    started = time.perf_counter()
    response = registry.post("/v1/nodes/list", spec)
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


def list_latency(
    registry: Target, spec: dict, options: Options, one_request_seconds: float
) -> wrk.WrkResult:
    """Measure one list query on one connection, back to back."""
    return wrk.run(
        registry.url,
        "fixed.lua",
        ["POST", "/v1/nodes/list", json.dumps(spec)],
        _latency_seconds(options, one_request_seconds),
        headers=registry.headers,
    )


def timed_request(send) -> wrk.WrkResult:
    """Time one request made by send() and read in full, as a one-request result.

    Queries that take seconds are timed this way instead of with wrk, which would
    need a long run for a few requests and leave one in flight when it stops.
    """
    started = time.perf_counter()
    response = send()
    body = response.content
    elapsed_ms = (time.perf_counter() - started) * 1000
    return wrk.WrkResult(
        requests=1,
        seconds=elapsed_ms / 1000,
        errors=0 if response.ok else 1,
        bytes=len(body),
        mean_ms=elapsed_ms,
        p50_ms=elapsed_ms,
        p90_ms=elapsed_ms,
        p99_ms=elapsed_ms,
        max_ms=elapsed_ms,
    )


def page_through(registry: Target, page_size: int) -> dict:
    """Read the whole fleet page by page, following the cursor header."""
    session = requests.Session()
    session.headers.update(registry.headers)
    spec: dict = {"limit": page_size}
    pages = 0
    pks: list[int] = []
    started = time.perf_counter()
    while True:
        response = session.post(f"{registry.url}/v1/nodes/list", json=spec, timeout=60)
        response.raise_for_status()
        pages += 1
        pks.extend(node["pk"] for node in response.json())
        cursor = response.headers.get(CURSOR_HEADER)
        if not cursor:
            break
        spec = {"limit": page_size, "cursor": cursor}
        if pages > 10_000:
            raise RuntimeError("paging did not end after 10,000 pages")
    return {
        "seconds": time.perf_counter() - started,
        "pages": pages,
        "nodes": len(pks),
        "distinct": len(set(pks)),
    }


# The peer: the same queries as Datasette table URLs.


def peer_path(table: str, query: str, since_ms: int) -> str:
    """Return the Datasette URL path of a query on one table.

    _nocount, _nofacet and _nosuggest skip the row count and facet suggestions,
    which the JSON array does not show, so the peer runs only the query.
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


def peer_rows(peer: Target, path: str) -> tuple[list[dict], float]:
    """Send one peer query; return the rows and the seconds it took."""
    started = time.perf_counter()
    response = peer.get(path)
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


def peer_latency(
    peer: Target, path: str, options: Options, one_request_seconds: float
) -> wrk.WrkResult:
    seconds = _latency_seconds(options, one_request_seconds)
    return wrk.run(peer.url, "fixed.lua", ["GET", path], seconds)
