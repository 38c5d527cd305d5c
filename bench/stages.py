"""The stages of a run after the servers start: each size, dashboards, profiles."""

import logging
import time
from dataclasses import dataclass

import redis
import requests

from bench import profile, scenarios, wrk
from bench.load import describe_memory, refresh_last_seen
from bench.options import Options
from bench.processes import Server
from nodes.keys import KeySpace

log = logging.getLogger(__name__)

# Cheap requests that show a server has no work left in flight.
IDLE_PATH = "/v1/hardware"
PEER_IDLE_PATH = "/-/versions.json"


@dataclass
class Context:
    options: Options
    client: redis.Redis
    keys: KeySpace
    registry: Server
    peer: Server
    beat: scenarios.Heartbeat
    peer_since_ms: int
    results: dict

    def note(self, text: str) -> None:
        log.warning("%s", text)
        self.results["notes"].append(text)


def check_loaded(url: str, nodes: list[dict], first_pk: int) -> None:
    """Read the first and last node of a loaded batch back through the HTTP API."""
    for offset in (0, len(nodes) - 1):
        pk = first_pk + offset
        response = requests.get(f"{url}/v1/nodes/{pk}", timeout=10)
        response.raise_for_status()
        served = response.json()
        expected = nodes[offset]
        different = {
            name: (served.get(name), value)
            for name, value in expected.items()
            if served.get(name) != value
        }
        if different:
            raise RuntimeError(
                f"node {pk} as served differs from what was loaded: {different}"
            )


def _refresh(context: Context, size: int) -> None:
    refresh_last_seen(context.client, context.keys, 1, size, int(time.time() * 1000))


def measure_size(context: Context, size: int, first: bool) -> None:
    """Measure heartbeats, the three list queries on both sides, and memory."""
    options, results = context.options, context.results
    _refresh(context, size)
    log.info("%s nodes: heartbeats", f"{size:,}")
    process = scenarios.heartbeats(context.registry.url, context.beat, size, options)
    results.setdefault("heartbeat", {})[size] = wrk.finish(process).as_dict()

    context.registry.wait_idle(IDLE_PATH)

    _refresh(context, size)
    lists = results.setdefault("lists", {}).setdefault(size, {})
    for query, spec in scenarios.QUERIES.items():
        log.info("%s nodes: %s", f"{size:,}", query)
        entry = lists.setdefault(query, {})
        _measure_registry_query(context, size, query, spec, entry)
        _measure_peer_query(context, size, query, entry)
    used = context.client.info("memory")["used_memory"]
    memory = describe_memory(context.client, context.keys, size)
    memory["bytes_per_node"] = (used - results["empty_used_memory"]) / size
    results.setdefault("memory", {})[size] = memory


def _measure_registry_query(context, size, query, spec, entry) -> None:
    try:
        nodes, seconds = scenarios.list_nodes(context.registry.url, spec)
    except requests.HTTPError as exc:
        context.note(
            f"{query} at {size:,} nodes not measured on the registry: {exc}"
            f" ({exc.response.text[:200]})"
        )
        return
    entry["registry_rows"] = len(nodes)
    entry["registry_pks"] = [node["pk"] for node in nodes][:300]
    entry["registry"] = scenarios.list_latency(
        context.registry.url, spec, context.options, seconds
    ).as_dict()
    context.registry.wait_idle(IDLE_PATH)


def _measure_peer_query(context, size, query, entry) -> None:
    path = scenarios.peer_path(f"nodes_{size}", query, context.peer_since_ms)
    rows, seconds = scenarios.peer_rows(context.peer.url, path)
    entry["peer_path"] = path
    entry["peer_rows"] = len(rows)
    entry["peer"] = scenarios.peer_latency(
        context.peer.url, path, context.options, seconds
    ).as_dict()
    context.peer.wait_idle(PEER_IDLE_PATH)


def dashboards(context: Context, size: int) -> None:
    """Measure heartbeat latency at a fixed rate, without and with polling dashboards.

    wrk has no rate option, so each connection pauses before every request; the rate
    is then about connections / (pause + latency) and the achieved rate is reported.
    """
    options = context.options
    rate = size / options.heartbeat_interval_seconds
    connections = options.connections
    delay_ms = max(1, round(connections * 1000 / rate))
    url = context.registry.url
    seconds = options.seconds * 1.5
    result = {
        "count": options.dashboards,
        "target_rate": rate,
        "delay_ms": delay_ms,
        "driver": f"wrk, {connections} connections each pausing {delay_ms} ms",
    }
    _refresh(context, size)
    log.info("dashboards: heartbeats alone at about %.0f/s", rate)
    alone = scenarios.heartbeats(
        url, context.beat, size, options, delay_ms=delay_ms, seconds=seconds
    )
    result["without"] = wrk.finish(alone).as_dict()
    context.registry.wait_idle(IDLE_PATH)
    log.info("dashboards: %d dashboards polling every second", options.dashboards)
    polling = wrk.start(
        url,
        "fixed.lua",
        ["POST", "/v1/nodes/list", "{}"],
        seconds + 2,
        connections=options.dashboards,
        delay_ms=1000,
    )
    time.sleep(1)
    beating = scenarios.heartbeats(
        url, context.beat, size, options, delay_ms=delay_ms, seconds=seconds
    )
    result["with"] = wrk.finish(beating).as_dict()
    result["dashboards"] = wrk.finish(polling).as_dict()
    result["drain_seconds"] = context.registry.wait_idle(IDLE_PATH)
    context.results["dashboards"] = result


def profiles(context: Context, size: int) -> None:
    """Sample the workers with py-spy during heartbeats and during full lists."""
    options = context.options
    if options.profile_seconds <= 0:
        return
    pid = context.registry.process.pid
    summaries = {}
    loads = {
        "heartbeat": lambda seconds: scenarios.heartbeats(
            context.registry.url, context.beat, size, options, seconds=seconds
        ),
        "full list": lambda seconds: wrk.start(
            context.registry.url,
            "fixed.lua",
            ["POST", "/v1/nodes/list", "{}"],
            seconds,
            connections=2,
        ),
    }
    for name, start_load in loads.items():
        log.info("profiling %s", name)
        load = start_load(options.profile_seconds + 2)
        time.sleep(1)
        raw = options.output_dir / f"profile-{name.replace(' ', '-')}.txt"
        try:
            profile.record(pid, options.profile_seconds, raw)
            summaries[name] = profile.summarize(raw)
        except Exception as exc:  # noqa: BLE001 - a profile is optional
            context.note(f"profile of {name} failed: {exc}")
        wrk.finish(load)
        context.registry.wait_idle(IDLE_PATH)
    context.results["profiles"] = summaries


def paging(context: Context, size: int) -> None:
    log.info("%s nodes: paging %d at a time", f"{size:,}", context.options.page_size)
    try:
        context.results["paging"] = scenarios.page_through(
            context.registry.url, context.options.page_size
        )
    except requests.HTTPError as exc:
        context.note(f"paging not measured: {exc} ({exc.response.text[:200]})")
