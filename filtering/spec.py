"""Parse and validate a filter specification into a Spec (docs/filtering.md).

Every error is a SpecError naming the path of the offending part, such as
``filter.or[1].gpu_mem.gtee``. The limits below bound the work one request can
cause, and all checks run before anything reads Redis.
"""

from dataclasses import dataclass

from filtering import fields
from filtering.cursor import Cursor, decode_cursor, fingerprint
from filtering.errors import SpecError
from filtering.tree import Compare, Not, SortKey, conjoin, disjoin

MAX_DEPTH = 8
MAX_CONDITIONS = 100
MAX_IN_VALUES = 1000
MAX_LIMIT = 10_000
TOP_LEVEL_KEYS = ("filter", "sort", "limit", "cursor")
COMBINATORS = ("and", "or", "not")


@dataclass(frozen=True)
class Spec:
    """A validated specification, ready for planning.

    ``sort`` always ends with pk, so it orders nodes totally. ``after`` contains the
    sort values of the last node of the previous page, keyed by field, or None on
    the first page. ``now_ms`` is the instant that relative times and status refer
    to; pages after the first reuse the first page's instant.
    """

    filter: object
    sort: tuple[SortKey, ...]
    limit: int | None
    after: dict | None
    now_ms: int
    fingerprint: str


class _Parser:
    def __init__(self, context, now_ms: int) -> None:
        self.catalog = context.catalog
        self.stale_after_ms = context.liveness.stale_after_ms
        self.lost_after_ms = context.liveness.lost_after_ms
        self.now_ms = now_ms
        self.conditions = 0

    def condition(self, value: object, path: str, depth: int):
        if depth > MAX_DEPTH:
            raise SpecError(
                path, f"conditions nest deeper than {MAX_DEPTH} levels; flatten them"
            )
        if not isinstance(value, dict):
            raise SpecError(
                path,
                "a condition must be a JSON object of field names and and, or, not;"
                f" got {fields._type_name(value)}",
            )
        children = []
        for key, item in value.items():
            child_path = f"{path}.{key}"
            if key in ("and", "or"):
                children.append(self.combination(key, item, child_path, depth))
            elif key == "not":
                children.append(Not(self.condition(item, child_path, depth + 1)))
            elif key in fields.FIELDS:
                children.extend(self.field(key, item, child_path))
            else:
                raise SpecError(
                    child_path,
                    f"unknown field {key!r}; a condition's keys are the node fields"
                    f" {', '.join(fields.FIELDS)} and the combinators and, or, not",
                )
        return conjoin(children)

    def combination(self, key: str, items: object, path: str, depth: int):
        if not isinstance(items, list) or not items:
            raise SpecError(
                path, f"{key} must be a non-empty list of conditions, got {items!r}"
            )
        children = [
            self.condition(item, f"{path}[{position}]", depth + 1)
            for position, item in enumerate(items)
        ]
        return conjoin(children) if key == "and" else disjoin(children)

    def field(self, name: str, value: object, path: str) -> list:
        if not isinstance(value, dict):
            return [self.operator(name, "eq", value, path)]
        if not value:
            raise SpecError(
                path,
                f"{name} maps to an empty operator object; give at least one of"
                f" {', '.join(fields.OPERATORS)}",
            )
        return [
            self.operator(name, operator, operand, f"{path}.{operator}")
            for operator, operand in value.items()
        ]

    def operator(self, name: str, operator: str, operand: object, path: str):
        if operator not in fields.OPERATORS:
            raise SpecError(
                path,
                f"unknown operator {operator!r}; the operators are"
                f" {', '.join(fields.OPERATORS)}",
            )
        if name in fields.UNORDERED_FIELDS and operator in fields.ORDERING_OPERATORS:
            raise SpecError(
                path,
                f"{name} has no order, so {operator} does not apply; use eq, ne, in"
                " or not_in",
            )
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise SpecError(
                path,
                f"the filter has more than {MAX_CONDITIONS} conditions; split the"
                " request or use in",
            )
        if operator in ("in", "not_in"):
            values = self.operand_list(name, operator, operand, path)
        else:
            values = [self.literal(name, operator, operand, path)]
        return self.compare(name, operator, values)

    def operand_list(self, name: str, operator: str, operand, path: str) -> list:
        if not isinstance(operand, list) or not operand:
            raise SpecError(
                path, f"{operator} must be a non-empty list of values, got {operand!r}"
            )
        if len(operand) > MAX_IN_VALUES:
            raise SpecError(
                path,
                f"{operator} lists {len(operand)} values; at most {MAX_IN_VALUES}"
                " are accepted",
            )
        return [
            self.literal(name, operator, item, f"{path}[{position}]")
            for position, item in enumerate(operand)
        ]

    def literal(self, name: str, operator: str, value: object, path: str):
        if name == "current_job_id" and value is None:
            if operator in fields.ORDERING_OPERATORS:
                raise SpecError(
                    path,
                    f"current_job_id {operator} needs an integer; compare with null"
                    " only through eq, ne, in or not_in",
                )
            return None
        if name in fields.INTEGER_FIELDS:
            return fields.parse_integer(value, path, name)
        if name == "driver_version":
            return fields.parse_driver_version(value, path, operator)
        if name == "hardware_generation":
            return fields.parse_generation(value, path, self.catalog)
        if name == "status":
            return fields.parse_status(value, path)
        return fields.parse_last_seen_ns(value, path, self.now_ms)

    def compare(self, name: str, operator: str, values: list):
        if name == "status":
            return self.status(operator, set(values))
        if name == "last_seen":
            return last_seen_compare(operator, values)
        if operator in ("in", "not_in"):
            return Compare(name, operator, frozenset(values))
        return Compare(name, operator, values[0])

    def status(self, operator: str, statuses: set):
        """Rewrite a status condition as last_seen ranges (see nodes Liveness)."""
        if operator in ("ne", "not_in"):
            statuses = set(fields.STATUSES) - statuses
        alive_from = self.now_ms - self.stale_after_ms
        stale_from = self.now_ms - self.lost_after_ms
        ranges = {
            "alive": Compare("last_seen", "gte", alive_from),
            "stale": conjoin(
                [
                    Compare("last_seen", "lt", alive_from),
                    Compare("last_seen", "gte", stale_from),
                ]
            ),
            "lost": Compare("last_seen", "lt", stale_from),
        }
        return disjoin([ranges[name] for name in fields.STATUSES if name in statuses])


