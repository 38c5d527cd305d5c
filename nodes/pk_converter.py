"""The URL converter of a node pk: ASCII digits, no leading zero, 1 to 2**53 - 1.

werkzeug's int converter matches with ``\\d``, which also takes digits of other
scripts such as "١" (ARABIC-INDIC DIGIT ONE), and accepts leading zeros, so several
paths named one node. This converter gives each pk exactly one path.
"""

from werkzeug.routing import BaseConverter, ValidationError

# Redis stores a score as a double, which represents integers exactly up to 2**53.
MAX_PK = 2**53 - 1


class PkConverter(BaseConverter):
    """Match a pk written as 1 to 16 ASCII digits without a leading zero."""

    regex = r"[1-9][0-9]{0,15}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        pk = int(value)
        if pk > MAX_PK:
            # The route does not match, so the request gets the JSON 404.
            raise ValidationError()
        return pk

    def to_url(self, value: int) -> str:
        return str(int(value))


def pk_parameter_schema(converter: PkConverter) -> dict:
    """Return the OpenAPI schema of a pk path parameter."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_PK}
