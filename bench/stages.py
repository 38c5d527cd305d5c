"""The stages of a run after the servers start: each size, dashboards, profiles."""

import logging
import time
from dataclasses import dataclass

import redis
import requests

from bench import ceilings, profile, replay, scenarios, wrk
from bench.load import describe_memory, refresh_last_seen
from bench.options import Options
from bench.processes import Server
from bench.scenarios import Target
from nodes.keys import KeySpace

log = logging.getLogger(__name__)

# Requests that need no token and show that a server has no work left in flight.
IDLE_PATH = "/health/live"
PEER_IDLE_PATH = "/-/versions.json"
# A query slower than this is timed request by request, SLOW_QUERY_REQUESTS per side.
SLOW_QUERY_SECONDS = 1.0
SLOW_QUERY_REQUESTS = 3


@dataclass
class Context:
    options: Options
    client: redis.Redis
    keys: KeySpace
    registry_server: Server
    registry: Target
    floor_server: Server
    peer_server: Server
    peer: Target
    token: str
    beat: scenarios.Heartbeat
    peer_since_ms: int
    results: dict

    def note(self, text: str) -> None:
        log.warning("%s", text)
        self.results["notes"].append(text)

    def registry_idle(self) -> None:
        self.registry_server.wait_idle(IDLE_PATH)


def check_loaded(registry: Target, nodes: list[dict], first_pk: int) -> None:
    """Read the first and last node of a loaded batch back through the HTTP API."""
    for offset in (0, len(nodes) - 1):
        pk = first_pk + offset
        response = registry.get(f"/v1/nodes/{pk}")
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


def measure_size(context: Context, size: int, floor_url: str, first: bool) -> None:
    """Measure heartbeats, the three list queries on both sides, and memory.

    The heartbeats take turns with the one-call floor at the same size, and on the
    first (smallest) fleet with the framework floor too.
    """
    results = context.results
    log.info("%s nodes: heartbeats, in turns with the floors", f"{size:,}")
    _refresh(context, size)
    results.setdefault("heartbeat", {})[size] = _measure_heartbeats(
        context, size, floor_url, with_framework=first
    )

    lists = results.setdefault("lists", {}).setdefault(size, {})
    for query, spec in scenarios.QUERIES.items():
        log.info("%s nodes: %s", f"{size:,}", query)
        # Every node has sent a heartbeat within the last minute, as in a live fleet.
        _refresh(context, size)
        lists[query] = _measure_query(context, size, query, spec)

    used = context.client.info("memory")["used_memory"]
    memory = describe_memory(context.client, context.keys, size)
    memory["bytes_per_node"] = (used - results["empty_used_memory"]) / size
    results.setdefault("memory", {})[size] = memory


def _measure_heartbeats(context, size, floor_url, with_framework: bool) -> dict:
    options = context.options
    seconds = options.seconds / options.rounds

    def registry() -> wrk.WrkResult:
        process = scenarios.heartbeats(
            context.registry, context.beat, size, options, seconds
        )
        return wrk.finish(process)

    measurements = {
        "one-call floor": lambda: ceilings.one_call_floor(
            floor_url, size, options, seconds
        ),
        "registry": registry,
    }
    if with_framework:
        measurements["framework floor"] = lambda: ceilings.framework_floor(
            floor_url, options, seconds
        )
    servers = {name: context.floor_server for name in measurements}
    servers["registry"] = context.registry_server
    merged = wrk.in_turns(
        {
            name: _with_server_cpu(measure, servers[name])
            for name, measure in measurements.items()
        },
        options.rounds,
    )
    context.registry_idle()
    return {name: result.as_dict() for name, result in merged.items()}


def _with_server_cpu(measure, server: Server):
    """Wrap a measurement so that its result carries the server's CPU time."""

    def measured() -> wrk.WrkResult:
        before = server.cpu_seconds()
        result = measure()
        result.server_cpu_seconds = server.cpu_seconds() - before
        return result

    return measured


def _measure_query(context, size, query, spec) -> dict:
    """Measure one query on the registry and the peer, in turns.

    A query whose first request took over SLOW_QUERY_SECONDS on either side is timed
    request by request on both sides, one request per turn. Other queries run under
    wrk.
    """
    options = context.options
    entry: dict = {}
    path = scenarios.peer_path(f"nodes_{size}", query, context.peer_since_ms)
    rows, peer_seconds = scenarios.peer_rows(context.peer, path)
    entry["peer_path"] = path
    entry["peer_rows"] = len(rows)
    entry["peer_pks"] = [row["pk"] for row in rows][:300]
    try:
        nodes, seconds = scenarios.list_nodes(context.registry, spec)
    except requests.HTTPError as exc:
        context.note(
            f"{query} at {size:,} nodes not measured on the registry: {exc}"
            f" ({exc.response.text[:200]})"
        )
        nodes, seconds = None, 0.0
    slow = max(seconds, peer_seconds) > SLOW_QUERY_SECONDS
    entry["client"] = "python, one request per turn" if slow else "wrk"

    def peer() -> wrk.WrkResult:
        if slow:
            return scenarios.timed_request(lambda: context.peer.get(path))
        result = scenarios.peer_latency(context.peer, path, options, peer_seconds)
        context.peer_server.wait_idle(PEER_IDLE_PATH)
        return result

    def registry() -> wrk.WrkResult:
        if slow:
            return scenarios.timed_request(
                lambda: context.registry.post("/v1/nodes/list", spec)
            )
        result = scenarios.list_latency(context.registry, spec, options, seconds)
        context.registry_idle()
        return result

    measurements = {"peer": peer}
    if nodes is not None:
        entry["registry_rows"] = len(nodes)
        entry["registry_pks"] = [node["pk"] for node in nodes][:300]
        measurements["registry"] = registry
    rounds = max(options.rounds, SLOW_QUERY_REQUESTS) if slow else options.rounds
    merged = wrk.in_turns(measurements, rounds)
    entry.update({name: result.as_dict() for name, result in merged.items()})
    return entry


