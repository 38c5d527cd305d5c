"""Protocol errors: malformed JSON, wrong body type, media type, size, route, method.

Every error is JSON with exactly the keys code, status, message and errors.
"""

import io
import json

import pytest

from tests.conftest import make_app
from tests.factories import node_body

ERROR_KEYS = {"code", "status", "message", "errors"}

# Each write route, with a pk that exists in the `existing` fixture.
BODY_ROUTES = [
    ("list", "post", "/v1/nodes/list"),
    ("create", "post", "/v1/nodes/create"),
    ("put", "put", "/v1/nodes/1"),
    ("patch", "patch", "/v1/nodes/1"),
]
BODY_ROUTE_IDS = [route[0] for route in BODY_ROUTES]


@pytest.fixture
def existing(api):
    response = api.post("/v1/nodes/create", json=node_body())
    assert response.status_code == 201
    return response.get_json()


def send(api, method, path, data, content_type="application/json"):
    return getattr(api, method)(path, data=data, content_type=content_type)


def assert_error(response, code: int) -> dict:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    error = response.get_json()
    assert set(error) == ERROR_KEYS
    assert error["code"] == code
    return error


MALFORMED = [
    ("truncated", b'{"index": 0'),
    ("single-quotes", b"{'index': 0}"),
    ("trailing-comma", b'{"index": 0,}'),
    ("nan", b'{"cpu_mem": NaN}'),
    ("infinity", b'{"cpu_mem": Infinity}'),
    ("invalid-utf-8", b'{"driver_version": "\xff"}'),
    ("duplicate-key", b'{"index": 0, "index": 1}'),
    ("nested-duplicate-key", b'{"filter": {"pk": 1, "pk": 2}}'),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000),
    ("two-documents", b"{} {}"),
]


