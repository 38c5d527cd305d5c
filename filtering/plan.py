"""Choose which index ranges to read for a filter and sort (pure Python).

Planning takes two steps around one round trip to Redis. ``atoms_to_count`` lists
every index range that could drive the query; execute.py counts each (ZCOUNT, ZCARD)
and passes the counts to ``choose``, which picks the cheapest way:

- a union of index ranges whose nodes include every match, from the smallest
  estimate; an ``and`` uses its most selective child or the intersection of its
  ranges on one field, an ``or`` of indexed children is the union of theirs;
- or a walk of the first sort field's index in sort order, which stops once
  ``limit`` matches are found (the pk index when nothing else is usable);
- or, when the sort starts with pk and has a limit, a merge of the union's ranges
  in pk order, which also stops once ``limit`` matches are found. It applies when
  every range is scored by pk (generation sets and pk ranges), and it costs about
  the matches taken, wherever in pk order they lie, while the walk of the pk
  index assumes that matches are spread evenly.

Every other condition is checked on the fetched nodes, so a plan only decides the
cost of a query, never its result.
"""

import math
from dataclasses import dataclass

from filtering import intervals as iv
from filtering.tree import And, Compare, Not, Or, SortKey, referenced_fields

# An index is named ("field", name) for the sorted sets scored by a field's value,
# or ("generation", hardware ID) for the set of one generation's pks.
IndexRef = tuple[str, str]
Atom = tuple[IndexRef, int | None, int | None]

NUMERIC_INDEXES = ("pk", "cpu_mem", "gpu_mem", "last_seen", "current_job_id")
WALKABLE = ("pk", "cpu_mem", "gpu_mem", "last_seen")
# Fields whose lt/lte/gt/gte are never false for a reason other than the bound.
TOTALLY_ORDERED = ("pk", "index", "cpu_mem", "gpu_mem", "last_seen")
LOOKUP_FIELDS = ("cpu_mem", "gpu_mem", "last_seen", "current_job_id")
COMPLEMENTS = {
    "eq": "ne",
    "ne": "eq",
    "in": "not_in",
    "not_in": "in",
    "lt": "gte",
    "gte": "lt",
    "lte": "gt",
    "gt": "lte",
}
# Fields whose values the indexes hold, so index scores alone decide a filter on them.
DECIDED_BY_INDEXES = {"pk", "hardware_generation", *LOOKUP_FIELDS}
# The cost of reading one index entry (ZRANGEBYSCORE, ZMSCORE), relative to
# fetching one node hash. NOTE: an estimate, not measured per deployment.
INDEX_ENTRY_COST = 0.1
# A condition whose ranges need more intervals than this is checked on fetched nodes.
MAX_LEAF_INTERVALS = 64
# At most this many ranges are counted in the planning round trip.
MAX_COUNTED_ATOMS = 256
# A merge reads a chunk of each range in every round, so it is chosen only for
# a union of at most this many ranges.
MAX_MERGED_ATOMS = 16


@dataclass(frozen=True)
class Plan:
    """How to find the candidates of a query.

    kind "union": read every atom and fetch the union of their pks. kind "walk":
    read the atoms (ranges of the walk field's index) in sort order. kind "merge":
    read the atoms (ranges scored by pk) side by side in pk order. ``lookups``
    are the indexed fields, and ``generations`` the generation sets, whose scores
    are read for each candidate to drop it before its hash is fetched.
    """

    kind: str
    atoms: tuple[Atom, ...]
    estimate: int
    walk_field: str | None = None
    descending: bool = False
    lookups: tuple[str, ...] = ()
    generations: tuple[str, ...] = ()


def to_negation_normal_form(node, negate: bool = False):
    """Push every Not down to a comparison, complementing it where that is exact."""
    if isinstance(node, Not):
        return to_negation_normal_form(node.child, not negate)
    if isinstance(node, Compare):
        if not negate:
            return node
        exact = node.operator in ("eq", "ne", "in", "not_in")
        if exact or node.field in TOTALLY_ORDERED:
            return Compare(node.field, COMPLEMENTS[node.operator], node.value)
        return Not(node)
    children = tuple(to_negation_normal_form(child, negate) for child in node.children)
    flip = negate != isinstance(node, Or)
    return Or(children) if flip else And(children)


