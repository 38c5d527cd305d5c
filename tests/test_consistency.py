"""The consistency check and its repair, the nodes-check command and the endpoint."""

import json
import threading

import pytest

from nodes.consistency import check
from operations.check_cli import main as check_main
from tests.conftest import make_app
from tests.factories import cpu_node_body, node_body

ADMIN_TOKEN = "a" * 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def fill(store, count: int = 4) -> list[int]:
    pks = [store.create(node_body(index=i))["pk"] for i in range(count)]
    store.create(cpu_node_body())
    store.patch(pks[0], {}, current_job_id=7)
    return pks


def corrupt_drop_cpu_entry(store, keys):
    store.client.zrem(keys.cpu_mem_index, 1)


def corrupt_wrong_score(store, keys):
    store.client.zadd(keys.gpu_mem_index, {"2": 5})


def corrupt_stray_entry(store, keys):
    store.client.zadd(keys.last_seen_index, {"999": 1})


def corrupt_stray_pk_entry(store, keys):
    store.client.zadd(keys.pk_index, {"998": 998})


def corrupt_wrong_generation(store, keys):
    store.client.zadd(keys.generation_index("ampere"), {"3": 3})


def corrupt_missing_generation(store, keys):
    store.client.zrem(keys.generation_index("hopper"), 2)


def corrupt_job_without_value(store, keys):
    store.client.zadd(keys.job_index, {"2": 11})


def corrupt_job_entry_missing(store, keys):
    store.client.zrem(keys.job_index, 1)


def corrupt_counter_behind(store, keys):
    store.client.set(keys.pk_counter, 2)


def corrupt_deleted_generation(store, keys):
    store.client.zadd(keys.generation_index("volta"), {"997": 997})


CORRUPTIONS = [
    (corrupt_drop_cpu_entry, "node 1: cpu_mem index score none"),
    (corrupt_wrong_score, "node 2: gpu_mem index score 5"),
    (corrupt_stray_entry, "node 999: last_seen index has an entry, but no node"),
    (corrupt_stray_pk_entry, "node 998: pk index has an entry, but no node"),
    (corrupt_wrong_generation, "node 3: listed in generation index ampere"),
    (corrupt_missing_generation, "node 2: missing from generation index hopper"),
    (corrupt_job_without_value, "node 2: current_job_id index has an entry, but"),
    (corrupt_job_entry_missing, "node 1: current_job_id index score none"),
    (corrupt_counter_behind, "below the largest pk 5"),
    (corrupt_deleted_generation, "node 997: listed in generation index volta"),
]


def test_clean_registry_ok(store):
    fill(store)
    report = check(store)
    assert report.ok
    assert report.nodes == 5
    assert report.max_pk == 5


def test_empty_registry_ok(store):
    assert check(store).ok


@pytest.mark.parametrize(
    "corrupt, fragment", CORRUPTIONS, ids=[c[0].__name__ for c in CORRUPTIONS]
)
def test_check_finds_corruption(store, corrupt, fragment):
    fill(store)
    corrupt(store, store.keys)
    report = check(store, batch_size=2)
    assert not report.ok
    assert any(fragment in line for line in report.problems), report.problems


@pytest.mark.parametrize(
    "corrupt, fragment", CORRUPTIONS, ids=[c[0].__name__ for c in CORRUPTIONS]
)
def test_repair_fixes_corruption(store, corrupt, fragment):
    fill(store)
    corrupt(store, store.keys)
    repaired = check(store, batch_size=2, repair=True)
    assert repaired.remaining_count == 0
    assert check(store).ok


def test_repair_keeps_hashes(store):
    fill(store)
    before = {pk: store.get(pk) for pk in range(1, 6)}
    corrupt_wrong_score(store, store.keys)
    check(store, repair=True)
    assert {pk: store.get(pk) for pk in range(1, 6)} == before


def test_counter_repair_lets_create_work(store):
    fill(store)
    corrupt_counter_behind(store, store.keys)
    check(store, repair=True)
    assert store.create(node_body())["pk"] == 6


