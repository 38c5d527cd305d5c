"""Check that every node hash and every index entry agree, and repair the indexes.

The check reads node hashes with SCAN (never KEYS) and the indexes with ZSCAN, in
pipelined batches, so its memory stays bounded by the batch size on any registry. The
batched reads only find suspects: a node written between two of them may look wrong.
Each suspect is then inspected by one Lua script (scripts/inspect_node.lua), which reads
the hash and its index entries at one moment and, with ``repair``, rebuilds the index
entries from the hash and removes entries whose node hash is gone. So the check may run
on a live registry and reports only real disagreements.

NOTE: the check covers the indexes that keys.INDEXED_FIELDS and the generation indexes
name; an index added elsewhere needs a line in inspect_node.lua too.
"""

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nodes.keys import INDEXED_FIELDS
from nodes.store import NODE_FIELDS, NodeStore

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Problem lines kept in a report; the counts cover every problem.
MAX_LISTED_PROBLEMS = 1000
INDEX_FIELDS = INDEXED_FIELDS
INTEGER_FIELDS = ("index", "cpu_mem", "gpu_mem", "last_seen", "current_job_id")
SCRIPTS_DIR = Path(__file__).parent / "scripts"


@dataclass
class Report:
    """Findings of one check and, with repair, the number of problems it fixed."""

    nodes: int = 0
    index_entries: int = 0
    problem_count: int = 0
    # Problems that repair fixed, and damaged nodes (never fixed): a hash that lacks
    # a field, has a non-integer value or names a hardware ID outside the catalog.
    repaired_count: int = 0
    unrepairable_nodes: int = 0
    pk_counter: int = 0
    max_pk: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def remaining_count(self) -> int:
        return self.problem_count - self.repaired_count

    def add_problem(self, line: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(line)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "remaining_count": self.remaining_count, **asdict(self)}


