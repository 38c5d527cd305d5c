"""NodeStore: node reads and writes on Redis.

Each write is one Lua script from scripts/, so a node's hash and its index entries
change together. fetch_many reads a chunk of hashes with one call of fetch.lua.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import redis

from nodes.errors import CpuOnlyRuleError, DamagedNodeError, StoreCorruptError
from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace

log = logging.getLogger(__name__)

SCRIPTS_DIR = Path(__file__).parent / "scripts"

# The hash fields that the scripts and fetch_many return, in this order.
NODE_FIELDS = (
    "index",
    "cpu_mem",
    "gpu_mem",
    "driver_version",
    "hardware_generation",
    "last_seen",
    "current_job_id",
)
CLIENT_FIELDS = NODE_FIELDS[:5]

# Hashes fetched per call of fetch.lua. One call blocks Redis for the whole chunk.
FETCH_CHUNK = 1000

# Sentinel for "current_job_id not given", as distinct from None (set it to null).
UNCHANGED = object()


def _job_argument(current_job_id: object) -> str:
    if current_job_id is UNCHANGED:
        return ""
    if current_job_id is None:
        return "null"
    return str(current_job_id)


def decode_node(pk: int, values: list) -> dict | None:
    """Build a node dict from HMGET values in NODE_FIELDS order, None if deleted.

    Raises DamagedNodeError when the hash lacks a field or has a non-integer value.
    """
    index, cpu_mem, gpu_mem, driver, generation, last_seen, job = values
    if generation is None or driver is None:
        if all(value is None for value in values):
            return None
        raise DamagedNodeError(pk, dict(zip(NODE_FIELDS, values, strict=True)))
    try:
        return {
            "pk": pk,
            "index": int(index),
            "cpu_mem": int(cpu_mem),
            "gpu_mem": int(gpu_mem),
            "driver_version": driver,
            "hardware_generation": generation,
            "last_seen": int(last_seen),
            "current_job_id": None if job is None else int(job),
        }
    except (TypeError, ValueError):
        raise DamagedNodeError(
            pk, dict(zip(NODE_FIELDS, values, strict=True))
        ) from None


def decode_line(pk: int, line: str) -> dict | None:
    """Build a node dict from one line of fetch.lua's reply, None if deleted."""
    if not line:
        return None
    fields = line.split("\t")
    index, cpu_mem, gpu_mem, driver, generation, last_seen, job = fields
    try:
        if not driver or not generation:
            raise ValueError("a text field is missing")
        return {
            "pk": pk,
            "index": int(index),
            "cpu_mem": int(cpu_mem),
            "gpu_mem": int(gpu_mem),
            "driver_version": driver,
            "hardware_generation": generation,
            "last_seen": int(last_seen),
            "current_job_id": int(job) if job else None,
        }
    except ValueError:
        # fetch.lua sends "" for a missing field; decode_node names the damage.
        return decode_node(pk, [value or None for value in fields])