def test_incomplete_hash_not_repaired(store):
    fill(store)
    store.client.hdel(store.keys.node(2), "cpu_mem")
    report = check(store, repair=True)
    assert report.unrepairable_nodes == 1
    assert report.remaining_count == 1
    assert store.client.hget(store.keys.node(2), "gpu_mem") is not None


def test_foreign_node_key_reported(store):
    fill(store)
    store.client.set(store.keys.node_stem + "x", "1")
    report = check(store)
    assert any("not a node key" in line for line in report.problems)


def test_batch_size_one_sees_all(store):
    fill(store, count=7)
    report = check(store, batch_size=1)
    assert report.ok
    assert report.nodes == 8


def test_other_prefix_ignored(redis_client, clock):
    first = make_app(redis_client, clock).extensions["node_registry"].store
    other = make_app(redis_client, clock, REGISTRY_KEY_PREFIX="other")
    other_store = other.extensions["node_registry"].store
    fill(first)
    other_store.create(node_body())
    report = check(other_store)
    assert report.ok
    assert report.nodes == 1


def test_check_during_writes_no_false_alarm(real_redis, clock):
    store = make_app(real_redis, clock).extensions["node_registry"].store
    pks = fill(store, count=50)
    stop = threading.Event()

    def write_loop():
        pk_iter = iter(pks)
        for step in range(2000):
            if stop.is_set():
                return
            new_pk = store.create(node_body(index=step % 8))["pk"]
            store.patch(new_pk, {"gpu_mem": step}, current_job_id=step + 1)
            store.replace(new_pk, node_body(hardware_generation="ampere"))
            store.delete(next(pk_iter, new_pk))

    writer = threading.Thread(target=write_loop)
    writer.start()
    try:
        reports = [check(store, batch_size=5) for _ in range(5)]
    finally:
        stop.set()
        writer.join(timeout=60)
    assert [report.problem_count for report in reports] == [0] * 5


def test_cli_reports_and_repairs(real_redis, redis_server, clock, capsys):
    store = make_app(real_redis, clock).extensions["node_registry"].store
    fill(store)
    corrupt_stray_entry(store, store.keys)
    env = {"REDIS_URL": redis_server.url}
    assert check_main(["--json"], env) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["problem_count"] == 1
    assert check_main(["--repair"], env) == 0
    assert "1 problems repaired" in capsys.readouterr().out
    assert check_main([], env) == 0


def test_cli_needs_redis_url(capsys):
    assert check_main([], {}) == 2
    assert "REDIS_URL" in capsys.readouterr().err


def test_cli_unreachable_redis(capsys):
    from tests.redis_server import free_port

    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    assert check_main([], env) == 2
    assert "Redis failed" in capsys.readouterr().err


def test_endpoint_repairs(redis_client, clock):
    app = make_app(redis_client, clock, REGISTRY_TOKENS=f"admin:{ADMIN_TOKEN}")
    store = app.extensions["node_registry"].store
    fill(store)
    corrupt_stray_entry(store, store.keys)
    client = app.test_client()
    found = client.post("/v1/admin/consistency-check", json={}, headers=ADMIN)
    assert found.status_code == 200
    assert found.get_json()["problem_count"] == 1
    fixed = client.post(
        "/v1/admin/consistency-check", json={"repair": True}, headers=ADMIN
    )
    assert fixed.get_json()["remaining_count"] == 0
    assert check(store).ok


@pytest.mark.parametrize(
    "body", [{"repair": "yes"}, {"batch_size": 0}, {"extra": 1}, [], {"repair": 1}]
)
def test_endpoint_rejects_options(redis_client, clock, body):
    app = make_app(redis_client, clock)
    response = app.test_client().post("/v1/admin/consistency-check", json=body)
    assert response.status_code == 422
    assert response.get_json()["code"] == 422


def test_endpoint_needs_admin(redis_client, clock):
    worker = "w" * 40
    app = make_app(
        redis_client, clock, REGISTRY_TOKENS=f"admin:{ADMIN_TOKEN} worker:{worker}"
    )
    response = app.test_client().post(
        "/v1/admin/consistency-check",
        json={},
        headers={"Authorization": f"Bearer {worker}"},
    )
    assert response.status_code == 403