@pytest.mark.parametrize(("route", "method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
@pytest.mark.parametrize(
    "data", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_json_is_400(app, existing, route, method, path, data):
    app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    error = assert_error(send(app.test_client(), method, path, data), 400)
    assert "JSON" in error["message"] or "UTF-8" in error["message"]


def test_malformed_json_writes_nothing(api, existing):
    send(api, "put", "/v1/nodes/1", b'{"index": 3')
    assert api.get("/v1/nodes/1").get_json() == existing


NOT_OBJECTS = [
    ("array", b"[]"),
    ("array-of-object", b'[{"index": 0}]'),
    ("string", b'"node"'),
    ("number", b"42"),
    ("true", b"true"),
    ("null", b"null"),
]


@pytest.mark.parametrize(("route", "method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
@pytest.mark.parametrize(
    "data", [n[1] for n in NOT_OBJECTS], ids=[n[0] for n in NOT_OBJECTS]
)
def test_non_object_json_is_422(api, existing, route, method, path, data):
    error = assert_error(send(api, method, path, data), 422)
    assert "JSON object" in error["message"]
    assert error["errors"]


MEDIA_TYPES = [
    ("text", "text/plain"),
    ("form", "application/x-www-form-urlencoded"),
    ("xml", "application/xml"),
    ("octets", "application/octet-stream"),
]


@pytest.mark.parametrize(("route", "method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
@pytest.mark.parametrize(
    "content_type", [m[1] for m in MEDIA_TYPES], ids=[m[0] for m in MEDIA_TYPES]
)
def test_non_json_body_is_415(api, existing, route, method, path, content_type):
    data = json.dumps(node_body()).encode()
    error = assert_error(send(api, method, path, data, content_type), 415)
    assert content_type in error["message"]
    assert "application/json" in error["message"]


def test_body_without_content_type_is_415(api, existing):
    response = api.patch("/v1/nodes/1", data=b"{}", headers={"Content-Type": ""})
    error = assert_error(response, 415)
    assert "no Content-Type" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/merge-patch+json"],
    ids=["charset", "json-suffix"],
)
def test_json_media_types_accepted(api, existing, content_type):
    response = send(api, "patch", "/v1/nodes/1", b'{"index": 2}', content_type)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/nodes/list"), ("patch", "/v1/nodes/1")],
    ids=["list", "patch"],
)
def test_no_body_needs_no_content_type(api, existing, method, path):
    assert getattr(api, method)(path).status_code == 200


@pytest.mark.parametrize(("route", "method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
def test_body_over_limit_is_413(redis_client, clock, route, method, path):
    client = make_app(redis_client, clock, REGISTRY_MAX_BODY_BYTES="2048").test_client()
    client.post("/v1/nodes/create", json=node_body())
    data = json.dumps(node_body(driver_version="x" * 3000)).encode()
    error = assert_error(send(client, method, path, data), 413)
    assert "2048 bytes" in error["message"]
    assert "REGISTRY_MAX_BODY_BYTES" in error["message"]


def test_body_at_limit_is_parsed(redis_client, clock):
    client = make_app(redis_client, clock, REGISTRY_MAX_BODY_BYTES="2048").test_client()
    prefix = b'{"index": 0, "cpu_mem": 1, "gpu_mem": 1, "hardware_generation": "hopper"'
    data = prefix + b', "driver_version": "1"}'
    data = data.replace(b'"index": 0', b'"index": 0' + b" " * (2048 - len(data)))
    assert len(data) == 2048
    assert send(client, "post", "/v1/nodes/create", data).status_code == 201


def test_default_limit_is_64_kib(api):
    data = json.dumps(node_body(driver_version="x" * 65536)).encode()
    error = assert_error(send(api, "post", "/v1/nodes/create", data), 413)
    assert "65536 bytes" in error["message"]


def test_chunked_body_over_limit_is_413(redis_client, clock):
    client = make_app(redis_client, clock, REGISTRY_MAX_BODY_BYTES="2048").test_client()
    data = json.dumps(node_body(driver_version="x" * 3000)).encode()
    # A chunked body has no Content-Length; gunicorn marks its input as terminated.
    response = client.post(
        "/v1/nodes/create",
        input_stream=io.BytesIO(data),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413)


def test_chunked_body_at_limit_is_parsed(redis_client, clock):
    client = make_app(redis_client, clock, REGISTRY_MAX_BODY_BYTES="2048").test_client()
    data = json.dumps(node_body()).encode()
    data += b" " * (2048 - len(data))
    response = client.post(
        "/v1/nodes/create",
        input_stream=io.BytesIO(data),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/nothing"),
        ("get", "/"),
        ("get", "/v1/nodes"),
        ("get", "/v1/nodes/0"),
        ("get", "/v1/nodes/-1"),
        ("get", "/v1/nodes/abc"),
        ("get", f"/v1/nodes/{2**53}"),
        ("post", "/v1/nodes"),
        ("get", "/v2/nodes/1"),
    ],
)
def test_unknown_route_is_404(api, method, path):
    error = assert_error(getattr(api, method)(path), 404)
    assert path in error["message"]
    assert "/openapi.json" in error["message"]


def test_bad_pk_404_names_pk_range(api):
    error = assert_error(api.delete("/v1/nodes/0"), 404)
    assert "from 1 to 9007199254740991" in error["message"]


METHOD_CASES = [
    ("get", "/v1/nodes/list", {"POST", "OPTIONS"}),
    ("put", "/v1/nodes/list", {"POST", "OPTIONS"}),
    ("delete", "/v1/nodes/list", {"POST", "OPTIONS"}),
    ("get", "/v1/nodes/create", {"POST", "OPTIONS"}),
    ("patch", "/v1/nodes/create", {"POST", "OPTIONS"}),
    ("post", "/v1/nodes/1", {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
    ("post", "/v1/hardware", {"GET", "HEAD", "OPTIONS"}),
    ("delete", "/v1/hardware", {"GET", "HEAD", "OPTIONS"}),
]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    METHOD_CASES,
    ids=[f"{m}-{p}" for m, p, _ in METHOD_CASES],
)
def test_wrong_method_is_405_with_allow(api, method, path, allowed):
    response = getattr(api, method)(path)
    error = assert_error(response, 405)
    allow = {name.strip() for name in response.headers["Allow"].split(",")}
    assert allow == allowed
    assert method.upper() in error["message"]


def test_not_found_pk_error_shape(api):
    error = assert_error(api.get("/v1/nodes/12"), 404)
    assert error["errors"] == {}
    assert error["status"] == "Not Found"


def test_validation_error_shape(api):
    error = assert_error(api.post("/v1/nodes/create", json={}), 422)
    assert error["status"] == "Unprocessable Entity"
    assert error["message"].startswith("invalid request: ")


def test_no_html_error_for_head(api):
    response = api.head("/v1/nodes/9")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