def _heartbeat_load(context: Context, size: int, seconds: float) -> wrk.WrkResult:
    """Run the heartbeat load of the dashboard scenario for about ``seconds``."""
    options = context.options
    if replay.available():
        process = replay.start(
            context.registry.url,
            context.token,
            options.data_dir,
            options.fleet,
            seconds,
            options.heartbeat_interval_seconds,
            options.replay_start_at,
            options.replay_speedup,
        )
        return replay.finish(process, seconds + 120)
    # Each connection sends one request per (pause + latency), so the pause leaves
    # out the latency that the heartbeat measurement at this size found.
    rate = size / options.heartbeat_interval_seconds
    latency_ms = context.results["heartbeat"][size]["registry"]["p50_ms"]
    delay_ms = max(1, round(options.connections * 1000 / rate - latency_ms))
    process = scenarios.heartbeats(
        context.registry, context.beat, size, options, seconds, delay_ms
    )
    return wrk.finish(process)


def dashboards(context: Context, size: int) -> None:
    """Measure heartbeat latency without and with dashboards polling the full list.

    nodes-replay drives the heartbeats where it exists. Otherwise wrk does, with each
    connection pausing before every request, so the rate is about connections /
    (pause + latency). The two cases take turns, and the achieved rates are
    reported.
    """
    options = context.options
    seconds = options.seconds
    driver = (
        "nodes-replay (trace jobs and heartbeats)"
        if replay.available()
        else f"wrk, {options.connections} connections pausing between requests"
    )
    rate = size / options.heartbeat_interval_seconds
    log.info("dashboards: heartbeats at about %.0f/s, by %s", rate, driver)
    _refresh(context, size)
    polls: list[wrk.WrkResult] = []
    drains: list[float] = []

    def without() -> wrk.WrkResult:
        result = _heartbeat_load(context, size, seconds)
        context.registry_idle()
        return result

    def with_dashboards() -> wrk.WrkResult:
        polling = wrk.start(
            context.registry.url,
            "fixed.lua",
            ["POST", "/v1/nodes/list", "{}"],
            seconds + 2,
            connections=options.dashboards,
            headers=context.registry.headers,
            delay_ms=1000,
        )
        time.sleep(1)
        result = _heartbeat_load(context, size, seconds)
        polls.append(wrk.finish(polling))
        started = time.monotonic()
        context.registry_idle()
        drains.append(time.monotonic() - started)
        return result

    merged = wrk.in_turns({"without": without, "with": with_dashboards}, options.rounds)
    context.results["dashboards"] = {
        "count": options.dashboards,
        "target_rate": rate,
        "driver": driver,
        "without": merged["without"].as_dict(),
        "with": merged["with"].as_dict(),
        "dashboards": wrk.merge(polls).as_dict(),
        "drain_seconds": max(drains),
    }


def profiles(context: Context, size: int) -> None:
    """Sample the workers with py-spy during heartbeats and during full lists."""
    options = context.options
    if options.profile_seconds <= 0:
        return
    seconds = options.profile_seconds + 2
    loads = {
        "heartbeat": lambda: scenarios.heartbeats(
            context.registry, context.beat, size, options, seconds
        ),
        "full list": lambda: wrk.start(
            context.registry.url,
            "fixed.lua",
            ["POST", "/v1/nodes/list", "{}"],
            seconds,
            connections=2,
            headers=context.registry.headers,
        ),
    }
    summaries = {}
    for name, start_load in loads.items():
        log.info("profiling %s", name)
        load = start_load()
        time.sleep(1)
        raw = options.output_dir / f"profile-{name.replace(' ', '-')}.txt"
        try:
            pid = context.registry_server.process.pid
            profile.record(pid, options.profile_seconds, raw)
            summaries[name] = profile.summarize(raw)
        except Exception as exc:  # noqa: BLE001 - a failed profile ends no run
            context.note(f"profile of {name} failed: {exc}")
        wrk.finish(load)
        context.registry_idle()
    context.results["profiles"] = summaries


def paging(context: Context, size: int) -> None:
    log.info("%s nodes: paging %d at a time", f"{size:,}", context.options.page_size)
    try:
        result = scenarios.page_through(context.registry, context.options.page_size)
    except requests.HTTPError as exc:
        context.note(f"paging not measured: {exc} ({exc.response.text[:200]})")
        return
    if result["nodes"] != size or result["distinct"] != size:
        context.note(
            f"paging returned {result['nodes']:,} nodes, {result['distinct']:,}"
            f" distinct, of {size:,}"
        )
    context.results["paging"] = result
