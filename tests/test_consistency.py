"""nodes.consistency.check finds every kind of disagreement it claims to find."""

import pytest

from nodes.consistency import check
from tests.factories import node_body


@pytest.fixture
def nodes(api):
    pks = []
    for index in range(3):
        response = api.post("/v1/nodes/create", json=node_body(index=index))
        pks.append(response.get_json()["pk"])
    api.patch(f"/v1/nodes/{pks[0]}", json={"current_job_id": 11})
    return pks


def test_clean_registry_ok(store, nodes):
    report = check(store)
    assert report.problems == []
    assert report.nodes == 3


def test_counts_index_entries(store, nodes):
    # pk, cpu_mem, gpu_mem, last_seen and generation for 3 nodes, plus one job.
    assert check(store).index_entries == 3 * 5 + 1


def test_small_batches_ok(store, nodes):
    assert check(store, batch_size=1).ok


def test_partial_hash_found(store, nodes):
    store.client.hdel(store.keys.node(nodes[1]), "cpu_mem")
    report = check(store)
    assert report.problems == [f"node {nodes[1]}: hash lacks fields ['cpu_mem']"]


@pytest.mark.parametrize("field", ["pk", "cpu_mem", "gpu_mem", "last_seen"])
def test_missing_index_entry_found(store, nodes, field):
    store.client.zrem(store.keys.field_index(field), nodes[2])
    problems = check(store).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"node {nodes[2]}: {field} index score None")


def test_wrong_score_found(store, nodes):
    store.client.zadd(store.keys.gpu_mem_index, {nodes[0]: 1})
    assert len(check(store).problems) == 1


def test_stale_job_entry_found(store, nodes):
    store.client.hdel(store.keys.node(nodes[0]), "current_job_id")
    problems = check(store).problems
    assert problems == [
        f"node {nodes[0]}: current_job_id index score 11.0, expected None"
    ]


def test_orphan_index_entry_found(store, nodes):
    store.client.zadd(store.keys.cpu_mem_index, {999: 5})
    assert check(store).problems == [
        f"{store.keys.cpu_mem_index}: entry 999 has no node hash"
    ]


def test_wrong_generation_entry_found(store, nodes):
    store.client.zadd(store.keys.generation_index("volta"), {nodes[1]: nodes[1]})
    problems = check(store).problems
    assert problems == [
        f"{store.keys.generation_index('volta')}: entry {nodes[1]}, but the node's"
        " generation is hopper"
    ]


def test_missing_generation_entry_found(store, nodes):
    store.client.zrem(store.keys.generation_index("hopper"), nodes[1])
    problems = check(store).problems
    assert problems == [f"node {nodes[1]}: missing from generation index hopper"]
