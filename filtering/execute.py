"""Run a filter specification against Redis: the only filtering module that does.

It counts the candidate ranges that plan.py lists, lets plan.choose pick the
cheapest, reads those index ranges in bounded chunks, drops candidates whose index
scores already rule them out (ZMSCORE), fetches the rest in one round trip per
chunk, and keeps the nodes that evaluate.py accepts, in sort order, after the
cursor.
"""

import heapq
import logging
from collections.abc import Iterator

from filtering import plan as planner
from filtering.cursor import Cursor, encode_cursor
from filtering.evaluate import compile_filter, compile_known, make_sort_key
from filtering.index_check import drop_by_index
from filtering.intervals import redis_bounds
from filtering.result import ListResult
from filtering.spec import Spec
from filtering.tree import And, SortKey, referenced_fields
from nodes.full_list import iter_replies
from nodes.store import FETCH_CHUNK, NodeStore

log = logging.getLogger(__name__)

# The response header that carries the cursor of the next page (docs/filtering.md).
NEXT_CURSOR_HEADER = "Next-Cursor"
# Index entries read per ZRANGEBYSCORE. A run also contains the rest of its last tie.
INDEX_CHUNK = 1000
# Hashes fetched in the first round trip of a walk that needs few more matches.
MIN_FETCH_BATCH = 16