class Checker:
    """One run of the check over one registry."""

    def __init__(self, store: NodeStore, batch_size: int, repair: bool) -> None:
        self.store = store
        self.keys = store.keys
        self.client = store.client
        self.batch_size = batch_size
        self.repair = repair
        self.report = Report()
        self.inspected: set[int] = set()
        self.inspect_script = self.client.register_script(
            (SCRIPTS_DIR / "inspect_node.lua").read_text()
        )
        self.counter_script = self.client.register_script(
            (SCRIPTS_DIR / "raise_pk_counter.lua").read_text()
        )
        self.known_generations = set(store.catalog.ids())
        self.catalog_argument = "," + ",".join(sorted(self.known_generations)) + ","
        self.generations = sorted(
            self.known_generations | set(self._stored_generations())
        )

    def _stored_generations(self) -> list[str]:
        stem = self.keys.generation_stem
        return [
            key.removeprefix(stem)
            for key in self.client.scan_iter(match=stem + "*", count=100)
        ]

    def run(self) -> Report:
        self._scan_hashes()
        for index_key in self.keys.index_keys():
            self._scan_index(index_key, None)
        for generation in self.generations:
            self._scan_index(self.keys.generation_index(generation), generation)
        self._check_pk_counter()
        return self.report

    def inspect(self, pk: int) -> None:
        """Confirm (and with repair, fix) the disagreements of one suspect pk."""
        if pk in self.inspected:
            return
        self.inspected.add(pk)
        keys = self.keys
        problems = self.inspect_script(
            keys=[keys.node(pk), *keys.index_keys()],
            args=[
                keys.generation_stem,
                pk,
                "repair" if self.repair else "check",
                self.catalog_argument,
                *self.generations,
            ],
        )
        for problem in problems:
            self.report.add_problem(f"node {pk}: {problem}")
        if not problems:
            return
        if any("not repairable" in problem for problem in problems):
            self.report.unrepairable_nodes += 1
        elif self.repair:
            self.report.repaired_count += len(problems)
            log.info("repaired the index entries of node %s: %s", pk, problems)

    def _scan_hashes(self) -> None:
        cursor = 0
        while True:
            cursor, node_keys = self.client.scan(
                cursor, match=self.keys.node_stem + "*", count=self.batch_size
            )
            pks = []
            for key in node_keys:
                suffix = key.removeprefix(self.keys.node_stem)
                if suffix.isdigit():
                    pks.append(int(suffix))
                else:
                    self.report.add_problem(f"{key}: not a node key (pk not a number)")
            self._check_hashes(pks)
            if cursor == 0:
                return

    def _check_hashes(self, pks: list[int]) -> None:
        keys = self.keys
        pipe = self.client.pipeline(transaction=False)
        for pk in pks:
            pipe.hmget(keys.node(pk), NODE_FIELDS)
            pipe.zscore(keys.pk_index, pk)
            for name in INDEX_FIELDS:
                pipe.zscore(keys.field_index(name), pk)
        replies = pipe.execute()
        width = 2 + len(INDEX_FIELDS)
        pipe = self.client.pipeline(transaction=False)
        members = []
        for position, pk in enumerate(pks):
            values, pk_score, *scores = replies[
                position * width : (position + 1) * width
            ]
            self.report.nodes += 1
            self.report.max_pk = max(self.report.max_pk, pk)
            record = {"pk": pk, **dict(zip(NODE_FIELDS, values, strict=True))}
            if _hash_disagrees(record, pk_score, scores, self.known_generations):
                self.inspect(pk)
            elif record["hardware_generation"] is not None:
                pipe.zscore(keys.generation_index(record["hardware_generation"]), pk)
                members.append(pk)
        for pk, score in zip(members, pipe.execute(), strict=True):
            if score is None:
                self.inspect(pk)

    def _scan_index(self, index_key: str, generation: str | None) -> None:
        keys = self.keys
        cursor = 0
        while True:
            cursor, entries = self.client.zscan(
                index_key, cursor, count=self.batch_size
            )
            pks = [int(member) for member, _score in entries]
            pipe = self.client.pipeline(transaction=False)
            for pk in pks:
                pipe.hget(keys.node(pk), "hardware_generation")
            for pk, stored in zip(pks, pipe.execute(), strict=True):
                self.report.index_entries += 1
                if stored is None or (generation is not None and stored != generation):
                    self.inspect(pk)
            if cursor == 0:
                return

    def _check_pk_counter(self) -> None:
        keys = self.keys
        top = self.client.zrevrange(keys.pk_index, 0, 0)
        if top:
            self.report.max_pk = max(self.report.max_pk, int(top[0]))
        self.report.pk_counter = int(self.client.get(keys.pk_counter) or 0)
        if self.report.pk_counter >= self.report.max_pk:
            return
        self.report.add_problem(
            f"{keys.pk_counter} is {self.report.pk_counter}, below the largest pk"
            f" {self.report.max_pk}, so create would fail"
        )
        if self.repair:
            self.counter_script(keys=[keys.pk_counter], args=[self.report.max_pk])
            self.report.repaired_count += 1
            log.info("raised %s to %s", keys.pk_counter, self.report.max_pk)


def _hash_disagrees(record: dict, pk_score, scores, known_generations: set) -> bool:
    """Tell whether a hash is damaged, or disagrees with its batched index scores."""
    if any(record[name] is None for name in NODE_FIELDS[:6]):
        return True
    if record["hardware_generation"] not in known_generations:
        return True
    try:
        integers = {
            name: int(record[name])
            for name in INTEGER_FIELDS
            if record[name] is not None
        }
    except ValueError:
        return True
    if pk_score != float(record["pk"]):
        return True
    for name, actual in zip(INDEX_FIELDS, scores, strict=True):
        expected = integers.get(name)
        if (None if expected is None else float(expected)) != actual:
            return True
    return False


def check(
    store: NodeStore, batch_size: int = BATCH_SIZE, repair: bool = False
) -> Report:
    """Compare hashes with indexes both ways; with ``repair``, fix the indexes."""
    report = Checker(store, batch_size, repair).run()
    log.info(
        "consistency check%s: %d nodes, %d index entries, %d problems",
        " with repair" if repair else "",
        report.nodes,
        report.index_entries,
        report.problem_count,
    )
    return report
