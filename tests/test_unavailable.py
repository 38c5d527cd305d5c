"""Redis unreachable: every route that touches the store returns 503 with Retry-After.

Most tests start their own redis-server, then stop or pause it, so no other test's
server is touched. The client's socket timeout is short, so a paused server times out.
fakeredis emulates a lost connection when its server is marked disconnected.
"""

import os
import signal

import fakeredis
import pytest

from app import create_app
from tests.factories import node_body
from tests.redis_server import RedisServer

STORE_ROUTES = [
    ("list", "post", "/v1/nodes/list", None),
    ("get", "get", "/v1/nodes/1", None),
    ("create", "post", "/v1/nodes/create", node_body()),
    ("put", "put", "/v1/nodes/1", node_body()),
    ("patch", "patch", "/v1/nodes/1", {"current_job_id": 4}),
    ("heartbeat", "patch", "/v1/nodes/1", {}),
    ("delete", "delete", "/v1/nodes/1", None),
]
ROUTE_IDS = [route[0] for route in STORE_ROUTES]


@pytest.fixture
def own_server():
    try:
        server = RedisServer()
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.cleanup()


@pytest.fixture
def api(own_server):
    app = create_app(
        {
            "REDIS_URL": own_server.url,
            "REDIS_SOCKET_TIMEOUT": "0.2",
            "REDIS_CONNECT_TIMEOUT": "0.2",
        }
    )
    client = app.test_client()
    assert client.post("/v1/nodes/create", json=node_body()).status_code == 201
    return client


def assert_unavailable(response, reason: str) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.get_json()
    assert set(error) == {"code", "status", "message", "errors"}
    assert error["code"] == 503
    assert reason in error["message"]


@pytest.mark.parametrize(
    ("route", "method", "path", "body"), STORE_ROUTES, ids=ROUTE_IDS
)
def test_stopped_redis_is_503(api, own_server, route, method, path, body):
    own_server.stop()
    response = getattr(api, method)(path, json=body)
    assert_unavailable(response, "ConnectionError")


@pytest.mark.parametrize(
    ("route", "method", "path", "body"), STORE_ROUTES, ids=ROUTE_IDS
)
def test_paused_redis_is_503(api, own_server, route, method, path, body):
    # A paused server accepts connections but never replies, so the socket times out.
    os.kill(own_server.process.pid, signal.SIGSTOP)
    response = getattr(api, method)(path, json=body)
    assert_unavailable(response, "TimeoutError")


def test_service_recovers_after_restart(api, own_server):
    own_server.stop()
    assert api.get("/v1/nodes/1").status_code == 503
    own_server.start()
    # The restarted server kept nothing (no persistence), and lost its scripts too.
    assert api.get("/v1/nodes/1").status_code == 404
    assert api.post("/v1/nodes/create", json=node_body()).status_code == 201


def test_catalog_served_without_redis(api, own_server):
    own_server.stop()
    assert api.get("/v1/hardware").status_code == 200


def test_invalid_body_is_422_without_redis(api, own_server):
    own_server.stop()
    response = api.post("/v1/nodes/create", json=node_body(index=-1))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("route", "method", "path", "body"), STORE_ROUTES, ids=ROUTE_IDS
)
def test_disconnected_fakeredis_is_503(route, method, path, body):
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    api = create_app({"REDIS_CLIENT": client}).test_client()
    assert api.post("/v1/nodes/create", json=node_body()).status_code == 201
    server.connected = False
    response = getattr(api, method)(path, json=body)
    assert_unavailable(response, "ConnectionError")