class _Query:
    """One execution: the spec, its plan and the compiled filter and sort key."""

    def __init__(self, store: NodeStore, spec: Spec, plan: planner.Plan) -> None:
        self.store = store
        self.spec = spec
        self.plan = plan
        self.matches = compile_filter(spec.filter)
        self.decides = compile_known(spec.filter)
        # Whether index scores alone decide the filter, so that every candidate
        # left by drop_by_index matches unless it changed since its scores were read.
        self.decided = referenced_fields(spec.filter) <= planner.DECIDED_BY_INDEXES
        self.sort_key = make_sort_key(spec.sort)
        self.after_key = None if spec.after is None else self.sort_key(spec.after)
        self.need = None if spec.limit is None else spec.limit + 1

    def index_key(self, ref: planner.IndexRef) -> str:
        kind, name = ref
        keys = self.store.keys
        return (
            keys.field_index(name) if kind == "field" else keys.generation_index(name)
        )

    def is_after_cursor(self, node: dict) -> bool:
        return self.after_key is None or self.sort_key(node) > self.after_key

    def runs(self, atom: planner.Atom, descending: bool) -> Iterator[list]:
        """Yield (pk, score) entries of a range in order, whole ties per run.

        Scores tie in the cpu_mem, gpu_mem and last_seen indexes, and Redis orders
        ties by member text ("10" before "9"), so each run ends with every entry of
        its last score and the caller orders runs by (score, pk).
        """
        ref, low, high = atom
        key = self.index_key(ref)
        unique = ref[0] == "generation" or ref[1] == "pk"
        low_bound, high_bound = redis_bounds((low, high))
        chunk = INDEX_CHUNK if self.need is None else min(INDEX_CHUNK, 2 * self.need)
        client = self.store.client
        while True:
            read = client.zrevrangebyscore if descending else client.zrangebyscore
            if descending:
                first, second = high_bound, low_bound
            else:
                first, second = low_bound, high_bound
            entries = read(
                key, first, second, 0, chunk, withscores=True, score_cast_func=_score
            )
            full = len(entries) == chunk
            if full and not unique:
                last = entries[-1][1]
                entries = [entry for entry in entries if entry[1] != last]
                # NOTE: one reply contains every node with this exact score, so its size
                # is bounded by the largest group of equal values, not by the chunk.
                tie = client.zrangebyscore(key, last, last)
                entries.extend((member, last) for member in tie)
            if unique:
                # Redis returns unique scores in the requested order already.
                yield [(int(member), score) for member, score in entries]
            else:
                yield self.ordered(entries, descending)
            if not full:
                return
            last = entries[-1][1] if unique else last
            if descending:
                high_bound = f"({last}"
            else:
                low_bound = f"({last}"
            chunk = min(INDEX_CHUNK, chunk * 2)

    def ordered(self, entries: list, descending: bool) -> list[tuple[int, int]]:
        pk_descending = (
            self.spec.sort[1].descending if len(self.spec.sort) > 1 else False
        )
        score_sign = -1 if descending else 1
        pk_sign = -1 if pk_descending else 1
        pairs = [(int(member), score) for member, score in entries]
        pairs.sort(key=lambda pair: (score_sign * pair[1], pk_sign * pair[0]))
        return pairs

    def fetch_matching(self, entries: list, known_field: str | None) -> list[dict]:
        """Fetch the entries' nodes that match, in the entries' order."""
        if not entries:
            return []
        if self.plan.lookups or self.plan.generations:
            entries = self.drop_by_index(entries, known_field)
        nodes = self.store.fetch_many(pk for pk, _score in entries)
        return [node for node in nodes if self.matches(node)]

    def drop_by_index(self, entries: list, known_field: str | None) -> list:
        """Drop entries that their other index scores rule out: one round trip."""
        return drop_by_index(self.store, self.plan, self.decides, entries, known_field)

    def walk(self) -> list[dict]:
        """Walk the first sort field's index in order until need matches are found."""
        spec, plan = self.spec, self.plan
        by_score_and_pk = len(spec.sort) <= 2
        atoms = reversed(plan.atoms) if plan.descending else plan.atoms
        results: list[dict] = []
        for atom in atoms:
            for run in self.runs(atom, plan.descending):
                if by_score_and_pk:
                    done = self.take_in_order(run, results)
                else:
                    done = self.take_sorted(run, results)
                if done:
                    return results[: self.need]
        return results

    def take_in_order(self, run: list, results: list) -> bool:
        """Fetch a run in (score, pk) order, which is the sort order, in batches."""
        field = self.plan.walk_field
        if self.after_key is not None:
            run = [
                (pk, score)
                for pk, score in run
                if self.sort_key({field: score, "pk": pk}) > self.after_key
            ]
        batch = FETCH_CHUNK
        if self.need is not None:
            remaining = self.need - len(results)
            batch = min(FETCH_CHUNK, max(MIN_FETCH_BATCH, 2 * remaining))
        start = 0
        while start < len(run):
            entries = run[start : start + batch]
            start += batch
            if self.fetch_into(entries, field, results):
                return True
            batch = min(FETCH_CHUNK, batch * 2)
        return False

    def fetch_into(self, entries: list, known_field: str, results: list) -> bool:
        """Append the entries' matching nodes in order; True once need are found.

        The index check runs on the whole batch, but hashes are fetched only as
        many as still needed at first, so a filter that the index scores decide
        fetches no hash beyond the last match it returns.
        """
        if self.plan.lookups or self.plan.generations:
            entries = self.drop_by_index(entries, known_field)
        position = 0
        size = len(entries)
        if self.need is not None:
            size = self.need - len(results)
            if not self.decided:
                size = max(MIN_FETCH_BATCH, size)
        while position < len(entries):
            pks = [pk for pk, _score in entries[position : position + size]]
            nodes = self.store.fetch_many(pks)
            results.extend(node for node in nodes if self.matches(node))
            position += size
            if self.need is not None and len(results) >= self.need:
                return True
            size = min(FETCH_CHUNK, size * 2)
        return False

    def merge(self) -> list[dict]:
        """Merge the plan's pk-scored ranges in pk order until need matches are found.

        Each range is read lazily, a chunk at a time, so the cost follows the
        number of matches taken rather than the size of the ranges.
        """
        descending = self.plan.descending
        streams = [self.entries(atom, descending) for atom in self.plan.atoms]
        merged = heapq.merge(*streams, key=_entry_pk, reverse=descending)
        results: list[dict] = []
        batch: list = []
        # The first chunk that runs() reads of each range contains 2 * need entries.
        size = min(FETCH_CHUNK, 2 * self.need)
        previous = None
        for entry in merged:
            if entry[0] == previous:
                continue  # a pk that two ranges contain
            previous = entry[0]
            batch.append(entry)
            if len(batch) == size:
                if self.take_in_order(batch, results):
                    return results[: self.need]
                batch = []
                size = min(FETCH_CHUNK, size * 2)
        self.take_in_order(batch, results)
        return results[: self.need]

    def entries(self, atom: planner.Atom, descending: bool) -> Iterator[tuple]:
        for run in self.runs(atom, descending):
            yield from run

    def take_sorted(self, run: list, results: list) -> bool:
        """Fetch a whole run, order it by the full sort key and keep what follows."""
        field = self.plan.walk_field
        matched = []
        for start in range(0, len(run), FETCH_CHUNK):
            matched.extend(self.fetch_matching(run[start : start + FETCH_CHUNK], field))
        matched = [node for node in matched if self.is_after_cursor(node)]
        matched.sort(key=self.sort_key)
        results.extend(matched)
        return self.need is not None and len(results) >= self.need

    def union(self) -> list[dict]:
        """Fetch the union of the plan's ranges, then sort; keep need at most."""
        refs = {ref for ref, _low, _high in self.plan.atoms}
        known_field = None
        if len(refs) == 1 and next(iter(refs))[0] == "field":
            known_field = next(iter(refs))[1]
        seen: set[int] | None = set() if len(refs) > 1 else None
        results: list[dict] = []
        for atom in self.plan.atoms:
            for run in self.runs(atom, False):
                if seen is not None:
                    run = [entry for entry in run if entry[0] not in seen]
                    seen.update(pk for pk, _score in run)
                for start in range(0, len(run), FETCH_CHUNK):
                    batch = run[start : start + FETCH_CHUNK]
                    nodes = self.fetch_matching(batch, known_field)
                    results.extend(n for n in nodes if self.is_after_cursor(n))
                    if self.need is not None and len(results) > 4 * self.need:
                        results.sort(key=self.sort_key)
                        del results[self.need :]
        results.sort(key=self.sort_key)
        return results if self.need is None else results[: self.need]


