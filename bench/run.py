"""Benchmark the node registry against its ceilings and Datasette, in one run.

python -m bench.run --g2-generation ... (see docs/benchmarks.md for the full command)
starts its own redis-server, gunicorn and Datasette on free loopback ports, loads the
fleets, runs every scenario, prints the table and writes it with the raw numbers to
--output-dir.
"""

import logging
import shutil
import sys
import time
from pathlib import Path

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


def run(options: Options) -> dict:
    check_tools()
    options.output_dir.mkdir(parents=True, exist_ok=True)
    log_dir = options.output_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    copies = build_fleets(options)
    sizes = [len(copies[0]) * n for n in options.copies]
    results: dict = {
        "machine": machine.describe(),
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "parameters": {**options.fleet.__dict__, "sizes": sizes},
        "notes": [],
    }
    log.info("fleets of %s nodes", ", ".join(f"{size:,}" for size in sizes))

    redis_server = RedisServer()
    servers = []
    try:
        redis_server.start()
        client = redis.Redis(port=redis_server.port, decode_responses=True)
        keys = KeySpace(KEY_PREFIX)
        results["empty_used_memory"] = client.info("memory")["used_memory"]
        env = base_environment(log_dir)
        env.update(REDIS_URL=redis_server.url, REGISTRY_KEY_PREFIX=KEY_PREFIX)
        registry = start_gunicorn("registry", "wsgi:app", env)
        floor = start_gunicorn("floor", "bench.floor_app:app", env)
        servers += [registry, floor]

        peer_database = options.output_dir / "fleet.db"
        peer_since_ms = int(time.time() * 1000) - 60_000
        build_peer_database(
            peer_database,
            {
                f"nodes_{size}": sum(copies[:n], [])
                for size, n in zip(sizes, options.copies, strict=True)
            },
            peer_since_ms + 60_000,
        )
        peer = start_datasette(peer_database, env)
        servers.append(peer)
        for server, path in (
            (registry, "/v1/hardware"),
            (floor, "/floor"),
            (peer, "/"),
        ):
            server.wait_ready(path)

        create_nodes(client, keys, copies[0], int(time.time() * 1000))
        stages.check_loaded(registry.url, copies[0], 1)
        beat = scenarios.detect_heartbeat(registry.url)
        results["heartbeat_request"] = beat.describe()

        log.info("ceilings")
        results["ceilings"] = {
            "framework floor": ceilings.framework_floor(floor.url, options).as_dict(),
            "one-call floor": ceilings.one_call_floor(
                floor.url, sizes[0], options
            ).as_dict(),
            "redis": ceilings.redis_ceiling(redis_server.port, keys, sizes[0], options),
        }
        context = stages.Context(
            options, client, keys, registry, peer, beat, peer_since_ms, results
        )
        loaded = 1
        for size, count in zip(sizes, options.copies, strict=True):
            for n in range(loaded, count):
                create_nodes(client, keys, copies[n], int(time.time() * 1000))
            if count > loaded:
                stages.check_loaded(
                    registry.url, copies[count - 1], size - sizes[0] + 1
                )
            loaded = count
            stages.measure_size(context, size, first=size == sizes[0])
            if size == sizes[0]:
                stages.dashboards(context, size)
                stages.profiles(context, size)
        stages.paging(context, sizes[-1])
    finally:
        for server in servers:
            server.stop()
        redis_server.cleanup()
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
    Path(options.output_dir / "table.md").write_text(table)
    print(table)
    log.info(
        "done in %.0f s; results in %s", results["run_seconds"], options.output_dir
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