class NodeStore:
    """The only code that reads or writes nodes in Redis.

    ``client`` must decode responses to str. ``clock`` returns seconds since the Unix
    epoch; last_seen is kept as integer milliseconds.
    """

    def __init__(
        self,
        client: redis.Redis,
        keys: KeySpace,
        catalog: HardwareCatalog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.keys = keys
        self.catalog = catalog
        self.clock = clock
        self._cpu_only_argument = "," + ",".join(sorted(catalog.cpu_only_ids)) + ","
        self._scripts = {
            name: client.register_script((SCRIPTS_DIR / f"{name}.lua").read_text())
            for name in ("create", "replace", "patch", "heartbeat", "delete", "fetch")
        }

    def now_ms(self) -> int:
        # round() because int() truncates float error: 1.001 * 1000 is
        # 1000.9999999999999 as a binary float.
        return round(self.clock() * 1000)

    # Writes

    def create(self, fields: dict) -> dict:
        """Create a node from the five client fields and return it."""
        keys = self.keys
        now_ms = self.now_ms()
        try:
            pk = self._scripts["create"](
                keys=[
                    keys.pk_counter,
                    keys.pk_index,
                    keys.cpu_mem_index,
                    keys.gpu_mem_index,
                    keys.last_seen_index,
                ],
                args=[keys.node_stem, keys.generation_stem, now_ms]
                + [fields[name] for name in CLIENT_FIELDS],
            )
        except redis.ResponseError as exc:
            if str(exc).startswith("PKCOUNTER"):
                log.error(
                    "pk counter %s is behind the stored nodes: %s", keys.pk_counter, exc
                )
                raise StoreCorruptError(str(exc)) from exc
            raise
        node = {"pk": int(pk), **fields, "last_seen": now_ms, "current_job_id": None}
        log.debug("created node %s", pk)
        return node

    def replace(self, pk: int, fields: dict) -> dict | None:
        """Replace the five client fields of node pk; None if it does not exist."""
        keys = self.keys
        values = self._scripts["replace"](
            keys=[
                keys.node(pk),
                keys.cpu_mem_index,
                keys.gpu_mem_index,
                keys.last_seen_index,
            ],
            args=[keys.generation_stem, pk, self.now_ms()]
            + [fields[name] for name in CLIENT_FIELDS],
        )
        return None if values is None else decode_node(pk, values)

    def patch(
        self, pk: int, fields: dict, current_job_id: object = UNCHANGED
    ) -> dict | None:
        """Change some client fields and optionally current_job_id of node pk.

        Returns the node, or None if it does not exist. Raises CpuOnlyRuleError when
        the merged node would break the CPU-only rule; nothing is written then.
        """
        keys = self.keys
        args = [
            keys.generation_stem,
            pk,
            self.now_ms(),
            self._cpu_only_argument,
            _job_argument(current_job_id),
        ]
        for name in CLIENT_FIELDS:
            if name in fields:
                args += [name, fields[name]]
        try:
            values = self._scripts["patch"](
                keys=[
                    keys.node(pk),
                    keys.cpu_mem_index,
                    keys.gpu_mem_index,
                    keys.last_seen_index,
                    keys.job_index,
                ],
                args=args,
            )
        except redis.ResponseError as exc:
            if str(exc).startswith("CPUONLY"):
                raise CpuOnlyRuleError(str(exc).removeprefix("CPUONLY ")) from exc
            raise
        return None if values is None else decode_node(pk, values)

    def heartbeat(self, pk: int, current_job_id: object = UNCHANGED) -> bool:
        """Refresh last_seen (and current_job_id if given); False if pk is unknown."""
        return self._heartbeat(pk, current_job_id, "") == 1

    def heartbeat_returning_node(
        self, pk: int, current_job_id: object = UNCHANGED
    ) -> dict | None:
        """Write a heartbeat like heartbeat() and return the node, None if unknown.

        PATCH with no client field uses this: the same small write, one round trip.
        """
        values = self._heartbeat(pk, current_job_id, "fields")
        return None if values is None else decode_node(pk, values)

    def _heartbeat(self, pk: int, current_job_id: object, reply: str):
        keys = self.keys
        return self._scripts["heartbeat"](
            keys=[keys.node(pk), keys.last_seen_index, keys.job_index],
            args=[pk, self.now_ms(), _job_argument(current_job_id), reply],
        )

    def delete(self, pk: int) -> bool:
        """Delete node pk and its index entries; False if it does not exist."""
        keys = self.keys
        found = self._scripts["delete"](
            keys=[keys.node(pk), *keys.index_keys()],
            args=[keys.generation_stem, pk],
        )
        if found:
            log.info("deleted node %s", pk)
        return found == 1

    def delete_unseen(self, pks: list[int], before_ms: int) -> int:
        """Delete the given nodes whose last_seen is below before_ms; return how many.

        One pipelined round trip; a node that sent a heartbeat since the caller
        chose it, or that no longer exists, is left alone.
        """
        keys = self.keys
        pipe = self.client.pipeline(transaction=False)
        for pk in pks:
            self._scripts["delete"](
                keys=[keys.node(pk), *keys.index_keys()],
                args=[keys.generation_stem, pk, before_ms],
                client=pipe,
            )
        return sum(1 for found in pipe.execute() if found == 1)

    def pks_seen_before(self, before_ms: int, limit: int) -> list[int]:
        """Return up to limit pks whose last_seen is below before_ms, oldest first."""
        members = self.client.zrangebyscore(
            self.keys.last_seen_index, "-inf", f"({before_ms}", start=0, num=limit
        )
        return [int(member) for member in members]

    def count_seen_before(self, before_ms: int) -> int:
        """Return how many nodes have a last_seen below before_ms."""
        return self.client.zcount(self.keys.last_seen_index, "-inf", f"({before_ms}")

    # Reads

    def get(self, pk: int) -> dict | None:
        return decode_node(pk, self.client.hmget(self.keys.node(pk), NODE_FIELDS))

    def fetch_many(self, pks: Iterable[int]) -> list[dict]:
        """Fetch nodes in the given order, one round trip per FETCH_CHUNK pks.

        Nodes deleted since their pks were read, and damaged nodes, are left out.
        """
        pks = list(pks)
        keys = self.keys
        fetch = self._scripts["fetch"]
        nodes = []
        for start in range(0, len(pks), FETCH_CHUNK):
            chunk = pks[start : start + FETCH_CHUNK]
            reply = fetch(
                keys=[keys.pk_index], args=[keys.node_stem, ",".join(map(str, chunk))]
            )
            for pk, line in zip(chunk, reply.split("\n"), strict=True):
                try:
                    node = decode_line(pk, line)
                except DamagedNodeError as exc:
                    # NOTE: a damaged node is left out of every list, so one bad hash
                    # does not fail them all; GET of its pk returns the 500.
                    log.error("%s; left out of the list", exc)
                    continue
                if node is not None:
                    nodes.append(node)
        return nodes

    def iter_pks(self, chunk_size: int = FETCH_CHUNK) -> Iterator[list[int]]:
        """Yield all pks in ascending order, chunk by chunk, by keyset on the pk index.

        Each chunk reads at most chunk_size pks, so memory stays bounded on any fleet.
        """
        after = "-inf"
        while True:
            members = self.client.zrangebyscore(
                self.keys.pk_index, after, "+inf", start=0, num=chunk_size
            )
            if not members:
                return
            chunk = [int(member) for member in members]
            yield chunk
            if len(chunk) < chunk_size:
                return
            after = f"({chunk[-1]}"

    def count(self) -> int:
        return self.client.zcard(self.keys.pk_index)
