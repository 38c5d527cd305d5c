"""Exceptions that the store raises and the views turn into HTTP errors."""


class RegistryError(Exception):
    """Base class of the registry's own errors."""


class CpuOnlyRuleError(RegistryError):
    """A write would give a CPU-only hardware generation a GPU index or GPU memory."""


class StoreCorruptError(RegistryError):
    """Redis contains data the registry did not write, e.g. a pk counter too low."""


# Hash fields that hold an integer, and those that every node hash has.
INTEGER_HASH_FIELDS = ("index", "cpu_mem", "gpu_mem", "last_seen", "current_job_id")
REQUIRED_HASH_FIELDS = (
    "index",
    "cpu_mem",
    "gpu_mem",
    "driver_version",
    "hardware_generation",
    "last_seen",
)


class DamagedNodeError(StoreCorruptError):
    """A node hash lacks a required field or has a non-integer where one belongs."""

    def __init__(self, pk: int, record: dict) -> None:
        self.pk = pk
        missing = [name for name in REQUIRED_HASH_FIELDS if record.get(name) is None]
        invalid = [
            f"{name} {record[name]!r:.40} is not an integer"
            for name in INTEGER_HASH_FIELDS
            if record.get(name) is not None and not _is_integer(record[name])
        ]
        problems = invalid + ([f"missing {', '.join(missing)}"] if missing else [])
        super().__init__(
            f"node {pk} is damaged in Redis ({'; '.join(problems)}); run nodes-check"
            " to list damaged nodes, then restore the node's fields from a backup or"
            " delete it"
        )


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
