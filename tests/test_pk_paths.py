"""Each node has exactly one path: other spellings of a pk are a JSON 404."""

import pytest

from tests.factories import node_body

ERROR_KEYS = {"code", "status", "message", "errors"}

NOT_A_PATH = [
    ("arabic-indic-digit", "/v1/nodes/%D9%A1"),
    ("fullwidth-digit", "/v1/nodes/%EF%BC%91"),
    ("leading-zero", "/v1/nodes/01"),
    ("zero", "/v1/nodes/0"),
    ("plus-sign", "/v1/nodes/+1"),
    ("double-slash", "/v1/nodes//1"),
    ("double-slash-prefix", "/v1//nodes/1"),
    ("trailing-slash", "/v1/nodes/1/"),
    ("past-max", "/v1/nodes/9007199254740992"),
    ("seventeen-digits", "/v1/nodes/10000000000000001"),
    ("list-trailing-slash", "/v1/nodes/list/"),
    ("hardware-trailing-slash", "/v1/hardware/"),
]


@pytest.fixture
def node(api):
    response = api.post("/v1/nodes/create", json=node_body())
    assert response.status_code == 201
    return response.get_json()


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path", [case[1] for case in NOT_A_PATH], ids=[case[0] for case in NOT_A_PATH]
)
def test_other_spelling_is_json_404(api, node, method, path):
    response = getattr(api, method)(path, json=node_body(index=3))
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert set(response.get_json()) == ERROR_KEYS
    assert api.get("/v1/nodes/1").get_json() == node


@pytest.mark.parametrize(
    "path",
    ["/v1/nodes/%D9%A1/heartbeat", "/v1/nodes/01/heartbeat", "/v1/nodes//1/heartbeat"],
)
def test_heartbeat_other_spelling_404(api, node, path):
    response = api.post(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"


def test_max_pk_routes(api):
    response = api.get("/v1/nodes/9007199254740991")
    assert response.status_code == 404
    assert "node 9007199254740991 not found" in response.get_json()["message"]


def test_plain_pk_served(api, node):
    assert api.get("/v1/nodes/1").status_code == 200
