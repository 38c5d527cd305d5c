"""Inclusive and exclusive bounds are exact at equal values, through every plan."""

import pytest

from filtering.execute import make_plan
from filtering.spec import parse_spec
from tests.factories import node_body
from tests.filter_support import make_context, make_store, run_spec

# Three nodes whose values step by one unit: gpu_mem and cpu_mem by one byte,
# last_seen by one millisecond. The middle node has the compared value.
MIDDLE_BYTES = 2**40 + 1
MIDDLE_TIME = "2026-05-28T20:26:40.001Z"
FIRST_MS = 1_780_000_000_000

OPERATOR_CASES = [
    # (operator, pks that match the middle value)
    ("eq", [2]),
    ("ne", [1, 3]),
    ("lt", [1]),
    ("lte", [1, 2]),
    ("gt", [3]),
    ("gte", [2, 3]),
    ("in", [2]),
    ("not_in", [1, 3]),
]


@pytest.fixture
def fleet(redis_client, clock):
    store = make_store(redis_client, clock)
    for step in range(3):
        # Set the clock instead of advancing it, so float sums cannot lose a ms.
        clock.now = (FIRST_MS + step) / 1000
        value = MIDDLE_BYTES - 1 + step
        store.create(node_body(index=step, gpu_mem=value, cpu_mem=value))
        assert store.get(step + 1)["last_seen"] == FIRST_MS + step
    store.create(node_body(hardware_generation="cpu", gpu_mem=0, cpu_mem=1))
    store.delete(4)
    return store


def _operand(operator: str, value):
    return [value] if operator in ("in", "not_in") else value


def _pks(store, body) -> list[int]:
    return [node["pk"] for node in run_spec(store, body).nodes]


@pytest.mark.parametrize(("operator", "expected"), OPERATOR_CASES)
@pytest.mark.parametrize("field", ["gpu_mem", "cpu_mem"])
@pytest.mark.parametrize("sort", [["pk"], ["gpu_mem"], ["-cpu_mem"]])
def test_byte_bounds(fleet, field, operator, expected, sort):
    body = {"filter": {field: {operator: _operand(operator, MIDDLE_BYTES)}}}
    body["sort"] = sort
    assert sorted(_pks(fleet, body)) == expected


@pytest.mark.parametrize(("operator", "expected"), OPERATOR_CASES)
@pytest.mark.parametrize("sort", [["pk"], ["last_seen"], ["-last_seen"]])
def test_last_seen_bounds(fleet, operator, expected, sort):
    body = {"filter": {"last_seen": {operator: _operand(operator, MIDDLE_TIME)}}}
    body["sort"] = sort
    assert sorted(_pks(fleet, body)) == expected


@pytest.mark.parametrize(("operator", "expected"), OPERATOR_CASES)
def test_pk_bounds(fleet, operator, expected):
    body = {"filter": {"pk": {operator: _operand(operator, 2)}}}
    assert _pks(fleet, body) == expected


def test_union_plan_used(fleet):
    spec = parse_spec(
        {"filter": {"gpu_mem": {"gt": MIDDLE_BYTES}}},
        make_context(fleet),
        fleet.now_ms(),
    )
    assert make_plan(fleet, spec).kind == "union"


def test_walk_plan_used(fleet):
    spec = parse_spec(
        {"filter": {"gpu_mem": {"gt": MIDDLE_BYTES}}, "sort": ["gpu_mem"]},
        make_context(fleet),
        fleet.now_ms(),
    )
    assert make_plan(fleet, spec).kind == "walk"
