"""The parsed form of a filter: a small tree of comparisons and combinators.

Values are already converted to the units of a node dict: integers, strings,
last_seen in integer milliseconds and None for a null current_job_id. The `in` and
`not_in` operators hold a frozenset.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Compare:
    """``field operator value``, e.g. Compare("gpu_mem", "gte", 85899345920)."""

    field: str
    operator: str
    value: object


@dataclass(frozen=True, slots=True)
class And:
    """True when every child is true; And(()) matches every node."""

    children: tuple


@dataclass(frozen=True, slots=True)
class Or:
    """True when some child is true; Or(()) matches no node."""

    children: tuple


@dataclass(frozen=True, slots=True)
class Not:
    child: object


MATCH_ALL = And(())
MATCH_NONE = Or(())


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool = False


def conjoin(children: list) -> object:
    """Return the And of children, or the only child itself."""
    return children[0] if len(children) == 1 else And(tuple(children))


def disjoin(children: list) -> object:
    """Return the Or of children, or the only child itself."""
    return children[0] if len(children) == 1 else Or(tuple(children))


def referenced_fields(node) -> set[str]:
    """Return the fields that a tree compares."""
    if isinstance(node, Compare):
        return {node.field}
    if isinstance(node, Not):
        return referenced_fields(node.child)
    fields: set[str] = set()
    for child in node.children:
        fields |= referenced_fields(child)
    return fields


def referenced_values(node, field: str) -> set:
    """Return every value that the tree compares ``field`` with."""
    if isinstance(node, Compare):
        if node.field != field:
            return set()
        if node.operator in ("in", "not_in"):
            return set(node.value)
        return {node.value}
    if isinstance(node, Not):
        return referenced_values(node.child, field)
    values: set = set()
    for child in node.children:
        values |= referenced_values(child, field)
    return values
