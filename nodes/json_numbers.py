"""The value that replaces a JSON number too long to parse.

Python's int() takes time quadratic in the number of digits, so the body parser reads
no number longer than MAX_NUMBER_DIGITS digits. It puts an OverlongNumber in its
place, which no field accepts: the field that receives it rejects the request with a
422 that names the field, as it would any other value of the wrong type.
"""

# A longer integer cannot be a valid value of any field: the largest is 2**53 - 1,
# 16 digits.
MAX_NUMBER_DIGITS = 40
# A float is never a valid value, so this only bounds the text that float() reads.
MAX_FLOAT_CHARACTERS = 50


class OverlongNumber:
    """A JSON number longer than the parser reads; ``length`` counts its characters."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return (
            f"a number of {self.length} characters (longer than the"
            f" {MAX_NUMBER_DIGITS} digits that are read)"
        )

    __str__ = __repr__
