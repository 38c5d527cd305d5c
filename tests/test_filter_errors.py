"""Every invalid filter spec is a 422 that names its path, before any Redis read."""

import base64
import json

import fakeredis
import pytest

from filtering.cursor import MAX_TIME_MS, Cursor, encode_cursor, fingerprint
from filtering.spec import MAX_CONDITIONS, MAX_DEPTH, MAX_IN_VALUES
from tests.conftest import FakeClock, make_app


class UnreachableRedis:
    """A Redis client that fails the test on any use."""

    def __getattr__(self, name):
        raise AssertionError(f"an invalid spec reached Redis ({name})")


def _nested_not(levels: int) -> dict:
    condition: dict = {"pk": 1}
    for _ in range(levels):
        condition = {"not": condition}
    return condition


def _cursor(filter_body: dict, sort: list, values: list) -> str:
    return encode_cursor(Cursor(fingerprint(filter_body, sort), 0, tuple(values)))


def _raw_cursor(sort: list | None = None, **fields) -> str:
    """Encode cursor JSON as the server does, with some fields replaced."""
    data = {"v": 1, "f": fingerprint({}, sort or ["pk"]), "t": 0, "k": [1], **fields}
    text = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


CASES = [
    # (test id, request body, path of the error)
    ("unknown field", {"filter": {"gpu_memory": 1}}, "filter.gpu_memory"),
    (
        "unknown operator nested",
        {"filter": {"or": [{"pk": 1}, {"gpu_mem": {"gtee": 1}}]}},
        "filter.or[1].gpu_mem.gtee",
    ),
    ("boolean for integer", {"filter": {"index": True}}, "filter.index"),
    ("float for bytes", {"filter": {"gpu_mem": {"gte": 1.5}}}, "filter.gpu_mem.gte"),
    ("integral float for bytes", {"filter": {"gpu_mem": 80.0}}, "filter.gpu_mem"),
    ("string for integer", {"filter": {"cpu_mem": "1"}}, "filter.cpu_mem"),
    ("negative integer", {"filter": {"pk": -1}}, "filter.pk"),
    ("integer beyond 2**53", {"filter": {"pk": {"lt": 2**53}}}, "filter.pk.lt"),
    ("empty and", {"filter": {"and": []}}, "filter.and"),
    ("empty or", {"filter": {"or": []}}, "filter.or"),
    ("or not a list", {"filter": {"or": {"pk": 1}}}, "filter.or"),
    ("empty in", {"filter": {"pk": {"in": []}}}, "filter.pk.in"),
    ("empty not_in", {"filter": {"pk": {"not_in": []}}}, "filter.pk.not_in"),
    ("in not a list", {"filter": {"pk": {"in": 1}}}, "filter.pk.in"),
    ("in element type", {"filter": {"pk": {"in": [1, "2"]}}}, "filter.pk.in[1]"),
    ("empty operator object", {"filter": {"pk": {}}}, "filter.pk"),
    ("condition not object", {"filter": {"and": [{"pk": 1}, 1]}}, "filter.and[1]"),
    ("filter not object", {"filter": []}, "filter"),
    ("filter null", {"filter": None}, "filter"),
    ("not of a list", {"filter": {"not": [{"pk": 1}]}}, "filter.not"),
    (
        "timestamp word",
        {"filter": {"last_seen": {"gte": "now"}}},
        "filter.last_seen.gte",
    ),
    (
        "timestamp bad date",
        {"filter": {"last_seen": {"gte": "2026-02-30T00:00:00Z"}}},
        "filter.last_seen.gte",
    ),
    (
        "timestamp without offset",
        {"filter": {"last_seen": {"gte": "2026-05-28T20:26:40"}}},
        "filter.last_seen.gte",
    ),
    (
        "duration unit",
        {"filter": {"last_seen": {"gte": "-5x"}}},
        "filter.last_seen.gte",
    ),
    ("duration sign", {"filter": {"last_seen": {"gte": "5m"}}}, "filter.last_seen.gte"),
    (
        "duration too long",
        {"filter": {"last_seen": {"gte": "-40000d"}}},
        "filter.last_seen.gte",
    ),
    ("last_seen number", {"filter": {"last_seen": 5}}, "filter.last_seen"),
    (
        "driver order non-numeric",
        {"filter": {"driver_version": {"lt": "r535"}}},
        "filter.driver_version.lt",
    ),
    ("driver not string", {"filter": {"driver_version": 535}}, "filter.driver_version"),
    (
        "driver too long",
        {"filter": {"driver_version": "5" * 65}},
        "filter.driver_version",
    ),
    (
        "unknown generation",
        {"filter": {"hardware_generation": "hoper"}},
        "filter.hardware_generation",
    ),
    (
        "generation ordering",
        {"filter": {"hardware_generation": {"gt": "ampere"}}},
        "filter.hardware_generation.gt",
    ),
    ("unknown status", {"filter": {"status": "dead"}}, "filter.status"),
    ("status ordering", {"filter": {"status": {"lt": "lost"}}}, "filter.status.lt"),
    (
        "job ordering null",
        {"filter": {"current_job_id": {"lt": None}}},
        "filter.current_job_id.lt",
    ),
    ("job boolean", {"filter": {"current_job_id": False}}, "filter.current_job_id"),
    ("limit zero", {"limit": 0}, "limit"),
    ("limit too large", {"limit": 10_001}, "limit"),
    ("limit string", {"limit": "5"}, "limit"),
    ("limit boolean", {"limit": True}, "limit"),
    ("limit float", {"limit": 5.0}, "limit"),
    ("limit null", {"limit": None}, "limit"),
    ("sort not list", {"sort": "pk"}, "sort"),
    ("sort empty", {"sort": []}, "sort"),
    ("sort unknown field", {"sort": ["gpu_mem", "status"]}, "sort[1]"),
    ("sort twice", {"sort": ["gpu_mem", "-gpu_mem"]}, "sort[1]"),
    ("sort pk twice", {"sort": ["pk", "-pk"]}, "sort[1]"),
    ("sort twice after pk", {"sort": ["pk", "index", "-index"]}, "sort[2]"),
    ("sort unknown after pk", {"sort": ["-pk", "status"]}, "sort[1]"),
    ("sort double minus", {"sort": ["--pk"]}, "sort[0]"),
    ("sort not string", {"sort": [1]}, "sort[0]"),
    ("unknown top-level key", {"filters": {}}, "filters"),
    ("body not object", [], "_schema"),
    ("body null", None, "_schema"),
    (
        "too deep",
        {"filter": _nested_not(MAX_DEPTH)},
        "filter" + ".not" * MAX_DEPTH,
    ),
    (
        "too many conditions",
        {"filter": {"and": [{"pk": n} for n in range(MAX_CONDITIONS + 1)]}},
        f"filter.and[{MAX_CONDITIONS}].pk",
    ),
    (
        "in too long",
        {"filter": {"pk": {"in": list(range(MAX_IN_VALUES + 1))}}},
        "filter.pk.in",
    ),
    ("cursor garbage", {"cursor": "not-a-cursor"}, "cursor"),
    ("cursor not string", {"cursor": 5}, "cursor"),
    ("cursor too long", {"cursor": "a" * 2000}, "cursor"),
    (
        "cursor of another filter",
        {"filter": {"pk": 2}, "cursor": _cursor({"pk": 1}, ["pk"], [1])},
        "cursor",
    ),
    (
        "cursor of another sort",
        {"sort": ["-pk"], "cursor": _cursor({}, ["pk"], [1])},
        "cursor",
    ),
    (
        "cursor forged value",
        {"sort": ["gpu_mem"], "cursor": _cursor({}, ["gpu_mem", "pk"], ["x", 1])},
        "cursor",
    ),
    ("cursor time huge", {"cursor": _raw_cursor(t=10**30)}, "cursor"),
    ("cursor time negative", {"cursor": _raw_cursor(t=-(10**30))}, "cursor"),
    ("cursor time past 9999", {"cursor": _raw_cursor(t=MAX_TIME_MS + 1)}, "cursor"),
    ("cursor time float", {"cursor": _raw_cursor(t=1.5)}, "cursor"),
    ("cursor time boolean", {"cursor": _raw_cursor(t=True)}, "cursor"),
    ("cursor extra field", {"cursor": _raw_cursor(x=1)}, "cursor"),
    ("cursor fingerprint short", {"cursor": _raw_cursor(f="abc")}, "cursor"),
    ("cursor version", {"cursor": _raw_cursor(v=2)}, "cursor"),
    ("cursor values not list", {"cursor": _raw_cursor(k={"pk": 1})}, "cursor"),
    ("cursor pk huge", {"cursor": _raw_cursor(k=[10**30])}, "cursor"),
    ("cursor pk negative", {"cursor": _raw_cursor(k=[-1])}, "cursor"),
    (
        "cursor last_seen negative",
        {"sort": ["last_seen"], "cursor": _raw_cursor(["last_seen", "pk"], k=[-5, 1])},
        "cursor",
    ),
    (
        "cursor driver too long",
        {
            "sort": ["driver_version"],
            "cursor": _raw_cursor(["driver_version", "pk"], k=["9" * 65, 1]),
        },
        "cursor",
    ),
    (
        "cursor value count",
        {"sort": ["gpu_mem"], "cursor": _cursor({}, ["gpu_mem", "pk"], [1])},
        "cursor",
    ),
]


@pytest.fixture
def offline_api():
    app = make_app(fakeredis.FakeRedis(decode_responses=True), FakeClock())
    app.extensions["node_registry"].store.client = UnreachableRedis()
    return app.test_client()


@pytest.mark.parametrize(
    ("body", "path"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_invalid_spec(offline_api, body, path):
    response = offline_api.post(
        "/v1/nodes/list", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == [path]


def test_infinite_number_is_422(offline_api):
    # The JSON parser turns 1e400 into float("inf"); the spec must still reject it.
    response = offline_api.post(
        "/v1/nodes/list",
        data='{"filter": {"gpu_mem": {"lt": 1e400}}}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["filter.gpu_mem.lt"]


def test_error_message_names_value(offline_api):
    response = offline_api.post(
        "/v1/nodes/list", json={"filter": {"gpu_mem": {"gte": 1.5}}}
    )
    message = response.get_json()["message"]
    assert "1.5" in message
    assert "integer number of bytes" in message
