"""Node hashes changed outside the service: reads, lists and the consistency check."""

import logging

import pytest

from nodes.consistency import check
from operations.check_cli import main as check_main
from tests.conftest import make_app
from tests.factories import node_body

ERROR_KEYS = {"code", "status", "message", "errors"}

# (case id, hash field, value to write or None to delete the field, check fragment)
DAMAGES = [
    ("gpu_mem-text", "gpu_mem", "notanumber", "gpu_mem"),
    ("cpu_mem-float", "cpu_mem", "1.5", "cpu_mem"),
    ("index-empty", "index", "", "index"),
    ("last_seen-text", "last_seen", "yesterday", "last_seen"),
    ("job-text", "current_job_id", "none", "current_job_id"),
    ("driver-missing", "driver_version", None, "driver_version"),
    ("generation-missing", "hardware_generation", None, "hardware_generation"),
    ("gpu_mem-missing", "gpu_mem", None, "gpu_mem"),
]
DAMAGE_IDS = [damage[0] for damage in DAMAGES]


def damage(client, store, pk: int, field: str, value: str | None) -> None:
    key = store.keys.node(pk)
    if value is None:
        client.hdel(key, field)
    else:
        client.hset(key, field, value)


@pytest.fixture
def fleet(api, store):
    for index in range(3):
        assert api.post("/v1/nodes/create", json=node_body(index=index)).status_code
    return store


@pytest.mark.parametrize(
    ("case", "field", "value", "fragment"), DAMAGES, ids=DAMAGE_IDS
)
def test_get_damaged_is_json_500(api, fleet, case, field, value, fragment):
    damage(fleet.client, fleet, 2, field, value)
    response = api.get("/v1/nodes/2")
    assert response.status_code == 500
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert "node 2" in body["message"]
    assert "nodes-check" in body["message"]
    assert field in body["message"]


LIST_BODIES = [
    None,
    {"sort": ["driver_version"]},
    {"sort": ["-gpu_mem"], "limit": 2},
    {"filter": {"gpu_mem": {"gte": 0}}},
    {"filter": {"index": {"in": [0, 1, 2]}}},
]


@pytest.mark.parametrize("body", LIST_BODIES, ids=[str(b) for b in LIST_BODIES])
@pytest.mark.parametrize(
    ("case", "field", "value", "fragment"), DAMAGES, ids=DAMAGE_IDS
)
def test_list_leaves_damaged_out(
    api, fleet, caplog, body, case, field, value, fragment
):
    damage(fleet.client, fleet, 2, field, value)
    with caplog.at_level(logging.ERROR, logger="nodes.store"):
        response = api.post("/v1/nodes/list", json=body)
    assert response.status_code == 200
    assert 2 not in [node["pk"] for node in response.get_json()]
    assert any("node 2 is damaged" in record.message for record in caplog.records)


def test_list_keeps_healthy_nodes(api, fleet):
    damage(fleet.client, fleet, 2, "gpu_mem", "notanumber")
    pks = [node["pk"] for node in api.post("/v1/nodes/list").get_json()]
    assert pks == [1, 3]


@pytest.mark.parametrize(
    ("case", "field", "value", "fragment"), DAMAGES, ids=DAMAGE_IDS
)
@pytest.mark.parametrize("repair", [False, True], ids=["check", "repair"])
def test_check_reports_unrepairable(fleet, case, field, value, fragment, repair):
    damage(fleet.client, fleet, 2, field, value)
    report = check(fleet, repair=repair)
    assert report.unrepairable_nodes == 1
    assert report.remaining_count == 1
    assert any(
        line.startswith("node 2:") and fragment in line for line in report.problems
    )


@pytest.mark.parametrize("repair", [False, True], ids=["check", "repair"])
def test_check_flags_unknown_generation(fleet, repair):
    damage(fleet.client, fleet, 2, "hardware_generation", "not-in-catalog")
    report = check(fleet, repair=repair)
    assert report.unrepairable_nodes == 1
    assert any("not in the hardware catalog" in line for line in report.problems)
    unknown_index = fleet.keys.generation_index("not-in-catalog")
    assert fleet.client.exists(unknown_index) == 0


def test_check_flags_unknown_generation_indexed(fleet):
    """A node whose unknown ID already has an index of its own is still flagged."""
    damage(fleet.client, fleet, 2, "hardware_generation", "not-in-catalog")
    fleet.client.zadd(fleet.keys.generation_index("not-in-catalog"), {"2": 2})
    fleet.client.zrem(fleet.keys.generation_index("hopper"), 2)
    report = check(fleet)
    assert report.unrepairable_nodes == 1


@pytest.mark.parametrize(
    ("case", "field", "value", "fragment"), DAMAGES, ids=DAMAGE_IDS
)
def test_delete_removes_damaged(api, fleet, case, field, value, fragment):
    damage(fleet.client, fleet, 2, field, value)
    assert api.delete("/v1/nodes/2").status_code == 204
    assert fleet.client.exists(fleet.keys.node(2)) == 0
    assert fleet.client.zscore(fleet.keys.pk_index, 2) is None


def test_reaper_skips_damaged_last_seen(fleet):
    damage(fleet.client, fleet, 2, "last_seen", "yesterday")
    before_ms = fleet.now_ms() + 1
    assert fleet.delete_unseen([1, 2], before_ms) == 1
    assert fleet.client.exists(fleet.keys.node(2)) == 1


def test_repair_leaves_damaged_hash(fleet):
    damage(fleet.client, fleet, 2, "gpu_mem", "notanumber")
    check(fleet, repair=True)
    assert fleet.client.hget(fleet.keys.node(2), "gpu_mem") == "notanumber"


def test_cli_reports_damaged(real_redis, redis_server, clock, capsys):
    store = make_app(real_redis, clock).extensions["node_registry"].store
    store.create(node_body())
    damage(real_redis, store, 1, "gpu_mem", "notanumber")
    assert check_main(["--repair"], {"REDIS_URL": redis_server.url}) == 1
    output = capsys.readouterr().out
    assert "not an integer; not repairable" in output
    assert "1 nodes have damaged hashes" in output
