"""The worked examples of docs/filtering.md, sent over HTTP to a test fleet."""

import json
import re
from pathlib import Path

import pytest

from tests.factories import GIB, cpu_node_body, node_body
from tests.filter_support import oracle

DOC = Path(__file__).resolve().parent.parent / "docs" / "filtering.md"
EXAMPLE = re.compile(r"<!-- example: ([a-z0-9-]+) -->\n```json\n(.*?)\n```", re.DOTALL)
DRIVERS = ["470.82.01", "525.60.13", "535.104.05", "550.54.15", "r535-beta"]


def doc_examples() -> dict[str, dict]:
    return {name: json.loads(body) for name, body in EXAMPLE.findall(DOC.read_text())}


@pytest.fixture
def fleet(clock, store):
    """Create 200 nodes of four generations; the first 60 are stale (130 s old)."""
    for position in range(200):
        if position == 60:
            clock.advance(120)
        driver = DRIVERS[position % len(DRIVERS)]
        if position % 13 == 0:
            body = cpu_node_body(driver_version=driver)
        else:
            generation = ["hopper", "ampere", "volta"][position % 3]
            gpu_mem = {"hopper": 80, "ampere": [40, 80][position % 2], "volta": 32}
            body = node_body(
                index=position % 8,
                hardware_generation=generation,
                gpu_mem=gpu_mem[generation] * GIB,
                driver_version=driver,
            )
        pk = store.create(body)["pk"]
        if position % 4 == 0:
            store.heartbeat(pk, 42 + position % 2)
    clock.advance(10)
    return store


def _list(api, body: dict):
    response = api.post("/v1/nodes/list", json=body)
    assert response.status_code == 200
    return response


def test_doc_has_examples():
    assert set(doc_examples()) == {
        "idle-large-gpus",
        "old-drivers",
        "two-generations-paged",
        "not-alive-or-job",
    }


@pytest.mark.parametrize("name", sorted(doc_examples()))
def test_example_matches_oracle(api, fleet, name):
    body = doc_examples()[name]
    expected = [node["pk"] for node in oracle(fleet, body | {"limit": 10_000})]
    pages = []
    request = dict(body)
    for _ in range(50):
        response = _list(api, request)
        pages.append([node["pk"] for node in response.get_json()])
        cursor = response.headers.get("Next-Cursor")
        if cursor is None:
            break
        request = {**body, "cursor": cursor}
    assert [pk for page in pages for pk in page] == expected
    assert expected
    nodes = [fleet.get(pk) for pk in expected]
    CHECKS[name](nodes, pages)


def _idle_large_gpus(nodes, pages):
    assert all(node["current_job_id"] is None for node in nodes)
    assert all(node["gpu_mem"] >= 80 * GIB for node in nodes)
    assert all(node["pk"] > 60 for node in nodes)


def _old_drivers(nodes, pages):
    assert {node["driver_version"] for node in nodes} == {"470.82.01", "525.60.13"}


def _two_generations_paged(nodes, pages):
    assert [len(page) for page in pages[:-1]] == [100] * (len(pages) - 1)
    assert len(pages) > 1
    memories = [node["gpu_mem"] for node in nodes]
    assert memories == sorted(memories, reverse=True)


def _not_alive_or_job(nodes, pages):
    assert any(node["pk"] <= 60 for node in nodes)
    assert all(node["pk"] <= 60 or node["current_job_id"] == 42 for node in nodes)


CHECKS = {
    "idle-large-gpus": _idle_large_gpus,
    "old-drivers": _old_drivers,
    "two-generations-paged": _two_generations_paged,
    "not-alive-or-job": _not_alive_or_job,
}


def test_openapi_describes_spec(api):
    document = api.get("/openapi.json").get_json()
    operation = document["paths"]["/v1/nodes/list"]["post"]
    assert "FilterSpec" in document["components"]["schemas"]
    assert "Next-Cursor" in operation["responses"]["200"]["headers"]
    assert "docs/filtering.md" in document["info"]["description"]
