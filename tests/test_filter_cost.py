"""Query cost pinned by Redis command counts (INFO commandstats), not by time.

Each test builds a small and a large fleet that hold the same matching nodes and
checks that a limited query sends the same commands to both: its cost follows the
matches, not the fleet. Commands that fetch.lua runs count too.
"""

import pytest

from filtering.execute import make_plan
from filtering.spec import parse_spec
from tests.factories import GIB, cpu_node_body, node_body
from tests.filter_support import make_context, make_store, run_spec

pytestmark = pytest.mark.real_redis

IDLE_GPU_LIMIT_1 = {
    "filter": {
        "hardware_generation": {"in": ["ampere", "hopper", "volta"]},
        "current_job_id": None,
    },
    "limit": 1,
}
TOP_GPU_MEM = {"filter": {"current_job_id": None}, "sort": ["-gpu_mem"], "limit": 5}


class Clock:
    def __call__(self) -> float:
        return 1_780_000_000.0


def build(client, padding: int, padding_first: bool):
    """Create 12 idle hopper nodes and `padding` nodes that match neither query."""
    client.flushdb()
    store = make_store(client, Clock())
    pipe = client.pipeline(transaction=False)
    keys = store.keys
    hoppers = [node_body(index=i, gpu_mem=80 * GIB + i) for i in range(12)]
    padded = [cpu_node_body(index=0) for _ in range(padding)]
    bodies = padded + hoppers if padding_first else hoppers + padded
    for body in bodies:
        store._scripts["create"](
            keys=[
                keys.pk_counter,
                keys.pk_index,
                keys.cpu_mem_index,
                keys.gpu_mem_index,
                keys.last_seen_index,
            ],
            args=[keys.node_stem, keys.generation_stem, store.now_ms()]
            + [body[name] for name in ("index", "cpu_mem", "gpu_mem")]
            + [body["driver_version"], body["hardware_generation"]],
            client=pipe,
        )
    pipe.execute()
    return store


def command_calls(client, store, body) -> dict:
    run_spec(store, body)  # loads the scripts, so that no SCRIPT LOAD is counted
    client.config_resetstat()
    result = run_spec(store, body)
    calls = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in client.info("commandstats").items()
    }
    calls.pop("config|resetstat", None)
    return {"calls": calls, "pks": [node["pk"] for node in result.nodes]}


@pytest.mark.parametrize("body", [IDLE_GPU_LIMIT_1, TOP_GPU_MEM])
def test_cost_same_on_larger_fleet(real_redis, body):
    small = command_calls(real_redis, build(real_redis, 20, True), body)
    large = command_calls(real_redis, build(real_redis, 3000, True), body)
    assert len(small["pks"]) == body["limit"]
    assert len(large["pks"]) == body["limit"]
    assert large["calls"] == small["calls"]


def test_merge_plan_chosen(real_redis):
    store = build(real_redis, 3000, True)
    spec = parse_spec(IDLE_GPU_LIMIT_1, make_context(store), store.now_ms())
    assert make_plan(store, spec).kind == "merge"


def test_merge_reads_few_entries(real_redis):
    store = build(real_redis, 3000, True)
    calls = command_calls(real_redis, store, IDLE_GPU_LIMIT_1)["calls"]
    # One range read per generation set, one index check, one fetch.
    assert calls["zrangebyscore"] == 3
    assert calls["zmscore"] == 4
    assert calls["evalsha"] == 1


def test_merge_pages_match_walk(real_redis):
    store = build(real_redis, 40, False)
    body = dict(IDLE_GPU_LIMIT_1, limit=5)
    unlimited = {key: value for key, value in body.items() if key != "limit"}
    expected = [node["pk"] for node in run_spec(store, unlimited).nodes]
    pages, cursor = [], None
    while True:
        page_body = body if cursor is None else {**body, "cursor": cursor}
        result = run_spec(store, page_body)
        pages.extend(node["pk"] for node in result.nodes)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert pages == expected


def test_walk_fetches_only_needed(real_redis):
    store = build(real_redis, 100, False)
    calls = command_calls(real_redis, store, TOP_GPU_MEM)["calls"]
    # The index scores decide the filter, so no hash is fetched past limit + 1.
    assert calls["hmget"] == TOP_GPU_MEM["limit"] + 1
