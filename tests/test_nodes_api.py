"""Every endpoint's success paths and 404s, on fakeredis and on a real redis-server."""

import pytest

from tests.factories import GIB, cpu_node_body, node_body

NODE_KEYS = {
    "pk",
    "index",
    "cpu_mem",
    "driver_version",
    "hardware_generation",
    "gpu_mem",
    "last_seen",
    "current_job_id",
    "status",
}


def create(api, **overrides) -> dict:
    response = api.post("/v1/nodes/create", json=node_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_returns_every_field(api):
    node = create(api, index=2, cpu_mem=7 * GIB, driver_version="550.54.15")
    assert set(node) == NODE_KEYS
    assert node["index"] == 2
    assert node["cpu_mem"] == 7 * GIB
    assert node["driver_version"] == "550.54.15"
    assert node["hardware_generation"] == "hopper"


def test_create_stores_what_get_returns(api):
    created = create(api)
    fetched = api.get(f"/v1/nodes/{created['pk']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == created


def test_create_max_values(api):
    node = create(api, index=255, cpu_mem=2**53 - 1, gpu_mem=2**53 - 1)
    fetched = api.get(f"/v1/nodes/{node['pk']}").get_json()
    assert fetched["cpu_mem"] == 2**53 - 1
    assert fetched["gpu_mem"] == 2**53 - 1
    assert fetched["index"] == 255


def test_create_cpu_only_node(api):
    response = api.post("/v1/nodes/create", json=cpu_node_body())
    assert response.status_code == 201
    assert response.get_json()["hardware_generation"] == "cpu"


def test_pks_count_up(api):
    pks = [create(api)["pk"] for _ in range(3)]
    assert pks == [1, 2, 3]


def test_pk_never_reused(api):
    first = create(api)["pk"]
    second = create(api)["pk"]
    api.delete(f"/v1/nodes/{second}")
    api.delete(f"/v1/nodes/{first}")
    assert create(api)["pk"] == second + 1


def test_last_seen_from_server_clock(api, clock):
    clock.now = 1_780_000_000.123
    node = create(api)
    assert node["last_seen"] == "2026-05-28T20:26:40.123Z"


@pytest.mark.parametrize(
    "body",
    [None, b"", b"{}"],
    ids=["no-body", "empty-body", "empty-object"],
)
def test_list_without_filter_lists_all(api, body):
    for index in range(3):
        create(api, index=index)
    if body is None:
        response = api.post("/v1/nodes/list")
    else:
        response = api.post(
            "/v1/nodes/list", data=body, content_type="application/json"
        )
    assert response.status_code == 200
    assert [node["index"] for node in response.get_json()] == [0, 1, 2]


def test_list_empty_registry(api):
    response = api.post("/v1/nodes/list")
    assert response.status_code == 200
    assert response.get_json() == []


def test_list_orders_by_pk_after_changes(api):
    pks = [create(api, index=index)["pk"] for index in range(4)]
    api.delete(f"/v1/nodes/{pks[1]}")
    api.put(f"/v1/nodes/{pks[0]}", json=node_body(cpu_mem=GIB))
    listed = api.post("/v1/nodes/list").get_json()
    assert [node["pk"] for node in listed] == [pks[0], pks[2], pks[3]]


def test_list_returns_full_nodes(api):
    created = create(api)
    assert api.post("/v1/nodes/list").get_json() == [created]


def test_put_replaces_all_five_fields(api, clock):
    pk = create(api)["pk"]
    clock.advance(1)
    body = node_body(
        index=1,
        cpu_mem=GIB,
        driver_version="570.86.10",
        hardware_generation="blackwell",
        gpu_mem=192 * GIB,
    )
    response = api.put(f"/v1/nodes/{pk}", json=body)
    assert response.status_code == 200
    node = response.get_json()
    assert {name: node[name] for name in body} == body
    assert node["last_seen"] == "2026-05-28T20:26:41.000Z"


def test_put_keeps_job(api):
    pk = create(api)["pk"]
    api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 77})
    node = api.put(f"/v1/nodes/{pk}", json=node_body()).get_json()
    assert node["current_job_id"] == 77


def test_put_to_cpu_only(api):
    pk = create(api)["pk"]
    response = api.put(f"/v1/nodes/{pk}", json=cpu_node_body())
    assert response.status_code == 200
    assert response.get_json()["hardware_generation"] == "cpu"