def _entry_pk(entry: tuple) -> int:
    return entry[0]


def _score(raw) -> int:
    return int(float(raw))


def count_atoms(store: NodeStore, atoms: list) -> tuple[dict, int]:
    """Count each range (ZCOUNT, or ZCARD for a generation) in one round trip."""
    keys = store.keys
    pipe = store.client.pipeline(transaction=False)
    for (kind, name), low, high in atoms:
        if kind == "generation":
            pipe.zcard(keys.generation_index(name))
        else:
            pipe.zcount(keys.field_index(name), *redis_bounds((low, high)))
    pipe.zcard(keys.pk_index)
    replies = pipe.execute()
    return dict(zip(atoms, replies[:-1], strict=True)), replies[-1]


def make_plan(store: NodeStore, spec: Spec) -> planner.Plan:
    atoms = planner.atoms_to_count(spec.filter, spec.sort, spec.after)
    walk = planner.walk_atoms(spec.filter, spec.sort, spec.after) or []
    counts: dict = {}
    total = 0
    if not set(atoms) <= set(walk):
        counts, total = count_atoms(store, atoms)
    return planner.choose(spec.filter, spec.sort, spec.limit, spec.after, counts, total)


def _lists_everything(spec: Spec) -> bool:
    """Return whether the spec requests every node in pk order, in one page."""
    return (
        spec.filter == And(())
        and spec.sort == (SortKey("pk", False),)
        and spec.limit is None
        and spec.after is None
    )


def execute(store: NodeStore, spec: Spec) -> ListResult:
    """Return the nodes that match the spec, in order, and the next page's cursor."""
    if _lists_everything(spec):
        return ListResult(replies=iter_replies(store))
    plan = make_plan(store, spec)
    log.debug("list plan %s", plan)
    query = _Query(store, spec, plan)
    if plan.kind == "walk":
        nodes = query.walk()
    elif plan.kind == "merge":
        nodes = query.merge()
    else:
        nodes = query.union()
    if spec.limit is None or len(nodes) <= spec.limit:
        return ListResult(nodes)
    nodes = nodes[: spec.limit]
    last = nodes[-1]
    cursor = Cursor(
        spec.fingerprint, spec.now_ms, tuple(last[key.field] for key in spec.sort)
    )
    return ListResult(nodes, encode_cursor(cursor))
