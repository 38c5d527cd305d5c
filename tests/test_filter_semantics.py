"""What a filter means, checked on node dicts without Redis."""

import pytest

from filtering.errors import SpecError
from filtering.evaluate import (
    OTHER_GENERATION,
    evaluate,
    evaluate_known,
    make_sort_key,
)
from filtering.fields import version_key
from filtering.spec import parse_spec
from filtering.tree import SortKey
from nodes.hardware import HardwareCatalog
from nodes.serialize import Liveness
from tests.filter_support import FilterContext

NOW_MS = 1_780_000_000_000
CONTEXT = FilterContext(HardwareCatalog(), Liveness(40.0, 300.0))


def node(**fields) -> dict:
    base = {
        "pk": 1,
        "index": 0,
        "cpu_mem": 2**30,
        "gpu_mem": 2**30,
        "driver_version": "535.104.05",
        "hardware_generation": "hopper",
        "last_seen": NOW_MS,
        "current_job_id": None,
    }
    base.update(fields)
    return base


def matches(filter_body: dict, item: dict) -> bool:
    spec = parse_spec({"filter": filter_body}, CONTEXT, NOW_MS)
    return evaluate(spec.filter, item)


NULL_CASES = [
    # (condition, matches a node with a null job, matches a node with job 5)
    ({"current_job_id": None}, True, False),
    ({"current_job_id": {"eq": None}}, True, False),
    ({"current_job_id": {"ne": None}}, False, True),
    ({"current_job_id": {"ne": 5}}, True, False),
    ({"current_job_id": {"in": [None, 5]}}, True, True),
    ({"current_job_id": {"in": [5]}}, False, True),
    ({"current_job_id": {"not_in": [None]}}, False, True),
    ({"current_job_id": {"not_in": [5]}}, True, False),
    ({"current_job_id": {"lt": 10}}, False, True),
    ({"current_job_id": {"gte": 0}}, False, True),
    ({"not": {"current_job_id": {"lt": 10}}}, True, False),
]


@pytest.mark.parametrize(("condition", "idle", "busy"), NULL_CASES)
def test_null_semantics(condition, idle, busy):
    assert matches(condition, node(current_job_id=None)) is idle
    assert matches(condition, node(current_job_id=5)) is busy


@pytest.mark.parametrize("value", [None, 1, 5, 7])
@pytest.mark.parametrize("job", [None, 5])
def test_ne_opposite_of_eq(value, job):
    item = node(current_job_id=job)
    equal = matches({"current_job_id": {"eq": value}}, item)
    assert matches({"current_job_id": {"ne": value}}, item) is not equal


VERSION_CASES = [
    # (node driver_version, condition, expected)
    ("99.1", {"lt": "100.0"}, True),
    ("100.0", {"lt": "535.104.05"}, True),
    ("535.104.05", {"lt": "535"}, False),
    ("470.82.01", {"lt": "535"}, True),
    ("535", {"lt": "535.0"}, True),
    ("535.104.05", {"gte": "535.104.5"}, False),
    ("535.104.5", {"gte": "535.104.05"}, True),
    ("r535-beta", {"lt": "999"}, False),
    ("r535-beta", {"gt": "0"}, False),
    ("r535-beta", {"eq": "r535-beta"}, True),
    ("535.104.05", {"eq": "535.104.5"}, False),
    ("535.104.05", {"in": ["1", "535.104.05"]}, True),
]


@pytest.mark.parametrize(("version", "condition", "expected"), VERSION_CASES)
def test_driver_version_compare(version, condition, expected):
    assert matches({"driver_version": condition}, node(driver_version=version)) is (
        expected
    )


def test_version_key_order():
    texts = ["535.104.05", "beta", "99.1", "100.0", "535", "535.0", "alpha"]
    ordered = sorted(texts, key=version_key)
    assert ordered == ["99.1", "100.0", "535", "535.0", "535.104.05", "alpha", "beta"]


TIME_CASES = [
    # (node last_seen in ms, condition, expected)
    (NOW_MS, {"gte": "2026-05-28T20:26:40Z"}, True),
    (NOW_MS - 1, {"gte": "2026-05-28T20:26:40Z"}, False),
    (NOW_MS, {"gt": "2026-05-28T20:26:40Z"}, False),
    (NOW_MS, {"eq": "2026-05-28T22:26:40.000+02:00"}, True),
    (NOW_MS, {"gt": "2026-05-28T20:26:39.9995Z"}, True),
    (NOW_MS, {"lt": "2026-05-28T20:26:40.0005Z"}, True),
    (NOW_MS + 1, {"lte": "2026-05-28T20:26:40.0005Z"}, False),
    (NOW_MS, {"eq": "2026-05-28T20:26:40.0005Z"}, False),
    (NOW_MS, {"ne": "2026-05-28T20:26:40.0005Z"}, True),
    (NOW_MS - 60_000, {"gte": "-1m"}, True),
    (NOW_MS - 60_001, {"gte": "-1m"}, False),
    (NOW_MS - 90_000, {"gte": "-90s"}, True),
    (NOW_MS - 3_600_001, {"lt": "-1h"}, True),
    (NOW_MS - 500, {"gt": "-500ms"}, False),
]


