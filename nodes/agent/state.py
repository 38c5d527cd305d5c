"""The agent's state file: the pk of each GPU index, kept across restarts."""

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def load_pks(path: Path) -> dict[int, int]:
    """Return {GPU index: pk} from the state file; empty when it is missing or bad."""
    try:
        data = json.loads(path.read_text())
        return {int(index): int(pk) for index, pk in data["pks"].items()}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable state file %s (%s)", path, exc)
        return {}


def save_pks(path: Path, pks: dict[int, int]) -> None:
    """Write the state file atomically, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        json.dumps({"pks": {str(index): pk for index, pk in sorted(pks.items())}})
    )
    os.replace(temporary, path)
