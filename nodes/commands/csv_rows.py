"""Reading the CSV files of the Alibaba GPU cluster trace: rows and integer cells.

The machine list (nodes-import) and the pod list (nodes-replay) share this code, and
each passes its own exception class, a ValueError, for the errors.
"""

import csv
from pathlib import Path


def read_rows(
    path: Path,
    required_columns: tuple[str, ...],
    kind: str,
    error: type[ValueError],
) -> list[tuple[int, dict]]:
    """Return (line number, row) pairs; the header is line 1.

    ``kind`` names the file in messages, such as "pod list". Raises ``error`` when
    the file cannot be read, is not CSV or lacks one of ``required_columns``.
    """
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            present = reader.fieldnames or ()
            missing = [c for c in required_columns if c not in present]
            if missing:
                raise error(
                    f"{path} lacks the columns {missing}; a {kind} has the columns"
                    f" {', '.join(required_columns)}"
                )
            return list(enumerate(reader, start=2))
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise error(f"{path} is not a CSV {kind}: {exc}") from None


def parse_int(
    line: int,
    column: str,
    text: str,
    minimum: int,
    maximum: int,
    error: type[ValueError],
) -> int:
    """Parse the integer of a cell; raises ``error`` naming the line and column."""
    try:
        value = int(text)
    except ValueError:
        raise error(f"line {line}: {column} must be an integer, got {text!r}") from None
    if not minimum <= value <= maximum:
        raise error(
            f"line {line}: {column} must be from {minimum} to {maximum}, got {value}"
        )
    return value