@pytest.mark.parametrize(("last_seen", "condition", "expected"), TIME_CASES)
def test_last_seen_compare(last_seen, condition, expected):
    assert matches({"last_seen": condition}, node(last_seen=last_seen)) is expected


AGES_MS = [0, -5, 39_999, 40_000, 40_001, 299_999, 300_000, 300_001, 10**9]


@pytest.mark.parametrize("age_ms", AGES_MS)
@pytest.mark.parametrize("status", ["alive", "stale", "lost"])
def test_status_matches_liveness(age_ms, status):
    item = node(last_seen=NOW_MS - age_ms)
    actual = CONTEXT.liveness.status(NOW_MS - age_ms, NOW_MS)
    assert matches({"status": status}, item) is (actual == status)
    assert matches({"status": {"ne": status}}, item) is (actual != status)


@pytest.mark.parametrize("age_ms", AGES_MS)
def test_status_in_and_not_in(age_ms):
    item = node(last_seen=NOW_MS - age_ms)
    actual = CONTEXT.liveness.status(NOW_MS - age_ms, NOW_MS)
    chosen = ["alive", "lost"]
    assert matches({"status": {"in": chosen}}, item) is (actual in chosen)
    assert matches({"status": {"not_in": chosen}}, item) is (actual not in chosen)


def test_operators_are_anded():
    condition = {"gpu_mem": {"gte": 10, "lt": 20}}
    assert matches(condition, node(gpu_mem=10))
    assert not matches(condition, node(gpu_mem=20))


def test_keys_of_one_object_are_anded():
    condition = {"gpu_mem": 10, "index": 1}
    assert not matches(condition, node(gpu_mem=10, index=0))


def test_empty_filter_matches_all():
    assert matches({}, node())


def test_or_and_not():
    condition = {"or": [{"index": 1}, {"not": {"gpu_mem": {"lt": 100}}}]}
    assert matches(condition, node(index=1, gpu_mem=0))
    assert matches(condition, node(index=0, gpu_mem=100))
    assert not matches(condition, node(index=0, gpu_mem=99))


KNOWN_CASES = [
    # (condition, known fields, expected three-valued result)
    ({"gpu_mem": 5}, {"pk": 1}, None),
    ({"gpu_mem": 5}, {"gpu_mem": 4}, False),
    ({"gpu_mem": 5, "index": 1}, {"gpu_mem": 4}, False),
    ({"gpu_mem": 5, "index": 1}, {"gpu_mem": 5}, None),
    ({"or": [{"gpu_mem": 5}, {"index": 1}]}, {"gpu_mem": 5}, True),
    ({"or": [{"gpu_mem": 5}, {"index": 1}]}, {"gpu_mem": 4}, None),
    ({"not": {"gpu_mem": 5}}, {"gpu_mem": 5}, False),
    (
        {"hardware_generation": "volta"},
        {"hardware_generation": OTHER_GENERATION},
        False,
    ),
    (
        {"hardware_generation": {"ne": "volta"}},
        {"hardware_generation": OTHER_GENERATION},
        True,
    ),
    ({"current_job_id": None}, {"current_job_id": None}, True),
]


@pytest.mark.parametrize(("condition", "known", "expected"), KNOWN_CASES)
def test_evaluate_known(condition, known, expected):
    spec = parse_spec({"filter": condition}, CONTEXT, NOW_MS)
    assert evaluate_known(spec.filter, known) is expected


def test_sort_nulls_last_ascending():
    key = make_sort_key((SortKey("current_job_id"), SortKey("pk")))
    items = [node(pk=1, current_job_id=None), node(pk=2, current_job_id=9)]
    assert [item["pk"] for item in sorted(items, key=key)] == [2, 1]


def test_sort_nulls_first_descending():
    key = make_sort_key((SortKey("current_job_id", True), SortKey("pk")))
    items = [node(pk=2, current_job_id=9), node(pk=1, current_job_id=None)]
    assert [item["pk"] for item in sorted(items, key=key)] == [1, 2]


def test_sort_versions_descending():
    key = make_sort_key((SortKey("driver_version", True), SortKey("pk")))
    items = [
        node(pk=1, driver_version="99.1"),
        node(pk=2, driver_version="535.104.05"),
        node(pk=3, driver_version="beta"),
    ]
    assert [item["pk"] for item in sorted(items, key=key)] == [3, 2, 1]


def test_sort_appends_pk():
    spec = parse_spec({"sort": ["-gpu_mem"]}, CONTEXT, NOW_MS)
    assert spec.sort == (SortKey("gpu_mem", True), SortKey("pk"))


def test_sort_stops_at_pk():
    spec = parse_spec({"sort": ["-pk", "gpu_mem"]}, CONTEXT, NOW_MS)
    assert spec.sort == (SortKey("pk", True),)


def test_relative_time_needs_known_unit():
    with pytest.raises(SpecError) as info:
        parse_spec({"filter": {"last_seen": {"gt": "-1w"}}}, CONTEXT, NOW_MS)
    assert info.value.path == "filter.last_seen.gt"
