"""Helpers for filter tests: a store without the HTTP layer, and a plain oracle."""

from dataclasses import dataclass

from filtering.evaluate import compile_filter
from filtering.execute import execute
from filtering.fields import version_key
from filtering.spec import parse_spec
from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace
from nodes.serialize import Liveness
from nodes.store import NodeStore

STALE_AFTER_SECONDS = 40.0
LOST_AFTER_SECONDS = 300.0


@dataclass
class FilterContext:
    catalog: HardwareCatalog
    liveness: Liveness


def make_store(client, clock, catalog: HardwareCatalog | None = None) -> NodeStore:
    return NodeStore(client, KeySpace("test"), catalog or HardwareCatalog(), clock)


def make_context(store: NodeStore) -> FilterContext:
    return FilterContext(
        store.catalog, Liveness(STALE_AFTER_SECONDS, LOST_AFTER_SECONDS)
    )


def run_spec(store: NodeStore, body: dict):
    """Parse and execute one request body; return the ListResult."""
    spec = parse_spec(body, make_context(store), store.now_ms())
    return execute(store, spec)


def all_nodes(store: NodeStore) -> list[dict]:
    nodes = []
    for chunk in store.iter_pks():
        nodes.extend(store.fetch_many(chunk))
    return nodes


def oracle(store: NodeStore, body: dict) -> list[dict]:
    """Filter every node in Python and sort with one stable pass per sort field."""
    spec = parse_spec(body, make_context(store), store.now_ms())
    matches = compile_filter(spec.filter)
    nodes = [node for node in all_nodes(store) if matches(node)]
    for key in reversed(spec.sort):
        nodes.sort(
            key=lambda node, f=key.field: _ascending(f, node), reverse=key.descending
        )
    return nodes


def _ascending(field: str, node: dict):
    value = node[field]
    if field == "current_job_id":
        return (value is None, value or 0)
    if field == "driver_version":
        return version_key(value)
    return value


def page_through(store: NodeStore, body: dict, max_pages: int = 1000) -> list[list]:
    """Follow Next-Cursor until the last page; return the pages of nodes."""
    pages = []
    request = dict(body)
    for _ in range(max_pages):
        result = run_spec(store, request)
        pages.append(result.nodes)
        if result.next_cursor is None:
            return pages
        request = {**body, "cursor": result.next_cursor}
    raise AssertionError(f"more than {max_pages} pages")
