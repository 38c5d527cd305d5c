"""The OpenAPI document matches the service, and /docs works without internet access."""

import re

import fakeredis
import pytest
from openapi_spec_validator import validate

from tests.conftest import make_app

NODE_FIELDS = ["index", "cpu_mem", "driver_version", "hardware_generation", "gpu_mem"]


@pytest.fixture(scope="module")
def client():
    app = make_app(fakeredis.FakeRedis(decode_responses=True), clock=lambda: 0.0)
    return app.test_client()


@pytest.fixture(scope="module")
def spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operation(spec, path, method):
    return spec["paths"][path][method]


def body_schema(spec, path, method):
    content = operation(spec, path, method)["requestBody"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_document_is_valid_openapi_3(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/nodes/list", {"post"}),
        ("/v1/nodes/create", {"post"}),
        ("/v1/nodes/{pk}", {"get", "put", "patch", "delete"}),
        ("/v1/hardware", {"get"}),
    ],
)
def test_route_documented(spec, path, methods):
    assert set(spec["paths"][path]) - {"parameters"} == methods


def test_every_ref_resolves(spec):
    text = str(spec)
    for section, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in spec["components"][section], f"{section}/{name}"


def test_patch_body_has_no_required_fields(spec):
    schema = body_schema(spec, "/v1/nodes/{pk}", "patch")
    assert "required" not in schema
    assert set(schema["properties"]) == {*NODE_FIELDS, "current_job_id"}


def test_patch_body_is_optional(spec):
    assert (
        operation(spec, "/v1/nodes/{pk}", "patch")["requestBody"]["required"] is False
    )


@pytest.mark.parametrize(
    ("path", "method"), [("/v1/nodes/create", "post"), ("/v1/nodes/{pk}", "put")]
)
def test_create_and_put_require_five_fields(spec, path, method):
    schema = body_schema(spec, path, method)
    assert sorted(schema["required"]) == sorted(NODE_FIELDS)
    assert set(schema["properties"]) == set(NODE_FIELDS)
    assert schema["additionalProperties"] is False


def test_list_body_is_optional_filter_spec(spec):
    body = operation(spec, "/v1/nodes/list", "post")["requestBody"]
    assert body["required"] is False
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("FilterSpec")


def test_job_is_nullable_in_patch(spec):
    job = body_schema(spec, "/v1/nodes/{pk}", "patch")["properties"]["current_job_id"]
    assert job["nullable"] is True
    assert job["minimum"] == 1


def test_memory_bounds_documented(spec):
    schema = body_schema(spec, "/v1/nodes/create", "post")
    for name in ("cpu_mem", "gpu_mem"):
        assert schema["properties"][name]["maximum"] == 2**53 - 1
    assert schema["properties"]["index"]["maximum"] == 255
    assert schema["properties"]["driver_version"]["maxLength"] == 64


def test_node_response_lists_every_field(spec):
    node = spec["components"]["schemas"]["Node"]
    fields = {"pk", *NODE_FIELDS, "last_seen", "current_job_id", "status"}
    assert set(node["properties"]) == fields
    assert set(node["required"]) == fields


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/v1/nodes/list", "post", "200"),
        ("/v1/nodes/create", "post", "201"),
        ("/v1/nodes/{pk}", "get", "200"),
        ("/v1/nodes/{pk}", "put", "200"),
        ("/v1/nodes/{pk}", "patch", "200"),
    ],
)
def test_success_response_is_node(spec, path, method, status):
    schema = operation(spec, path, method)["responses"][status]["content"]
    schema = schema["application/json"]["schema"]
    ref = schema.get("items", schema)["$ref"]
    assert ref == "#/components/schemas/Node"


def test_delete_documents_204(spec):
    assert "204" in operation(spec, "/v1/nodes/{pk}", "delete")["responses"]


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/v1/nodes/list", "post", {"400", "413", "415", "422", "503"}),
        ("/v1/nodes/create", "post", {"400", "413", "415", "422", "503"}),
        ("/v1/nodes/{pk}", "get", {"404", "503"}),
        ("/v1/nodes/{pk}", "put", {"400", "404", "413", "415", "422", "503"}),
        ("/v1/nodes/{pk}", "patch", {"400", "404", "413", "415", "422", "503"}),
        ("/v1/nodes/{pk}", "delete", {"404", "503"}),
    ],
)
def test_error_responses_documented(spec, path, method, codes):
    responses = operation(spec, path, method)["responses"]
    assert codes <= set(responses)
    assert "Retry-After" in responses["503"]["headers"]


def test_pk_parameter_bounds(spec):
    (parameter,) = spec["paths"]["/v1/nodes/{pk}"]["parameters"]
    assert parameter["schema"]["minimum"] == 1
    assert parameter["schema"]["maximum"] == 2**53 - 1


def test_docs_page_loads(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_docs_page_has_no_remote_url(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "//" not in re.sub(r"^\s*//.*$", "", page, flags=re.MULTILINE)
    assert '"validatorUrl": null' in page


def test_docs_assets_served(client):
    page = client.get("/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) == 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 1000, asset


def test_docs_asset_path_escape_is_404(client):
    assert client.get("/docs/assets/../../app.py").status_code == 404


def test_secured_operations_declare_401_403(spec):
    checked = 0
    for path, operations in spec["paths"].items():
        for method, item in operations.items():
            if method == "parameters" or item["x-required-role"] == "public":
                continue
            assert {"401", "403"} <= set(item["responses"]), f"{method} {path}"
            checked += 1
    assert checked >= 10


def test_public_operations_omit_401(spec):
    assert "401" not in operation(spec, "/health/live", "get")["responses"]


def test_401_declares_challenge(spec):
    response = spec["components"]["responses"]["TOKEN_MISSING_OR_INVALID"]
    assert "WWW-Authenticate" in response["headers"]
