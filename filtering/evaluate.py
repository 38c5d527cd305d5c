"""Evaluate a filter tree against node dicts, and order nodes by a sort.

This is the whole meaning of a filter: execute.py uses the indexes only to choose
which nodes to fetch, then keeps the nodes for which ``compile_filter`` returns True.
The tests use it as the oracle for what every query must return.

Null rules: eq, ne, in and not_in treat a null current_job_id like any other value;
lt, lte, gt and gte are false for it. They are also false for a driver_version that
is not a numeric version (see fields.version_key).
"""

import operator as op
from collections.abc import Callable

from filtering.fields import is_numeric_version, version_key
from filtering.tree import And, Compare, Not, Or, SortKey

ORDERING = {"lt": op.lt, "lte": op.le, "gt": op.gt, "gte": op.ge}

# The hardware_generation of a node known only to be in none of the generation
# sets that the filter names: equal to no hardware ID.
OTHER_GENERATION = object()


def _compile_compare(node: Compare) -> Callable[[dict], bool]:
    field, operator, value = node.field, node.operator, node.value
    if operator == "eq":
        return lambda item: item[field] == value
    if operator == "ne":
        return lambda item: item[field] != value
    if operator == "in":
        return lambda item: item[field] in value
    if operator == "not_in":
        return lambda item: item[field] not in value
    compare = ORDERING[operator]
    if field == "driver_version":
        bound = version_key(value)

        def version_ordering(item: dict) -> bool:
            text = item[field]
            return is_numeric_version(text) and compare(version_key(text), bound)

        return version_ordering

    def ordering(item: dict) -> bool:
        current = item[field]
        return current is not None and compare(current, value)

    return ordering


def compile_filter(tree) -> Callable[[dict], bool]:
    """Return a function that evaluates the tree against one node dict."""
    if isinstance(tree, Compare):
        return _compile_compare(tree)
    if isinstance(tree, Not):
        inner = compile_filter(tree.child)
        return lambda item: not inner(item)
    children = [compile_filter(child) for child in tree.children]
    if isinstance(tree, And):
        if not children:
            return lambda item: True
        return lambda item: all(child(item) for child in children)
    return lambda item: any(child(item) for child in children)


def evaluate(tree, node: dict) -> bool:
    """Return whether one node matches the tree."""
    return compile_filter(tree)(node)


def evaluate_known(tree, known: dict) -> bool | None:
    """Evaluate with some fields unknown: True, False, or None when undecided.

    ``known`` maps field names to values; a field it lacks is unknown. The logic is
    Kleene's: an And with a false child is false, an Or with a true child is true.
    index_check.py runs its compiled form (compile_known) on index scores to drop
    nodes before fetching their hashes.
    """
    return compile_known(tree)(known)


def _compile_known_compare(node: Compare) -> Callable[[dict], bool | None]:
    field = node.field
    compare = _compile_compare(node)
    other_result = node.operator in ("ne", "not_in")

    def evaluate(known: dict) -> bool | None:
        if field not in known:
            return None
        if known[field] is OTHER_GENERATION:
            return other_result
        return compare(known)

    return evaluate


def compile_known(tree) -> Callable[[dict], bool | None]:
    """Return a function that runs evaluate_known for the tree, compiled once."""
    if isinstance(tree, Compare):
        return _compile_known_compare(tree)
    if isinstance(tree, Not):
        inner = compile_known(tree.child)

        def negate(known: dict) -> bool | None:
            result = inner(known)
            return None if result is None else not result

        return negate
    children = [compile_known(child) for child in tree.children]
    decisive = isinstance(tree, Or)

    def combine(known: dict) -> bool | None:
        undecided = False
        for child in children:
            result = child(known)
            if result is decisive:
                return decisive
            if result is None:
                undecided = True
        return None if undecided else not decisive

    return combine


class Descending:
    """Wraps a sort value so that it orders in reverse."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: "Descending") -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def sort_value(field: str, node: dict):
    """Return the ascending sort value of one field; null sorts after every job id."""
    value = node[field]
    if field == "current_job_id":
        return (1, 0) if value is None else (0, value)
    if field == "driver_version":
        return version_key(value)
    return value


def make_sort_key(sort: tuple[SortKey, ...]) -> Callable[[dict], tuple]:
    """Return a key function that orders node dicts by the sort, pk last."""

    def key(node: dict) -> tuple:
        parts = []
        for item in sort:
            value = sort_value(item.field, node)
            if item.descending:
                value = -value if isinstance(value, int) else Descending(value)
            parts.append(value)
        return tuple(parts)

    return key
