"""The list view's JSON text and the store's bulk read."""

import json

import pytest

from nodes.serialize import Liveness, node_to_json, nodes_to_json_text
from tests.factories import node_body

NOW_MS = 1_780_000_000_123
LIVENESS = Liveness(40, 300)


def _node(pk: int, **changes) -> dict:
    node = {
        "pk": pk,
        "index": 3,
        "cpu_mem": 2**40,
        "gpu_mem": 2**53 - 1,
        "driver_version": "535.104.05",
        "hardware_generation": "hopper",
        "last_seen": NOW_MS - 5,
        "current_job_id": None,
    }
    node.update(changes)
    return node


NODES = [
    _node(1),
    _node(2, current_job_id=0, last_seen=NOW_MS - 40_000),
    _node(3, current_job_id=2**53 - 1, last_seen=NOW_MS - 40_001),
    _node(4, last_seen=NOW_MS - 300_001),
    _node(5, last_seen=0, index=0, cpu_mem=0, gpu_mem=0),
    _node(6, driver_version='r535 "beta" \\ build'),
    _node(7, driver_version="version ä ü 驱动 \U0001f600"),
    _node(8, last_seen=NOW_MS + 999),
]


@pytest.mark.parametrize("nodes", [[], NODES[:1], NODES])
def test_text_matches_json_dumps(nodes):
    expected = json.dumps(
        [node_to_json(node, LIVENESS, NOW_MS) for node in nodes],
        separators=(",", ":"),
    )
    assert nodes_to_json_text(nodes, LIVENESS, NOW_MS) == expected


def test_fetch_many_order_and_gaps(store):
    pks = [store.create(node_body(index=i))["pk"] for i in range(5)]
    store.heartbeat(pks[1], 42)
    store.delete(pks[3])
    fetched = store.fetch_many([pks[4], pks[3], pks[1], 10**9, pks[0]])
    assert [node["pk"] for node in fetched] == [pks[4], pks[1], pks[0]]
    assert fetched[1]["current_job_id"] == 42
    assert fetched[0]["current_job_id"] is None
    assert fetched == [store.get(pk) for pk in (pks[4], pks[1], pks[0])]


def test_fetch_many_keeps_odd_driver(store):
    driver = 'r535 "beta" \\ ä'
    pk = store.create(node_body(driver_version=driver))["pk"]
    assert store.fetch_many([pk])[0]["driver_version"] == driver