def leaf_atoms(node) -> list[Atom] | None:
    """Return index ranges whose union is exactly the nodes a comparison accepts."""
    if not isinstance(node, Compare):
        return None
    field, operator, value = node.field, node.operator, node.value
    if field == "hardware_generation":
        if operator == "eq":
            return [(("generation", value), None, None)]
        if operator == "in":
            return [(("generation", hw), None, None) for hw in sorted(value)]
        return None
    if field not in NUMERIC_INDEXES:
        return None
    if field == "current_job_id":
        # Null values have no index entry, so ranges that contain null cannot help.
        if operator in ("ne", "not_in") or value is None:
            return None
        if operator == "in" and None in value:
            return None
    ranges = iv.for_comparison(operator, value)
    if len(ranges) > MAX_LEAF_INTERVALS:
        return None
    return [(("field", field), low, high) for low, high in ranges]


def _field_ranges(children, field: str) -> list[iv.Interval] | None:
    """Intersect the ranges that And children put on one numeric field."""
    result = None
    for child in children:
        atoms = leaf_atoms(child)
        if atoms and atoms[0][0] == ("field", field):
            ranges = [(low, high) for _ref, low, high in atoms]
            result = ranges if result is None else iv.intersect(result, ranges)
    return result


def _and_merges(node: And) -> list[list[Atom]]:
    """Return the intersections of an And's ranges, one per field it bounds twice."""
    merges = []
    for field in NUMERIC_INDEXES:
        bounding = [child for child in node.children if _bounds(child, field)]
        if len(bounding) > 1:
            ranges = _field_ranges(node.children, field)
            merges.append([(("field", field), low, high) for low, high in ranges])
    generation_sets = [
        {ref[1] for ref, _low, _high in leaf_atoms(child)}
        for child in node.children
        if _bounds(child, "hardware_generation")
    ]
    if len(generation_sets) > 1:
        common = set.intersection(*generation_sets)
        merges.append([(("generation", hw), None, None) for hw in sorted(common)])
    return merges


def _bounds(child, field: str) -> bool:
    atoms = leaf_atoms(child)
    if not atoms:
        return False
    ref = atoms[0][0]
    return ref == ("field", field) or (
        field == "hardware_generation" and ref[0] == "generation"
    )


def atoms_to_count(tree, sort: tuple[SortKey, ...], after: dict | None) -> list[Atom]:
    """List the ranges whose sizes ``choose`` needs, at most MAX_COUNTED_ATOMS."""
    found: dict[Atom, None] = {}
    for atom in walk_atoms(tree, sort, after) or []:
        found[atom] = None
    _collect(to_negation_normal_form(tree), found)
    return list(found)[:MAX_COUNTED_ATOMS]


def _collect(node, found: dict) -> None:
    for atom in leaf_atoms(node) or []:
        found[atom] = None
    if isinstance(node, And | Or):
        for child in node.children:
            _collect(child, found)
    if isinstance(node, And):
        for merge in _and_merges(node):
            for atom in merge:
                found[atom] = None


def _cost(atoms: list[Atom], counts: dict) -> int | None:
    if any(atom not in counts for atom in atoms):
        return None
    return sum(counts[atom] for atom in atoms)


def best_union(node, counts: dict) -> tuple[list[Atom], int] | None:
    """Return the cheapest counted ranges whose union contains every match, or None."""
    if isinstance(node, Or) and not node.children:
        return [], 0
    options = []
    atoms = leaf_atoms(node)
    if atoms is not None:
        options.append(atoms)
    if isinstance(node, And):
        options.extend(_and_merges(node))
        for child in node.children:
            child_best = best_union(child, counts)
            if child_best is not None:
                options.append(child_best[0])
    if isinstance(node, Or) and node.children:
        union: list[Atom] = []
        for child in node.children:
            child_best = best_union(child, counts)
            if child_best is None:
                return None
            union.extend(child_best[0])
        return _merge(union), _cost(union, counts)
    costed = [(option, _cost(option, counts)) for option in options]
    costed = [(option, cost) for option, cost in costed if cost is not None]
    if not costed:
        return None
    return min(costed, key=lambda item: item[1])


def _merge(atoms: list[Atom]) -> list[Atom]:
    """Merge overlapping ranges of one index, so no range is read twice."""
    by_ref: dict[IndexRef, list[iv.Interval]] = {}
    for ref, low, high in atoms:
        by_ref.setdefault(ref, []).append((low, high))
    merged = []
    for ref, ranges in by_ref.items():
        merged.extend((ref, low, high) for low, high in iv.normalize(ranges))
    return merged


