"""Request body parsing: over-long numbers, duplicate keys, Content-Encoding."""

import pytest

from tests.factories import node_body

ERROR_KEYS = {"code", "status", "message", "errors"}
LONG = "9" * 5000
LONG_FLOAT = "1." + "0" * 60


def raw_node(**raw_fields) -> bytes:
    """Return a create body as JSON text, with some values given as raw JSON."""
    body = {**node_body(), **raw_fields}
    items = ", ".join(
        f'"{name}": {value if name in raw_fields else repr(value)}'.replace("'", '"')
        for name, value in body.items()
    )
    return ("{" + items + "}").encode()


def post(api, method, path, data: bytes, **headers):
    return getattr(api, method)(
        path, data=data, content_type="application/json", headers=headers
    )


def assert_error(response, code: int) -> dict:
    assert response.status_code == code
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    return body


LONG_NUMBER_CASES = [
    ("create-cpu_mem", "post", "/v1/nodes/create", raw_node(cpu_mem=LONG), "cpu_mem"),
    ("create-index", "post", "/v1/nodes/create", raw_node(index="-" + LONG), "index"),
    (
        "create-float",
        "post",
        "/v1/nodes/create",
        raw_node(gpu_mem=LONG_FLOAT),
        "gpu_mem",
    ),
    (
        "create-driver",
        "post",
        "/v1/nodes/create",
        raw_node(driver_version=LONG),
        "driver_version",
    ),
    ("patch", "patch", "/v1/nodes/1", f'{{"gpu_mem": {LONG}}}'.encode(), "gpu_mem"),
    (
        "patch-job",
        "patch",
        "/v1/nodes/1",
        f'{{"current_job_id": {LONG}}}'.encode(),
        "current_job_id",
    ),
    (
        "heartbeat",
        "post",
        "/v1/nodes/1/heartbeat",
        f'{{"current_job_id": {LONG}}}'.encode(),
        "current_job_id",
    ),
    (
        "list-filter",
        "post",
        "/v1/nodes/list",
        f'{{"filter": {{"cpu_mem": {{"gte": {LONG}}}}}}}'.encode(),
        "filter.cpu_mem.gte",
    ),
    (
        "list-in",
        "post",
        "/v1/nodes/list",
        f'{{"filter": {{"pk": {{"in": [1, {LONG}]}}}}}}'.encode(),
        "filter.pk.in[1]",
    ),
    ("list-limit", "post", "/v1/nodes/list", f'{{"limit": {LONG}}}'.encode(), "limit"),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "field"),
    [case[1:] for case in LONG_NUMBER_CASES],
    ids=[case[0] for case in LONG_NUMBER_CASES],
)
def test_long_number_is_422(api, method, path, data, field):
    assert api.post("/v1/nodes/create", json=node_body()).status_code == 201
    body = assert_error(post(api, method, path, data), 422)
    assert field in body["errors"]["json"]
    assert "characters" in body["message"]


def test_long_number_writes_nothing(api):
    created = api.post("/v1/nodes/create", json=node_body()).get_json()
    post(api, "patch", "/v1/nodes/1", f'{{"gpu_mem": {LONG}}}'.encode())
    assert api.get("/v1/nodes/1").get_json() == created


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b'{"index": 0, "index": 1}', "index"),
        (b'{"filter": {"and": [{"pk": 1, "pk": 2}]}}', "pk"),
    ],
    ids=["top-level", "nested"],
)
def test_duplicate_key_is_400(api, data, key):
    body = assert_error(post(api, "post", "/v1/nodes/list", data), 400)
    assert f"names the key {key!r} twice" in body["message"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP"])
def test_content_encoding_is_415(api, encoding):
    response = post(
        api, "post", "/v1/nodes/create", raw_node(), **{"Content-Encoding": encoding}
    )
    body = assert_error(response, 415)
    assert "Content-Encoding" in body["message"]


def test_identity_encoding_accepted(api):
    response = post(
        api, "post", "/v1/nodes/create", raw_node(), **{"Content-Encoding": "identity"}
    )
    assert response.status_code == 201
