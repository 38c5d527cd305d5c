"""Parse and validate a filter specification (placeholder: only the empty spec)."""

from dataclasses import dataclass

from filtering.errors import SpecError


@dataclass(frozen=True)
class Spec:
    pass


def parse_spec(body, context) -> Spec:
    if not isinstance(body, dict):
        raise SpecError(
            "", f"the body must be a JSON object, got {type(body).__name__}"
        )
    for key in body:
        raise SpecError(key, "not supported yet")
    return Spec()
