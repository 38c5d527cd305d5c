"""Measure POST /v1/nodes/list with no body on a real redis-server.

Starts its own redis-server on a free loopback port, creates N nodes through the
create script (pipelined), and times the list view through the Flask test client:
the full-list path (pk ranges, pipelined) against the general walk that the same
request took before (keyset ZRANGEBYSCORE, then fetch.lua, one after the other).
Prints the median server time of ROUNDS requests for each.

Run: python bench/full_list.py 6522 26088 104352

Measured with Python 3.11 on a 2-core virtual machine that other jobs loaded (load
average 1.2 to 1.5), median of 7 requests, three runs:

    nodes     walk          pk ranges
    6,522     116-132 ms    48-63 ms
    26,088    459-489 ms    177-183 ms
    104,352   1882-1989 ms  705-755 ms

Redis spends about 6 microseconds per node in fetch_range.lua (INFO commandstats),
5 of them in HMGET, and Python formats a node in about 4, alongside.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

import filtering.execute as execute_module  # noqa: E402
from app import create_app  # noqa: E402
from nodes.store import CLIENT_FIELDS  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

ROUNDS = 7
BODY = {
    "index": 0,
    "cpu_mem": 512 * 2**30,
    "driver_version": "535.104.05",
    "hardware_generation": "volta",
    "gpu_mem": 32 * 2**30,
}


def fill(store, count: int) -> None:
    script = store._scripts["create"]
    keys = store.keys
    for start in range(0, count, 5000):
        pipe = store.client.pipeline(transaction=False)
        for _ in range(min(5000, count - start)):
            script(
                keys=[
                    keys.pk_counter,
                    keys.pk_index,
                    keys.cpu_mem_index,
                    keys.gpu_mem_index,
                    keys.last_seen_index,
                ],
                args=[keys.node_stem, keys.generation_stem, store.now_ms()]
                + [BODY[name] for name in CLIENT_FIELDS],
                client=pipe,
            )
        pipe.execute()


def median_ms(client, expected: int) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.post("/v1/nodes/list")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        assert response.get_data().count(b'"pk"') == expected
    return statistics.median(times) * 1000


def main(sizes: list[int]) -> None:
    server = RedisServer()
    server.start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        app = create_app({"REDIS_CLIENT": client})
        store = app.extensions["node_registry"].store
        test_client = app.test_client()
        lists_everything = execute_module._lists_everything
        for size in sizes:
            fill(store, size - store.count())
            execute_module._lists_everything = lists_everything
            new = median_ms(test_client, size)
            execute_module._lists_everything = lambda spec: False
            old = median_ms(test_client, size)
            execute_module._lists_everything = lists_everything
            print(f"{size} nodes: walk {old:.0f} ms, pk ranges {new:.0f} ms")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [6522])