def walk_atoms(tree, sort: tuple[SortKey, ...], after: dict | None) -> list | None:
    """Return the ranges of the first sort field's index that can hold matches."""
    first = sort[0]
    if first.field not in WALKABLE:
        return None
    node = to_negation_normal_form(tree)
    children = node.children if isinstance(node, And) else (node,)
    ranges = _field_ranges(children, first.field) or [(None, None)]
    if after is not None:
        bound = after[first.field]
        cursor_range = (None, bound) if first.descending else (bound, None)
        ranges = iv.intersect(ranges, [cursor_range])
    return [(("field", first.field), low, high) for low, high in ranges]


def lookups_for(tree, known_field: str | None) -> tuple[tuple, tuple]:
    fields = referenced_fields(tree)
    lookups = tuple(f for f in LOOKUP_FIELDS if f in fields and f != known_field)
    generations: set = set()
    if "hardware_generation" in fields:
        generations = _generation_values(tree)
    return lookups, tuple(sorted(generations))


def _generation_values(node) -> set:
    if isinstance(node, Compare):
        if node.field != "hardware_generation":
            return set()
        return set(node.value) if isinstance(node.value, frozenset) else {node.value}
    if isinstance(node, Not):
        return _generation_values(node.child)
    return set().union(*(_generation_values(child) for child in node.children))


def choose(
    tree, sort: tuple[SortKey, ...], limit: int | None, after, counts, total: int
) -> Plan:
    """Pick the cheapest plan from the counted ranges (see the module docstring)."""
    union = best_union(to_negation_normal_form(tree), counts)
    walk = walk_atoms(tree, sort, after)
    walk_cost = _cost(walk, counts) if walk is not None else None
    if walk is not None and walk_cost is None:
        walk_cost = total
    merge = _merge_atoms(union, sort, limit, after)
    if merge is not None:
        lookups, generations = lookups_for(tree, "pk")
        estimate = min(union[1], limit + 1)
        descending = sort[0].descending
        return Plan("merge", merge, estimate, "pk", descending, lookups, generations)
    decided = referenced_fields(tree) <= DECIDED_BY_INDEXES
    if walk is not None and _prefer_walk(union, walk_cost, limit, decided):
        field = sort[0].field
        lookups, generations = lookups_for(tree, field)
        estimate = walk_cost if limit is None else min(walk_cost, limit + 1)
        return Plan(
            "walk",
            tuple(walk),
            estimate,
            field,
            sort[0].descending,
            lookups,
            generations,
        )
    if union is None:
        union = ([(("field", "pk"), None, None)], total)
    atoms, cost = union
    refs = {ref for ref, _low, _high in atoms}
    known = None
    if len(refs) == 1 and next(iter(refs))[0] == "field":
        known = next(iter(refs))[1]
    lookups, generations = lookups_for(tree, known)
    return Plan("union", tuple(atoms), cost, None, False, lookups, generations)


def _merge_atoms(union, sort, limit: int | None, after) -> tuple | None:
    """Return the union's ranges bounded by the cursor when a merge applies."""
    if union is None or limit is None or sort[0].field != "pk":
        return None
    atoms = union[0]
    refs = {ref for ref, _low, _high in atoms}
    if not atoms or len(atoms) > MAX_MERGED_ATOMS:
        return None
    if not all(ref[0] == "generation" or ref == ("field", "pk") for ref in refs):
        return None
    if all(ref == ("field", "pk") for ref in refs):
        return None  # the walk of the pk index reads the same ranges
    cursor_range: iv.Interval = (None, None)
    if after is not None:
        bound = after["pk"]
        cursor_range = (None, bound) if sort[0].descending else (bound, None)
    merged = []
    for ref, low, high in atoms:
        for bounded_low, bounded_high in iv.intersect([(low, high)], [cursor_range]):
            merged.append((ref, bounded_low, bounded_high))
    return tuple(merged)


def _prefer_walk(union, walk_cost: int, limit: int | None, decided: bool) -> bool:
    """Compare estimated costs: a hash fetch is 1, an index entry read is less."""
    if union is None:
        return True
    union_cost = union[1]
    if limit is None:
        return walk_cost <= union_cost
    # Assume matches are spread evenly along the walk: reaching limit + 1 of the
    # union_cost possible matches reads this share of the walked range.
    entries = min(walk_cost, math.ceil((limit + 1) * walk_cost / max(union_cost, 1)))
    # When index scores decide the whole filter, the walk fetches only matches.
    hashes = min(entries, limit + 1) if decided else entries
    walk = hashes + INDEX_ENTRY_COST * entries
    return walk <= union_cost * (1 + INDEX_ENTRY_COST)
