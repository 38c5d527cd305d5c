"""The full list (no body): pk-range reads, pipelined, against both backends."""

import threading

import pytest

from nodes.full_list import decode_reply, iter_replies
from nodes.serialize import nodes_to_json_text
from tests.factories import node_body
from tests.filter_support import all_nodes


def create(store, count: int) -> list[int]:
    script = store._scripts["create"]
    keys = store.keys
    pipe = store.client.pipeline(transaction=False)
    for index in range(count):
        body = node_body(index=index % 8)
        script(
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
    return [int(pk) for pk in pipe.execute()]


def listed(api) -> list[dict]:
    response = api.post("/v1/nodes/list")
    assert response.status_code == 200
    return response.get_json()


def listed_pks(api) -> list[int]:
    return [node["pk"] for node in listed(api)]


def read_all(store) -> list[dict]:
    return [node for lines in iter_replies(store) for node in decode_reply(lines)]


REAL_ONLY = pytest.mark.parametrize("redis_client", ["redis"], indirect=True)
WHOLE = {"driver_version": "535.104.05", "hardware_generation": "hopper"}

# (nodes created, modulus, remainders of the pks kept, extra counter raise)
SPARSE_CASES = {
    "dense": (2500, 1, {0}, 0),
    "every third kept": (3500, 3, {1}, 0),
    "whole ranges empty": (4500, 3000, set(range(1000, 3000)), 0),
    "keyset fallback": (1200, 100, {7}, 0),
    "counter far ahead": (30, 1, {0}, 10**6),
}


@pytest.mark.parametrize("case", SPARSE_CASES.values(), ids=SPARSE_CASES)
def test_sparse_ranges(api, store, case):
    count, modulus, remainders, raise_by = case
    pks = create(store, count)
    for pk in pks:
        if pk % modulus not in remainders:
            store.delete(pk)
    # Raise the counter as an import of a fleet with large pks does.
    store.client.incrby(store.keys.pk_counter, raise_by)
    expected = [pk for pk in pks if pk % modulus in remainders]
    assert listed_pks(api) == expected


def test_same_text_as_walk(api, store):
    create(store, 1500)
    store.heartbeat(7, 42)
    store.patch(8, {"driver_version": 'r535 "beta" \\ ä'})
    # Values that only a change outside the service stores, but that decode.
    store.client.hset(store.keys.node(9), "index", "007")
    store.client.hset(store.keys.node(10), "cpu_mem", "-1")
    nodes = all_nodes(store)
    text = nodes_to_json_text(
        nodes, api.application.extensions["node_registry"].liveness, store.now_ms()
    )
    assert api.post("/v1/nodes/list").get_data(as_text=True) == text


def test_empty_registry(api):
    assert listed(api) == []


def test_writes_during_list(store):
    pks = create(store, 4500)
    replies = iter_replies(store)
    first = decode_reply(next(replies))
    # Only the second range is sent yet, so the delete in the fourth and the
    # creates in the open fifth show in the list.
    store.delete(pks[3500])
    store.delete(pks[0])  # already read
    added = create(store, 3)
    rest = [node for lines in replies for node in decode_reply(lines)]
    got = [node["pk"] for node in first + rest]
    expected = [pk for pk in pks + added if pk != pks[3500]]
    assert got == expected


@REAL_ONLY
def test_nodes_whole_under_concurrent_writes(redis_client, api, store):
    pks = create(store, 3000)
    stop = threading.Event()

    def churn():
        victims = iter(pks[::7])
        while not stop.is_set():
            victim = next(victims, None)
            if victim is None:
                return
            store.delete(victim)
            create(store, 2)

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        lists = [read_all(store) for _ in range(5)]
    finally:
        stop.set()
        writer.join(timeout=30)
    for nodes in lists:
        got = [node["pk"] for node in nodes]
        assert got == sorted(set(got))
        assert all(node == {**node, **WHOLE} for node in nodes)


@REAL_ONLY
def test_script_flush_between_lists(redis_client, api, store):
    create(store, 2100)
    before = listed(api)
    redis_client.script_flush()
    assert listed(api) == before


def test_script_flush_during_list(redis_client, store, caplog):
    create(store, 3100)
    expected = read_all(store)
    replies = iter_replies(store)
    first = decode_reply(next(replies))
    redis_client.script_flush()
    rest = [node for lines in replies for node in decode_reply(lines)]
    assert first + rest == expected
    assert "flushed during a list" in caplog.text


def test_abandoned_list_closes_connection(redis_client, store):
    create(store, 3100)
    expected = read_all(store)
    replies = iter_replies(store)
    next(replies)
    replies.close()
    assert not redis_client.connection_pool._in_use_connections
    assert read_all(store) == expected


@pytest.mark.parametrize("count", [999, 3500])
@REAL_ONLY
def test_one_script_call_per_range(redis_client, api, store, count):
    create(store, count)
    listed(api)  # the first list may load the script
    redis_client.config_resetstat()
    assert len(listed(api)) == count
    calls = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in redis_client.info("commandstats").items()
    }
    calls.pop("config|resetstat", None)
    ranges = -(-count // 1000)
    # Redis counts the commands that the script runs too.
    assert calls == {
        "get": 1,
        "zcard": 1,
        "script|load": 1,
        "evalsha": ranges,
        "zrangebyscore": ranges,
        "hmget": count,
    }
