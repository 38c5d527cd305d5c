"""Every error body has the keys code, status, message and errors, and stays short."""

import json

import fakeredis
import pytest

from app import create_app
from nodes.error_body import MAX_LISTED_FIELDS, MORE_KEY, cap_errors
from tests.conftest import make_app
from tests.factories import node_body

ERROR_KEYS = {"code", "status", "message", "errors"}
TOKENS = f"read:{'r' * 32}\nadmin:{'a' * 32}"
UNKNOWN_FIELDS = 4000


def assert_error_shape(response, code: int) -> dict:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    return body


@pytest.fixture
def secured(redis_client, clock):
    return make_app(redis_client, clock, REGISTRY_TOKENS=TOKENS).test_client()


def test_missing_token_body(secured):
    assert_error_shape(secured.post("/v1/nodes/list"), 401)


def test_unknown_token_body(secured):
    response = secured.post(
        "/v1/nodes/list", headers={"Authorization": "Bearer " + "u" * 32}
    )
    assert_error_shape(response, 401)


def test_forbidden_role_body(secured):
    response = secured.post(
        "/v1/nodes/create",
        json=node_body(),
        headers={"Authorization": "Bearer " + "r" * 32},
    )
    assert_error_shape(response, 403)


def test_not_ready_body():
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    api = create_app({"REDIS_CLIENT": client}).test_client()
    server.connected = False
    body = assert_error_shape(api.get("/health/ready"), 503)
    assert body["status"] == "Service Unavailable"


def many_unknown_fields(path: str) -> bytes:
    body = {} if path.endswith("/heartbeat") else node_body()
    body.update({f"x{n:04d}": 0 for n in range(UNKNOWN_FIELDS)})
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/nodes/create"),
        ("put", "/v1/nodes/1"),
        ("patch", "/v1/nodes/1"),
        ("post", "/v1/nodes/1/heartbeat"),
    ],
)
def test_unknown_fields_capped(api, method, path):
    assert api.post("/v1/nodes/create", json=node_body()).status_code == 201
    response = getattr(api, method)(
        path, data=many_unknown_fields(path), content_type="application/json"
    )
    body = assert_error_shape(response, 422)
    listed = body["errors"]["json"]
    hidden = UNKNOWN_FIELDS - MAX_LISTED_FIELDS
    assert len(listed) == MAX_LISTED_FIELDS + 1
    assert listed[MORE_KEY] == [f"and {hidden} more invalid fields"]
    assert "x0019" in listed
    assert f"and {hidden} more" in body["message"]
    assert len(response.data) < 10_000


def test_cap_is_idempotent():
    errors = {"json": {f"f{n}": ["bad"] for n in range(50)}}
    once = cap_errors(errors)
    assert cap_errors(once) == once


def test_cap_keeps_short_errors():
    errors = {"json": {"index": ["bad"]}}
    assert cap_errors(errors) == errors
