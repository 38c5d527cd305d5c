"""Check that every node hash and every index entry agree, in bounded batches.

The check reads node hashes with SCAN (never KEYS) and the indexes with ZSCAN, so its
memory stays bounded by the batch size on any registry.
"""

import logging
from dataclasses import dataclass, field

from nodes.store import NODE_FIELDS, NodeStore

log = logging.getLogger(__name__)

BATCH_SIZE = 500
INDEX_FIELDS = ("cpu_mem", "gpu_mem", "last_seen", "current_job_id")


@dataclass
class Report:
    """What a check found; ``problems`` holds one line per disagreement."""

    nodes: int = 0
    index_entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected_scores(values: list) -> dict[str, float | None]:
    record = dict(zip(NODE_FIELDS, values, strict=True))
    return {
        name: None if record[name] is None else float(record[name])
        for name in INDEX_FIELDS
    }


def check(store: NodeStore, batch_size: int = BATCH_SIZE) -> Report:
    """Compare hashes with indexes both ways and return what disagrees."""
    report = Report()
    keys = store.keys
    client = store.client
    generation_keys = list(
        client.scan_iter(match=keys.generation_stem + "*", count=100)
    )
    cursor = 0
    while True:
        cursor, node_keys = client.scan(
            cursor, match=keys.node_stem + "*", count=batch_size
        )
        _check_hashes(store, node_keys, generation_keys, report)
        if cursor == 0:
            break
    for index_key in [*keys.index_keys(), *generation_keys]:
        _check_index_entries(store, index_key, batch_size, report)
    return report


def _check_hashes(store, node_keys, generation_keys, report) -> None:
    keys = store.keys
    pks = [int(key.removeprefix(keys.node_stem)) for key in node_keys]
    pipe = store.client.pipeline(transaction=False)
    for pk in pks:
        pipe.hmget(keys.node(pk), NODE_FIELDS)
        pipe.zscore(keys.pk_index, pk)
        for name in INDEX_FIELDS:
            pipe.zscore(keys.field_index(name), pk)
    replies = pipe.execute()
    width = 2 + len(INDEX_FIELDS)
    for position, pk in enumerate(pks):
        values, pk_score, *scores = replies[position * width : (position + 1) * width]
        report.nodes += 1
        missing = [
            name
            for name, value in zip(NODE_FIELDS[:6], values, strict=False)
            if value is None
        ]
        if missing:
            report.problems.append(f"node {pk}: hash lacks fields {missing}")
            continue
        if pk_score != float(pk):
            report.problems.append(
                f"node {pk}: pk index score {pk_score}, expected {pk}"
            )
        for name, expected, actual in zip(
            INDEX_FIELDS, _expected_scores(values).values(), scores, strict=True
        ):
            if expected != actual:
                report.problems.append(
                    f"node {pk}: {name} index score {actual}, expected {expected}"
                )
        generation = values[NODE_FIELDS.index("hardware_generation")]
        if store.client.zscore(keys.generation_index(generation), pk) is None:
            report.problems.append(
                f"node {pk}: missing from generation index {generation}"
            )


def _check_index_entries(store, index_key, batch_size, report) -> None:
    keys = store.keys
    generation = None
    if index_key.startswith(keys.generation_stem):
        generation = index_key.removeprefix(keys.generation_stem)
    cursor = 0
    while True:
        cursor, entries = store.client.zscan(index_key, cursor, count=batch_size)
        pks = [int(member) for member, _score in entries]
        pipe = store.client.pipeline(transaction=False)
        for pk in pks:
            pipe.hget(keys.node(pk), "hardware_generation")
        for pk, stored_generation in zip(pks, pipe.execute(), strict=True):
            report.index_entries += 1
            if stored_generation is None:
                report.problems.append(f"{index_key}: entry {pk} has no node hash")
            elif generation is not None and stored_generation != generation:
                report.problems.append(
                    f"{index_key}: entry {pk}, but the node's generation is"
                    f" {stored_generation}"
                )
        if cursor == 0:
            return
