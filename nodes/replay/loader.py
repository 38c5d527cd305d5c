"""Load a machine list (openb_node_list_all_node.csv) through POST /v1/nodes/create.

For a replay against an empty registry. nodes-import does the same with progress
output and more checks; this loader keeps the replay usable on its own.
"""

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nodes.replay.http import ReplayClient
from nodes.replay.models import CPU_ONLY_GENERATION, ModelSpec
from nodes.replay.trace import TraceError

MIB = 2**20


def node_bodies(
    path: Path, models: dict[str, ModelSpec], driver_version: str
) -> list[dict]:
    """Return one create body per GPU and per CPU-only machine, in file order."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(enumerate(csv.DictReader(file), start=2))
    except OSError as exc:
        raise TraceError(f"cannot read {path}: {exc.strerror}") from None
    bodies = []
    for line, row in rows:
        try:
            cpu_mem = int(row["memory_mib"]) * MIB
            gpus = int(row["gpu"])
            model = row["model"].strip()
        except (KeyError, TypeError, ValueError) as exc:
            raise TraceError(
                f"{path} line {line}: expected the columns memory_mib, gpu and model"
                f" with integer counts ({exc})"
            ) from None
        if gpus == 0:
            bodies.append(_body(0, cpu_mem, driver_version, CPU_ONLY_GENERATION, 0))
            continue
        if model not in models:
            raise TraceError(
                f"{path} line {line}: GPU model {model!r} is not described; pass"
                f" --model {model}=HARDWARE_ID:GPU_MEM_GIB"
            )
        spec = models[model]
        for index in range(gpus):
            bodies.append(
                _body(
                    index,
                    cpu_mem,
                    driver_version,
                    spec.hardware_generation,
                    spec.gpu_mem_bytes,
                )
            )
    return bodies


def _body(index, cpu_mem, driver_version, generation, gpu_mem) -> dict:
    return {
        "index": index,
        "cpu_mem": cpu_mem,
        "driver_version": driver_version,
        "hardware_generation": generation,
        "gpu_mem": gpu_mem,
    }


def load_nodes(client: ReplayClient, bodies: list[dict], workers: int = 8) -> int:
    """Create the nodes from a small thread pool; return how many were created."""

    def create(body: dict) -> bool:
        response = client.call("create", "POST", "/v1/nodes/create", body, 201)
        return response is not None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(create, bodies))
