"""Run a filter specification against Redis (placeholder: all nodes in pk order)."""

from dataclasses import dataclass


@dataclass
class ListResult:
    nodes: list
    next_cursor: str | None = None


def execute(store, spec, now_ms: int) -> ListResult:
    nodes = []
    for chunk in store.iter_pks():
        nodes.extend(store.fetch_many(chunk))
    return ListResult(nodes)