@pytest.mark.parametrize(
    "change",
    [
        {"index": 5},
        {"cpu_mem": 3 * GIB},
        {"driver_version": "560.35.03"},
        {"gpu_mem": 141 * GIB},
        {"hardware_generation": "blackwell"},
        {"hardware_generation": "cpu", "index": 0, "gpu_mem": 0},
    ],
    ids=lambda change: "+".join(change),
)
def test_patch_changes_only_given_fields(api, change):
    before = create(api)
    response = api.patch(f"/v1/nodes/{before['pk']}", json=change)
    assert response.status_code == 200
    after = response.get_json()
    expected = {**before, **change}
    for name in (
        "index",
        "cpu_mem",
        "driver_version",
        "hardware_generation",
        "gpu_mem",
    ):
        assert after[name] == expected[name], name


@pytest.mark.parametrize("job", [1, 42, 2**53 - 1])
def test_patch_sets_job(api, job):
    pk = create(api)["pk"]
    node = api.patch(f"/v1/nodes/{pk}", json={"current_job_id": job}).get_json()
    assert node["current_job_id"] == job


def test_patch_clears_job(api):
    pk = create(api)["pk"]
    api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 9})
    node = api.patch(f"/v1/nodes/{pk}", json={"current_job_id": None}).get_json()
    assert node["current_job_id"] is None


def test_patch_without_job_keeps_it(api):
    pk = create(api)["pk"]
    api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 9})
    node = api.patch(f"/v1/nodes/{pk}", json={"index": 1}).get_json()
    assert node["current_job_id"] == 9


@pytest.mark.parametrize("body", [None, {}], ids=["no-body", "empty-object"])
def test_patch_heartbeat_refreshes_last_seen(api, clock, body):
    before = create(api)
    clock.advance(2.5)
    response = api.patch(f"/v1/nodes/{before['pk']}", json=body)
    assert response.status_code == 200
    after = response.get_json()
    assert after["last_seen"] == "2026-05-28T20:26:42.500Z"
    assert {**after, "last_seen": None} == {**before, "last_seen": None}


def test_delete_then_get_is_404(api):
    pk = create(api)["pk"]
    response = api.delete(f"/v1/nodes/{pk}")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert api.get(f"/v1/nodes/{pk}").status_code == 404


def test_delete_leaves_others(api):
    first = create(api)["pk"]
    second = create(api)["pk"]
    api.delete(f"/v1/nodes/{first}")
    assert [node["pk"] for node in api.post("/v1/nodes/list").get_json()] == [second]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get", None),
        ("put", node_body()),
        ("patch", {}),
        ("patch", {"index": 1, "current_job_id": 5}),
        ("delete", None),
    ],
    ids=["get", "put", "patch-empty", "patch-fields", "delete"],
)
def test_missing_pk_is_404(api, store, method, body):
    response = getattr(api, method)("/v1/nodes/7", json=body)
    assert response.status_code == 404
    assert response.get_json()["message"].startswith("node 7 not found")


@pytest.mark.parametrize(
    ("method", "body"),
    [("put", node_body()), ("patch", {"index": 1, "current_job_id": 5})],
    ids=["put", "patch"],
)
def test_missing_pk_writes_nothing(api, store, method, body):
    getattr(api, method)("/v1/nodes/7", json=body)
    assert store.client.dbsize() == 0


def test_deleted_pk_is_404_for_writes(api, store):
    pk = create(api)["pk"]
    api.delete(f"/v1/nodes/{pk}")
    assert api.put(f"/v1/nodes/{pk}", json=node_body()).status_code == 404
    assert api.patch(f"/v1/nodes/{pk}", json={}).status_code == 404
    assert api.delete(f"/v1/nodes/{pk}").status_code == 404
    assert not store.client.exists(store.keys.node(pk))


def test_keys_share_tag_and_prefix(redis_client, clock):
    from tests.conftest import make_app

    api = make_app(redis_client, clock, REGISTRY_KEY_PREFIX="fleet-a").test_client()
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 3})
    keys = list(redis_client.scan_iter(count=100))
    assert keys
    assert all(key.startswith("{fleet-a}:") for key in keys)


def test_prefixes_keep_registries_apart(redis_client, clock):
    from tests.conftest import make_app

    first = make_app(redis_client, clock, REGISTRY_KEY_PREFIX="a").test_client()
    second = make_app(redis_client, clock, REGISTRY_KEY_PREFIX="b").test_client()
    first.post("/v1/nodes/create", json=node_body())
    assert second.post("/v1/nodes/list").get_json() == []
    assert second.post("/v1/nodes/create", json=node_body()).get_json()["pk"] == 1
