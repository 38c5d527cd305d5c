"""Smoke tests of each endpoint on both backends."""

from tests.factories import GIB, cpu_node_body, node_body


def test_create_returns_node(api):
    response = api.post("/v1/nodes/create", json=node_body())
    assert response.status_code == 201
    node = response.get_json()
    assert node["pk"] == 1
    assert node["gpu_mem"] == 80 * GIB
    assert node["current_job_id"] is None
    assert node["last_seen"] == "2026-05-28T20:26:40.000Z"
    assert node["status"] == "alive"


def test_pk_not_reused_after_delete(api):
    first = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    assert api.delete(f"/v1/nodes/{first}").status_code == 204
    second = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    assert second == first + 1


def test_patch_sets_job_and_put_keeps_it(api):
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    patched = api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 42}).get_json()
    assert patched["current_job_id"] == 42
    replaced = api.put(f"/v1/nodes/{pk}", json=node_body(index=3)).get_json()
    assert replaced["index"] == 3
    assert replaced["current_job_id"] == 42


def test_empty_patch_refreshes_last_seen(api, clock):
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    clock.advance(5.25)
    node = api.patch(f"/v1/nodes/{pk}", json={}).get_json()
    assert node["last_seen"] == "2026-05-28T20:26:45.250Z"


def test_list_returns_nodes_in_pk_order(api):
    for index in range(3):
        api.post("/v1/nodes/create", json=node_body(index=index))
    response = api.post("/v1/nodes/list")
    assert response.status_code == 200
    assert [node["pk"] for node in response.get_json()] == [1, 2, 3]


def test_cpu_only_rule_on_create(api):
    response = api.post("/v1/nodes/create", json=cpu_node_body(gpu_mem=GIB))
    assert response.status_code == 422
    assert "gpu_mem" in response.get_json()["errors"]["json"]


def test_cpu_only_rule_on_patch(api):
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    response = api.patch(f"/v1/nodes/{pk}", json={"hardware_generation": "cpu"})
    assert response.status_code == 422
    assert api.get(f"/v1/nodes/{pk}").get_json()["hardware_generation"] == "hopper"


def test_hardware_catalog_lists_cpu(api):
    ids = [entry["id"] for entry in api.get("/v1/hardware").get_json()]
    assert "cpu" in ids
    assert "hopper" in ids
