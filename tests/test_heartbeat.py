"""The heartbeat endpoint and the heartbeat-sized PATCH, on both backends."""

import threading

import pytest

from app import create_app
from nodes.consistency import check
from tests.conftest import make_app
from tests.factories import node_body

MAX_JOB_ID = 2**53 - 1


def create(api, **overrides) -> int:
    return api.post("/v1/nodes/create", json=node_body(**overrides)).get_json()["pk"]


def test_heartbeat_returns_204(api):
    pk = create(api)
    response = api.post(f"/v1/nodes/{pk}/heartbeat")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers


def test_heartbeat_refreshes_last_seen(api, clock):
    pk = create(api)
    clock.advance(7.5)
    api.post(f"/v1/nodes/{pk}/heartbeat")
    assert api.get(f"/v1/nodes/{pk}").get_json()["last_seen"] == (
        "2026-05-28T20:26:47.500Z"
    )


def test_heartbeat_sets_job(api):
    pk = create(api)
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": 42})
    assert api.get(f"/v1/nodes/{pk}").get_json()["current_job_id"] == 42


@pytest.mark.parametrize("body", [None, {}], ids=["no-body", "empty-object"])
def test_heartbeat_keeps_job(api, body):
    pk = create(api)
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": 42})
    api.post(f"/v1/nodes/{pk}/heartbeat", json=body)
    assert api.get(f"/v1/nodes/{pk}").get_json()["current_job_id"] == 42


def test_heartbeat_null_clears_job(api, store):
    pk = create(api)
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": 42})
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": None})
    assert api.get(f"/v1/nodes/{pk}").get_json()["current_job_id"] is None
    assert store.client.zscore(store.keys.job_index, pk) is None


def test_heartbeat_keeps_indexes_consistent(api, store):
    for job in (7, None, 9):
        pk = create(api)
        api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": job})
    assert check(store).problems == []


def test_heartbeat_unknown_pk_is_404(api, store):
    response = api.post("/v1/nodes/99/heartbeat", json={"current_job_id": 5})
    assert response.status_code == 404
    assert "node 99 not found" in response.get_json()["message"]
    assert store.client.exists(store.keys.node(99)) == 0
    assert store.client.zcard(store.keys.last_seen_index) == 0


def test_heartbeat_after_delete_is_404(api, store):
    pk = create(api)
    api.delete(f"/v1/nodes/{pk}")
    assert api.post(f"/v1/nodes/{pk}/heartbeat").status_code == 404
    assert store.client.exists(store.keys.node(pk)) == 0