def last_seen_compare(operator: str, values_ns: list) -> Compare:
    """Convert a last_seen comparison in nanoseconds to an exact one in milliseconds.

    last_seen is stored in whole milliseconds, so ``gt 10.0005 s`` is ``gt 10000 ms``
    and ``eq`` with a time between two milliseconds matches no node.
    """
    ns = fields.NS_PER_MS
    exact = [value // ns for value in values_ns if value % ns == 0]
    value = values_ns[0]
    if operator in ("in", "not_in"):
        return Compare("last_seen", operator, frozenset(exact))
    if operator in ("eq", "ne"):
        if exact:
            return Compare("last_seen", operator, exact[0])
        return Compare("last_seen", "in" if operator == "eq" else "not_in", frozenset())
    if operator in ("lt", "gte"):
        return Compare("last_seen", operator, -(-value // ns))
    return Compare("last_seen", operator, value // ns)


def parse_sort(value: object) -> tuple[SortKey, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError(
            "sort",
            'sort must be a non-empty list of field names, such as ["-gpu_mem"];'
            " leave it out for pk order",
        )
    keys: list[SortKey] = []
    for position, item in enumerate(value):
        path = f"sort[{position}]"
        name = item[1:] if isinstance(item, str) and item.startswith("-") else item
        if name not in fields.SORT_FIELDS:
            raise SpecError(
                path,
                f"cannot sort by {item!r}; sort by {', '.join(fields.SORT_FIELDS)},"
                ' each optionally prefixed by "-" for descending order',
            )
        if any(key.field == name for key in keys):
            raise SpecError(path, f"sort names {name} twice; name each field once")
        keys.append(SortKey(name, item.startswith("-")))
    names = [key.field for key in keys]
    if "pk" in names:
        # pk is unique, so the fields after it never decide an order: they are dropped.
        keys = keys[: names.index("pk") + 1]
    else:
        keys.append(SortKey("pk"))
    return tuple(keys)


def parse_limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(
            "limit",
            f"limit must be an integer from 1 to {MAX_LIMIT}, got {value!r}",
        )
    if not 1 <= value <= MAX_LIMIT:
        raise SpecError(
            "limit", f"limit must be an integer from 1 to {MAX_LIMIT}, got {value}"
        )
    return value


def cursor_values(cursor: Cursor, sort: tuple[SortKey, ...]) -> dict:
    """Check the cursor's sort values against the sort and return them by field."""
    if len(cursor.values) != len(sort):
        raise SpecError("cursor", "the cursor does not match this sort")
    after = {}
    for key, value in zip(sort, cursor.values, strict=True):
        try:
            if key.field == "current_job_id" and value is None:
                after[key.field] = None
            elif key.field in fields.INTEGER_FIELDS or key.field == "last_seen":
                after[key.field] = fields.parse_integer(value, "cursor", key.field)
            else:
                after[key.field] = fields.parse_text(value, "cursor", key.field)
        except SpecError:
            raise SpecError(
                "cursor",
                "the cursor contains an invalid value; start again without a cursor",
            ) from None
    return after


def parse_spec(body: object, context, now_ms: int) -> Spec:
    """Validate a request body; ``context`` provides the catalog and liveness."""
    if not isinstance(body, dict):
        raise SpecError(
            "",
            "the body must be a JSON object with optional keys filter, sort, limit"
            f" and cursor, got {fields._type_name(body)}",
        )
    for key in body:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(
                key,
                f"unknown key {key!r}; the specification's keys are"
                f" {', '.join(TOP_LEVEL_KEYS)}",
            )
    cursor = decode_cursor(body["cursor"]) if "cursor" in body else None
    if cursor is not None:
        now_ms = cursor.now_ms
    parser = _Parser(context, now_ms)
    tree = parser.condition(body.get("filter", {}), "filter", 1)
    sort = parse_sort(body["sort"]) if "sort" in body else (SortKey("pk"),)
    limit = parse_limit(body["limit"]) if "limit" in body else None
    sort_names = [("-" if key.descending else "") + key.field for key in sort]
    digest = fingerprint(body.get("filter", {}), sort_names)
    after = None
    if cursor is not None:
        if cursor.fingerprint != digest:
            raise SpecError(
                "cursor",
                "the cursor belongs to a different filter or sort; send the same"
                " filter and sort as the first page, or leave cursor out",
            )
        after = cursor_values(cursor, sort)
    return Spec(tree, sort, limit, after, now_ms, digest)
