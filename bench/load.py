"""Write benchmark fleets straight into Redis, and into SQLite for the peer.

Loading 104,352 nodes through the HTTP API would take a minute or more of a
10-minute run, so the loader sends the registry's own create script (create.lua)
in pipelines of CHUNK calls: the same writes as POST /v1/nodes/create, without
HTTP. The run then reads loaded nodes back through the HTTP API to show that
the loader wrote what the service serves.
"""

import json
import sqlite3
from pathlib import Path

import redis

from nodes.keys import KeySpace
from nodes.store import CLIENT_FIELDS, SCRIPTS_DIR

CHUNK = 2000

# Columns of the peer's table; "index" is quoted in SQL because it is a keyword.
PEER_COLUMNS = (
    "pk",
    "index",
    "cpu_mem",
    "gpu_mem",
    "driver_version",
    "hardware_generation",
    "last_seen",
    "current_job_id",
)
PEER_INDEXED = (
    "cpu_mem",
    "gpu_mem",
    "last_seen",
    "current_job_id",
    "hardware_generation",
)


def _script(client: redis.Redis, name: str):
    return client.register_script((SCRIPTS_DIR / f"{name}.lua").read_text())


def create_nodes(
    client: redis.Redis, keys: KeySpace, nodes: list[dict], now_ms: int
) -> list[int]:
    """Create nodes with create.lua in pipelines and return their pks in order.

    The KEYS and ARGV follow the header of create.lua, as NodeStore.create sends
    them.
    """
    create = _script(client, "create")
    script_keys = [
        keys.pk_counter,
        keys.pk_index,
        keys.cpu_mem_index,
        keys.gpu_mem_index,
        keys.last_seen_index,
    ]
    pks = []
    for start in range(0, len(nodes), CHUNK):
        pipe = client.pipeline(transaction=False)
        for node in nodes[start : start + CHUNK]:
            args = [keys.node_stem, keys.generation_stem, now_ms]
            args += [node[name] for name in CLIENT_FIELDS]
            create(keys=script_keys, args=args, client=pipe)
        pks.extend(int(pk) for pk in pipe.execute())
    return pks


def refresh_last_seen(
    client: redis.Redis, keys: KeySpace, first_pk: int, last_pk: int, now_ms: int
) -> None:
    """Send one heartbeat (heartbeat.lua) for every pk from first_pk to last_pk.

    The fourth argument is empty, which selects the short reply in versions of the
    script that take four arguments, and versions that take three ignore it.
    """
    heartbeat = _script(client, "heartbeat")
    for start in range(first_pk, last_pk + 1, CHUNK):
        pipe = client.pipeline(transaction=False)
        for pk in range(start, min(start + CHUNK, last_pk + 1)):
            heartbeat(
                keys=[keys.node(pk), keys.last_seen_index, keys.job_index],
                args=[pk, now_ms, "", ""],
                client=pipe,
            )
        pipe.execute()


def build_peer_database(path: Path, fleets: dict[str, list[dict]], now_ms: int) -> None:
    """Write one SQLite table per fleet, pks from 1, with a B-tree index per column.

    Each table's rows are the nodes in the order the registry's pks were handed
    out, last_seen is now_ms and current_job_id is NULL, as after a fresh load.
    """
    path.unlink(missing_ok=True)
    columns = ", ".join(f'"{name}"' for name in PEER_COLUMNS)
    marks = ", ".join("?" for _ in PEER_COLUMNS)
    with sqlite3.connect(path) as database:
        for table, nodes in fleets.items():
            database.execute(
                f'CREATE TABLE {table} (pk INTEGER PRIMARY KEY, "index" INTEGER,'
                " cpu_mem INTEGER, gpu_mem INTEGER, driver_version TEXT,"
                " hardware_generation TEXT, last_seen INTEGER, current_job_id INTEGER)"
            )
            rows = (
                (
                    pk,
                    node["index"],
                    node["cpu_mem"],
                    node["gpu_mem"],
                    node["driver_version"],
                    node["hardware_generation"],
                    now_ms,
                    None,
                )
                for pk, node in enumerate(nodes, start=1)
            )
            database.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows
            )
            for column in PEER_INDEXED:
                database.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
        database.execute("ANALYZE")
    database.close()


def describe_memory(client: redis.Redis, keys: KeySpace, nodes: int) -> dict:
    """Return Redis memory in bytes per node, in total and per structure.

    A node hash's share is MEMORY USAGE of a sample of hashes (every 97th pk), scaled
    up. Each index's share is MEMORY USAGE of the whole sorted set.
    """
    info = client.info("memory")
    result = {
        "used_memory": info["used_memory"],
        "used_memory_dataset": info.get("used_memory_dataset"),
    }
    sample = list(range(1, nodes + 1, 97))
    pipe = client.pipeline(transaction=False)
    for pk in sample:
        pipe.memory_usage(keys.node(pk), samples=0)
    sampled = [usage or 0 for usage in pipe.execute()]
    parts = {"node hash": sum(sampled) / len(sampled)}
    for name, key in (
        ("pk index", keys.pk_index),
        ("cpu_mem index", keys.cpu_mem_index),
        ("gpu_mem index", keys.gpu_mem_index),
        ("last_seen index", keys.last_seen_index),
        ("current_job_id index", keys.job_index),
    ):
        parts[name] = (client.memory_usage(key, samples=0) or 0) / nodes
    generation_total = 0
    for key in client.scan_iter(match=keys.generation_stem + "*", count=100):
        generation_total += client.memory_usage(key, samples=0) or 0
    parts["generation indexes"] = generation_total / nodes
    result["per_node_parts"] = parts
    result["hash_encoding"] = client.object("encoding", keys.node(1))
    result["index_encoding"] = client.object("encoding", keys.last_seen_index)
    return result


def dump_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