BAD_BODIES = [
    ([1], "_schema"),
    ("beat", "_schema"),
    ({"current_job": 1}, "current_job"),
    ({"last_seen": "2026-01-01T00:00:00Z"}, "last_seen"),
    ({"current_job_id": True}, "current_job_id"),
    ({"current_job_id": 1.5}, "current_job_id"),
    ({"current_job_id": "42"}, "current_job_id"),
    ({"current_job_id": 0}, "current_job_id"),
    ({"current_job_id": -3}, "current_job_id"),
    ({"current_job_id": MAX_JOB_ID + 1}, "current_job_id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_heartbeat_bad_body_is_422(api, body, field):
    pk = create(api)
    response = api.post(f"/v1/nodes/{pk}/heartbeat", json=body)
    assert response.status_code == 422
    payload = response.get_json()
    assert field in payload["errors"]["json"]
    assert payload["message"].startswith("invalid request")


def test_heartbeat_bad_body_writes_nothing(api, clock):
    pk = create(api)
    clock.advance(30)
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": 1.5})
    node = api.get(f"/v1/nodes/{pk}").get_json()
    assert node["last_seen"] == "2026-05-28T20:26:40.000Z"
    assert node["current_job_id"] is None


def test_heartbeat_malformed_json_is_400(api):
    pk = create(api)
    response = api.post(
        f"/v1/nodes/{pk}/heartbeat", data=b"{", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_heartbeat_text_body_is_415(api):
    pk = create(api)
    response = api.post(
        f"/v1/nodes/{pk}/heartbeat", data=b"x", content_type="text/plain"
    )
    assert response.status_code == 415


def test_heartbeat_largest_job_id(api):
    pk = create(api)
    api.post(f"/v1/nodes/{pk}/heartbeat", json={"current_job_id": MAX_JOB_ID})
    assert api.get(f"/v1/nodes/{pk}").get_json()["current_job_id"] == MAX_JOB_ID


def test_heartbeat_in_openapi(api):
    paths = api.get("/openapi.json").get_json()["paths"]
    assert "post" in paths["/v1/nodes/{pk}/heartbeat"]


def forbid_patch_script(store):
    def fail(*args, **kwargs):
        raise AssertionError("PATCH without client fields ran the patch script")

    store._scripts["patch"] = fail


@pytest.mark.parametrize(
    "body", [{}, {"current_job_id": 8}, {"current_job_id": None}], ids=str
)
def test_patch_heartbeat_uses_heartbeat_script(api, store, body):
    pk = create(api)
    forbid_patch_script(store)
    response = api.patch(f"/v1/nodes/{pk}", json=body)
    assert response.status_code == 200
    assert response.get_json()["current_job_id"] == body.get("current_job_id")


def test_patch_heartbeat_returns_node(api, clock):
    pk = create(api, index=3)
    clock.advance(2)
    node = api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 8}).get_json()
    assert node["index"] == 3
    assert node["hardware_generation"] == "hopper"
    assert node["last_seen"] == "2026-05-28T20:26:42.000Z"
    assert node["status"] == "alive"


def test_patch_heartbeat_unknown_pk_is_404(api, store):
    response = api.patch("/v1/nodes/5", json={"current_job_id": 8})
    assert response.status_code == 404
    assert store.client.exists(store.keys.node(5)) == 0


def test_patch_heartbeat_bad_job_is_422(api):
    pk = create(api)
    response = api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 0})
    assert response.status_code == 422


@pytest.mark.real_redis
def test_heartbeat_racing_delete_recreates_nothing(real_redis):
    """Threads beat on nodes while another thread deletes them all."""
    store = create_app({"REDIS_CLIENT": real_redis}).extensions["node_registry"].store
    pks = [store.create(node_body(index=i % 8))["pk"] for i in range(200)]
    start = threading.Barrier(5)
    errors = []

    def beat(worker: int) -> None:
        start.wait()
        try:
            for round_number in range(20):
                for pk in pks:
                    if (pk + worker) % 2:
                        store.heartbeat(pk, round_number + 1)
                    else:
                        store.heartbeat_returning_node(pk, None)
        except Exception as exc:  # reported below, so a thread cannot hide it
            errors.append(exc)

    def delete_all() -> None:
        start.wait()
        for pk in reversed(pks):
            store.delete(pk)

    threads = [threading.Thread(target=beat, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=delete_all))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert list(real_redis.scan_iter(match=store.keys.node_stem + "*")) == []
    for index_key in store.keys.index_keys():
        assert real_redis.zcard(index_key) == 0, index_key
    assert check(store).problems == []


ROLE_TOKENS = {role: f"{role}-" + "t" * 40 for role in ("read", "worker", "admin")}


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "status"),
    [
        ("post", "/v1/nodes/1/heartbeat", None, "read", 403),
        ("post", "/v1/nodes/1/heartbeat", None, "worker", 204),
        ("post", "/v1/admin/reap", {"lost_for_seconds": 0}, "worker", 403),
        ("post", "/v1/admin/reap", {"lost_for_seconds": 0}, "admin", 200),
    ],
)
def test_roles_of_new_routes(redis_client, clock, method, path, body, role, status):
    tokens = " ".join(f"{name}:{token}" for name, token in ROLE_TOKENS.items())
    app = make_app(redis_client, clock, REGISTRY_TOKENS=tokens)
    app.extensions["node_registry"].store.create(node_body())
    headers = {"Authorization": f"Bearer {ROLE_TOKENS[role]}"}
    response = getattr(app.test_client(), method)(path, json=body, headers=headers)
    assert response.status_code == status
