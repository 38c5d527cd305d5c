"""Redis key names of one registry: the only module that formats a key.

Every key carries the hash tag ``{prefix}``, so all keys of one registry hash to the
same Redis Cluster slot and one Lua script may touch any of them. Two registries with
different prefixes share a Redis without seeing each other's keys.
"""

import re

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# Sorted-set indexes with member = pk and score = the field's value. A node whose
# current_job_id is null has no entry in the job index.
INDEXED_FIELDS = ("cpu_mem", "gpu_mem", "last_seen", "current_job_id")


class KeySpace:
    """Key names of one registry, built from its prefix."""

    def __init__(self, prefix: str) -> None:
        if not PREFIX_PATTERN.match(prefix):
            raise ValueError(
                f"key prefix {prefix!r} is invalid: use 1 to 64 letters, digits or"
                " the characters _ . : -"
            )
        self.prefix = prefix
        self.tag = "{" + prefix + "}"
        # Scripts append a pk or a hardware ID to these two stems, because the key of
        # a node created by INCR is not known before the script runs.
        self.node_stem = f"{self.tag}:node:"
        self.generation_stem = f"{self.tag}:idx:generation:"
        self.pk_counter = f"{self.tag}:pk-counter"
        self.pk_index = f"{self.tag}:idx:pk"
        self.cpu_mem_index = f"{self.tag}:idx:cpu_mem"
        self.gpu_mem_index = f"{self.tag}:idx:gpu_mem"
        self.last_seen_index = f"{self.tag}:idx:last_seen"
        self.job_index = f"{self.tag}:idx:current_job_id"

    def node(self, pk: int) -> str:
        return f"{self.node_stem}{pk}"

    def generation_index(self, hardware_id: str) -> str:
        return f"{self.generation_stem}{hardware_id}"

    def field_index(self, field: str) -> str:
        """Return the sorted-set index of a numeric field."""
        return {
            "pk": self.pk_index,
            "cpu_mem": self.cpu_mem_index,
            "gpu_mem": self.gpu_mem_index,
            "last_seen": self.last_seen_index,
            "current_job_id": self.job_index,
        }[field]

    def index_keys(self) -> list[str]:
        """Return the fixed index keys in the order the write scripts expect them."""
        return [
            self.pk_index,
            self.cpu_mem_index,
            self.gpu_mem_index,
            self.last_seen_index,
            self.job_index,
        ]
