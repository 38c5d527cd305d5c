"""Benchmark the node registry against its ceilings and Datasette, in one run.

python -m bench.run --g2-generation ... (docs/benchmarks.md has the full command)
starts its own redis-server, gunicorn and Datasette on free loopback ports, loads
the fleets, runs every scenario, prints the table and writes it with the raw numbers
to --output-dir.
"""

import logging
import secrets
import shutil
import sys
import time
from contextlib import ExitStack

import redis

from bench import ceilings, machine, report, scenarios, stages
from bench.fleet import copy_of, read_trace
from bench.load import build_peer_database, create_nodes, dump_json
from bench.options import Options, parse
from bench.processes import (
    RedisServer,
    base_environment,
    start_datasette,
    start_gunicorn,
)
from bench.scenarios import Target
from bench.wrk import require_wrk
from nodes.keys import KeySpace

log = logging.getLogger("bench")

KEY_PREFIX = "bench"


def check_tools() -> None:
    require_wrk()
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is not installed; install it with: apt-get install"
                " redis-server"
            )


def build_fleets(options: Options) -> list[list[dict]]:
    """Return the largest fleet as a list of copies; copy 0 is the trace itself."""
    trace = read_trace(options.data_dir, options.fleet)
    generations = {node["hardware_generation"] for node in trace}
    if options.fleet.copy_generation in generations:
        raise ValueError(
            f"--copy-generation {options.fleet.copy_generation} is a generation of the"
            f" trace ({sorted(generations)}); choose another hardware ID"
        )
    copies = [trace]
    copies += [copy_of(trace, n, options.fleet) for n in range(1, max(options.copies))]
    return copies


def start_servers(stack: ExitStack, options: Options, copies, sizes) -> dict:
    """Start Redis, the registry, the floor app and Datasette; return them by name.

    The registry runs with bearer tokens on, as in production, with one admin token
    that every request of the run carries.
    """
    log_dir = options.output_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    redis_server = RedisServer()
    stack.callback(redis_server.cleanup)
    redis_server.start()
    token = secrets.token_urlsafe(32)
    env = base_environment(log_dir)
    env.update(
        REDIS_URL=redis_server.url,
        REGISTRY_KEY_PREFIX=KEY_PREFIX,
        REGISTRY_TOKENS=f"admin:{token}",
    )
    peer_database = options.output_dir / "fleet.db"
    peer_rows_ms = int(time.time() * 1000)
    build_peer_database(
        peer_database,
        {
            f"nodes_{size}": [node for copy in copies[:count] for node in copy]
            for size, count in zip(sizes, options.copies, strict=True)
        },
        peer_rows_ms,
    )
    servers = {
        "registry": start_gunicorn("registry", "wsgi:app", env),
        "floor": start_gunicorn("floor", "bench.floor_app:app", env),
        "peer": start_datasette(peer_database, env),
    }
    for server in servers.values():
        stack.callback(server.stop)
    servers["registry"].wait_ready(stages.IDLE_PATH)
    servers["floor"].wait_ready("/floor")
    servers["peer"].wait_ready(stages.PEER_IDLE_PATH)
    return {
        **servers,
        "redis": redis_server,
        "token": token,
        # The peer's rows are static, so "seen in the last minute" is the minute
        # before they were written.
        "peer_since_ms": peer_rows_ms - 60_000,
    }


def measure(options: Options, copies: list[list[dict]], sizes: list[int], results):
    with ExitStack() as stack:
        servers = start_servers(stack, options, copies, sizes)
        port = servers["redis"].port
        client = redis.Redis(port=port, decode_responses=True)
        keys = KeySpace(KEY_PREFIX)
        results["empty_used_memory"] = client.info("memory")["used_memory"]
        auth = {"Authorization": f"Bearer {servers['token']}"}
        registry = Target(servers["registry"].url, auth)

        create_nodes(client, keys, copies[0], int(time.time() * 1000))
        stages.check_loaded(registry, copies[0], 1)
        beat = scenarios.detect_heartbeat(registry)
        results["heartbeat_request"] = beat.describe()

        log.info("Redis ceiling")
        results["redis_ceiling"] = ceilings.redis_ceiling(port, keys, sizes[0], options)
        context = stages.Context(
            options=options,
            client=client,
            keys=keys,
            registry_server=servers["registry"],
            registry=registry,
            floor_server=servers["floor"],
            peer_server=servers["peer"],
            peer=Target(servers["peer"].url),
            token=servers["token"],
            beat=beat,
            peer_since_ms=servers["peer_since_ms"],
            results=results,
        )
        run_sizes(context, copies, sizes, servers["floor"].url)


def run_sizes(context: stages.Context, copies, sizes: list[int], floor_url: str):
    options = context.options
    loaded = 1
    for size, count in zip(sizes, options.copies, strict=True):
        for n in range(loaded, count):
            create_nodes(
                context.client, context.keys, copies[n], int(time.time() * 1e3)
            )
        if count > loaded:
            first_pk = size - len(copies[0]) + 1
            stages.check_loaded(context.registry, copies[count - 1], first_pk)
        loaded = count
        stages.measure_size(context, size, floor_url, first=size == sizes[0])
        if size == sizes[0]:
            try:
                stages.dashboards(context, size)
            except RuntimeError as exc:
                context.note(f"dashboard scenario failed: {exc}")
            stages.profiles(context, size)
    stages.paging(context, sizes[-1])


def run(options: Options) -> dict:
    check_tools()
    options.output_dir.mkdir(parents=True, exist_ok=True)
    copies = build_fleets(options)
    sizes = [len(copies[0]) * count for count in options.copies]
    results: dict = {
        "machine": machine.describe(),
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "parameters": {**options.fleet.__dict__, "sizes": sizes},
        "notes": [],
    }
    log.info("fleets of %s nodes", ", ".join(f"{size:,}" for size in sizes))
    measure(options, copies, sizes, results)
    results["machine"]["load_average_after"] = machine.load_average()
    return results


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    options = parse(argv)
    started = time.monotonic()
    results = run(options)
    results["run_seconds"] = round(time.monotonic() - started, 1)
    dump_json(options.output_dir / "results.json", results)
    table = report.render(results)
    (options.output_dir / "table.md").write_text(table)
    print(table)
    log.info(
        "done in %.0f s; results in %s", results["run_seconds"], options.output_dir
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
