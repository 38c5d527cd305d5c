"""Random fleets and random specs: every result equals a plain-Python evaluation.

Runs on fakeredis and on real Redis, with the store's default chunk sizes and with
tiny ones that split every tie of scores across index reads and hash fetches.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import filtering.execute
import nodes.store
from filtering.evaluate import make_sort_key
from filtering.spec import parse_spec
from nodes.serialize import format_timestamp_ms
from tests.filter_support import (
    make_context,
    make_store,
    oracle,
    page_through,
    run_spec,
)

GIB = 2**30
FIRST_MS = 1_780_000_000_000
GENERATIONS = ["hopper", "ampere", "volta", "cpu"]
GPU_MEMS = [16 * GIB, 32 * GIB, 32 * GIB + 1, 80 * GIB]
CPU_MEMS = [GIB, 2 * GIB, 2 * GIB + 1]
DRIVERS = ["535.104.05", "535.104.5", "535", "535.0", "99.1", "100.0", "r535-beta"]
NUMERIC_DRIVERS = ["535", "535.0", "535.104.05", "99.1", "100.0", "600"]
GAPS_MS = [0, 1, 1000, 39_999, 40_000, 260_000]
JOBS = [None, 1, 2, 5]
SORT_FIELDS = [
    "pk",
    "index",
    "cpu_mem",
    "gpu_mem",
    "driver_version",
    "hardware_generation",
    "last_seen",
    "current_job_id",
]


class MillisecondClock:
    """A clock set in whole milliseconds, so recorded times are exact."""

    def __init__(self) -> None:
        self.ms = FIRST_MS

    def __call__(self) -> float:
        return self.ms / 1000


node_specs = st.fixed_dictionaries(
    {
        "generation": st.sampled_from(GENERATIONS),
        "index": st.sampled_from([0, 1, 7]),
        "gpu_mem": st.sampled_from(GPU_MEMS),
        "cpu_mem": st.sampled_from(CPU_MEMS),
        "driver": st.sampled_from(DRIVERS),
        "gap_ms": st.sampled_from(GAPS_MS),
        "job": st.sampled_from(JOBS),
        "deleted": st.booleans(),
    }
)
fleets = st.lists(node_specs, max_size=25)


def _times() -> st.SearchStrategy:
    relative = st.sampled_from(["-1ms", "-1s", "-40s", "-5m", "-90s", "-1h"])
    absolute = st.integers(0, 400_000).map(lambda d: format_timestamp_ms(FIRST_MS + d))
    return relative | absolute


FIELD_VALUES = {
    "pk": st.integers(0, 30),
    "index": st.sampled_from([0, 1, 2, 7]),
    "cpu_mem": st.sampled_from(CPU_MEMS + [GIB - 1, 2 * GIB + 2]),
    "gpu_mem": st.sampled_from(GPU_MEMS + [0, 16 * GIB - 1]),
    "driver_version": st.sampled_from(NUMERIC_DRIVERS),
    "last_seen": _times(),
    "current_job_id": st.sampled_from([1, 2, 5, 9]),
}
EQUALITY_VALUES = {
    **FIELD_VALUES,
    "driver_version": st.sampled_from(DRIVERS + ["600"]),
    "hardware_generation": st.sampled_from(GENERATIONS + ["turing"]),
    "current_job_id": st.sampled_from([None, 1, 2, 5, 9]),
    "status": st.sampled_from(["alive", "stale", "lost"]),
}


@st.composite
def leaves(draw) -> dict:
    field = draw(st.sampled_from(sorted(EQUALITY_VALUES)))
    operators = ["eq", "ne", "in", "not_in", "literal"]
    if field in FIELD_VALUES:
        operators += ["lt", "lte", "gt", "gte"]
    operator = draw(st.sampled_from(operators))
    if operator in ("lt", "lte", "gt", "gte"):
        return {field: {operator: draw(FIELD_VALUES[field])}}
    values = EQUALITY_VALUES[field]
    if operator == "literal":
        return {field: draw(values)}
    if operator in ("in", "not_in"):
        return {field: {operator: draw(st.lists(values, min_size=1, max_size=3))}}
    return {field: {operator: draw(values)}}


def _combine(children: st.SearchStrategy) -> st.SearchStrategy:
    lists = st.lists(children, min_size=1, max_size=3)
    return (
        lists.map(lambda items: {"and": items})
        | lists.map(lambda items: {"or": items})
        | children.map(lambda item: {"not": item})
        | st.tuples(children, leaves()).map(lambda pair: {**pair[1], **pair[0]})
    )


conditions = st.recursive(leaves(), _combine, max_leaves=6)


@st.composite
def sorts(draw) -> list[str] | None:
    fields = draw(st.lists(st.sampled_from(SORT_FIELDS), unique=True, max_size=3))
    if not fields:
        return None
    return [draw(st.sampled_from(["", "-"])) + field for field in fields]


@st.composite
def specs(draw) -> dict:
    body: dict = {}
    if draw(st.booleans()):
        body["filter"] = draw(conditions)
    sort = draw(sorts())
    if sort is not None:
        body["sort"] = sort
    limit = draw(st.none() | st.integers(1, 6))
    if limit is not None:
        body["limit"] = limit
    return body


def build(store, clock: MillisecondClock, fleet: list[dict]) -> None:
    for item in fleet:
        clock.ms += item["gap_ms"]
        cpu_only = item["generation"] == "cpu"
        pk = store.create(
            {
                "index": 0 if cpu_only else item["index"],
                "cpu_mem": item["cpu_mem"],
                "gpu_mem": 0 if cpu_only else item["gpu_mem"],
                "driver_version": item["driver"],
                "hardware_generation": item["generation"],
            }
        )["pk"]
        if item["job"] is not None:
            store.heartbeat(pk, item["job"])
        if item["deleted"]:
            store.delete(pk)
    clock.ms += 30_000


@pytest.fixture(params=["default chunks", "tiny chunks"])
def chunk_sizes(request, monkeypatch):
    if request.param == "tiny chunks":
        monkeypatch.setattr(filtering.execute, "INDEX_CHUNK", 2)
        monkeypatch.setattr(filtering.execute, "FETCH_CHUNK", 2)
        monkeypatch.setattr(filtering.execute, "MIN_FETCH_BATCH", 1)
        monkeypatch.setattr(nodes.store, "FETCH_CHUNK", 2)
    return request.param


PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@PROPERTY_SETTINGS
@given(fleet=fleets, body=specs())
def test_pages_match_oracle(redis_client, chunk_sizes, fleet, body):
    redis_client.flushdb()
    clock = MillisecondClock()
    store = make_store(redis_client, clock)
    build(store, clock, fleet)
    unlimited = {key: value for key, value in body.items() if key != "limit"}
    expected = [node["pk"] for node in oracle(store, unlimited)]
    pages = page_through(store, body)
    actual = [node["pk"] for page in pages for node in page]
    assert actual == expected
    if "limit" in body:
        assert all(len(page) == body["limit"] for page in pages[:-1])
        assert len(pages[-1]) <= body["limit"]


@PROPERTY_SETTINGS
@given(fleet=fleets, body=specs())
def test_sort_key_orders_oracle(redis_client, fleet, body):
    # The executor sorts with make_sort_key; the oracle with stable passes per field.
    redis_client.flushdb()
    clock = MillisecondClock()
    store = make_store(redis_client, clock)
    build(store, clock, fleet)
    unlimited = {key: value for key, value in body.items() if key != "limit"}
    expected = oracle(store, unlimited)
    spec = parse_spec(unlimited, make_context(store), store.now_ms())
    assert sorted(expected, key=make_sort_key(spec.sort)) == expected


def test_limit_without_cursor_is_prefix(redis_client):
    clock = MillisecondClock()
    store = make_store(redis_client, clock)
    same = {"generation": "hopper", "index": 0, "gpu_mem": 16 * GIB, "cpu_mem": GIB}
    same |= {"driver": "535", "gap_ms": 0, "job": None, "deleted": False}
    build(store, clock, [same] * 5)
    result = run_spec(store, {"sort": ["-pk"], "limit": 2})
    assert [node["pk"] for node in result.nodes] == [5, 4]
    assert result.next_cursor is not None
