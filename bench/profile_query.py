"""Profile one list query in process with cProfile, on the 6,522-node trace fleet.

Run from the repository root: ``python -m bench.profile_query [TRACE_DIR]``. It starts
its own redis-server on a free loopback port and loads the trace with create.lua, with
G2 and G3 as ampere with 24 and 40 GiB (the benchmark's documented example). It prints
the query's median latency through the Flask test client, the Redis commands of one
request (INFO commandstats) and the functions that took the most time in 300 requests.
"""

import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

import redis

from app import create_app
from bench.fleet import GIB, FleetParameters, read_trace
from bench.load import create_nodes
from bench.scenarios import EXACT_MATCH
from nodes.keys import KeySpace
from tests.redis_server import RedisServer

DEFAULT_TRACE_DIR = Path("../shared/data/alibaba-gpu-v2023")


def command_counts(client: redis.Redis, request) -> dict[str, int]:
    before = client.info("commandstats")
    request()
    after = client.info("commandstats")
    return {
        name: stats["calls"] - before.get(name, {}).get("calls", 0)
        for name, stats in after.items()
        if stats["calls"] != before.get(name, {}).get("calls", 0)
    }


def main() -> None:
    trace_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TRACE_DIR
    server = RedisServer()
    server.start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        parameters = FleetParameters(
            "ampere", 24 * GIB, "ampere", 40 * GIB, "535.104.05", "hopper"
        )
        nodes = read_trace(trace_dir, parameters)
        create_nodes(client, KeySpace("noderegistry"), nodes, int(time.time() * 1000))
        api = create_app({"REDIS_URL": server.url}).test_client()

        def query():
            return api.post("/v1/nodes/list", json=EXACT_MATCH)

        for _ in range(50):
            response = query()
        print("rows:", len(response.get_json()))
        seconds = []
        for _ in range(200):
            start = time.perf_counter()
            query()
            seconds.append(time.perf_counter() - start)
        print("median latency:", round(statistics.median(seconds) * 1000, 2), "ms")
        print("commands of one request:", command_counts(client, query))
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(300):
            query()
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(18)
        print(text.getvalue())
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
