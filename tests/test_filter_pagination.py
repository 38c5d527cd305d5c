"""Keyset pagination while other clients create and delete nodes (real Redis)."""

import random
import threading
import time

import pytest
import redis

from tests.factories import GIB, node_body
from tests.filter_support import make_store, run_spec
from tests.test_filter_properties import MillisecondClock

INITIAL_NODES = 600
MAX_WRITES = 400
MAX_SECONDS = 5.0
GPU_MEMS = [16 * GIB, 24 * GIB, 32 * GIB, 80 * GIB]


def _churn(url: str, victims: list[int], stop: threading.Event, log: dict) -> None:
    """Create nodes and delete some initial ones until stopped; bounded in count."""
    client = redis.Redis.from_url(url, decode_responses=True)
    store = make_store(client, MillisecondClock())
    rng = random.Random(7)
    deadline = time.monotonic() + MAX_SECONDS
    for step in range(MAX_WRITES):
        if stop.is_set() or time.monotonic() > deadline:
            break
        if step % 2 == 0 or not victims:
            body = node_body(gpu_mem=rng.choice(GPU_MEMS), index=step % 8)
            log["created"].add(store.create(body)["pk"])
        else:
            pk = victims.pop()
            store.delete(pk)
            log["deleted"].add(pk)
        time.sleep(0.001)
    client.close()


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 37},
        {"sort": ["-pk"], "limit": 50},
        {"sort": ["-gpu_mem"], "limit": 41},
        {"filter": {"gpu_mem": {"gte": 24 * GIB}}, "sort": ["gpu_mem"], "limit": 29},
        {"filter": {"index": {"lt": 6}}, "sort": ["index", "-gpu_mem"], "limit": 33},
    ],
    ids=["pk", "pk descending", "gpu_mem", "gpu_mem range", "index then gpu_mem"],
)
def test_paging_during_churn(real_redis, redis_server, body):
    store = make_store(real_redis, MillisecondClock())
    rng = random.Random(11)
    initial = [
        store.create(node_body(gpu_mem=rng.choice(GPU_MEMS), index=n % 8))["pk"]
        for n in range(INITIAL_NODES)
    ]
    victims = rng.sample(initial, INITIAL_NODES // 3)
    log = {"created": set(), "deleted": set()}
    stop = threading.Event()
    writer = threading.Thread(
        target=_churn, args=(redis_server.url, list(victims), stop, log)
    )
    writer.start()
    seen: list[int] = []
    request = dict(body)
    try:
        for _ in range(INITIAL_NODES * 4):
            result = run_spec(store, request)
            seen.extend(node["pk"] for node in result.nodes)
            time.sleep(0.002)
            if result.next_cursor is None:
                break
            request = {**body, "cursor": result.next_cursor}
    finally:
        stop.set()
        writer.join()
    survivors = {
        node["pk"] for node in store.fetch_many(initial) if _matches(body, node)
    }
    survivors -= log["deleted"]
    assert len(seen) == len(set(seen))
    assert survivors <= set(seen)
    assert set(seen) <= set(initial) | log["created"]
    assert log["deleted"]


def _matches(body: dict, node: dict) -> bool:
    condition = body.get("filter", {})
    if "gpu_mem" in condition:
        return node["gpu_mem"] >= condition["gpu_mem"]["gte"]
    if "index" in condition:
        return node["index"] < condition["index"]["lt"]
    return True
