"""The OpenAPI description of a filter specification (docs/filtering.md)."""

from filtering.fields import FIELDS, OPERATORS, SORT_FIELDS
from filtering.spec import MAX_LIMIT

FILTER_SPEC_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "A filter specification; docs/filtering.md is the full contract. No body or"
        " {} lists every node in pk order."
    ),
    "properties": {
        "filter": {
            "type": "object",
            "description": (
                "A condition: keys are node fields ("
                + ", ".join(FIELDS)
                + ") or the combinators and, or (non-empty lists of conditions) and"
                " not (one condition), all ANDed. A field maps to a literal"
                " (equality) or to an object of operators ("
                + ", ".join(OPERATORS)
                + ")."
            ),
            "example": {
                "current_job_id": None,
                "gpu_mem": {"gte": 85899345920},
                "last_seen": {"gte": "-1m"},
            },
        },
        "sort": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "string",
                "enum": [*SORT_FIELDS, *("-" + field for field in SORT_FIELDS)],
            },
            "description": "Fields to sort by, '-' for descending; pk breaks ties.",
            "example": ["-gpu_mem"],
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "description": "Nodes per page; without it every match is returned.",
        },
        "cursor": {
            "type": "string",
            "maxLength": 1024,
            "description": "The Next-Cursor header of the previous page.",
        },
    },
}

NEXT_CURSOR_HEADER_SCHEMA = {
    "description": (
        "Present when more nodes match: send it as the body's cursor, with the same"
        " filter and sort, to get the next page."
    ),
    "schema": {"type": "string"},
}
