"""The benchmark fleets: the Alibaba GPU trace's nodes, and copies of them.

The trace lists machines; each GPU is one node and a CPU-only machine is one node.
The trace does not disclose the models G2 and G3 nor any driver version, so those
are parameters of the run (FleetParameters), printed with the results.

A larger fleet adds copies of the trace under another hardware generation, with
``copy`` bytes more GPU memory in copy number ``copy``. An exact-match query on
the trace's values (Volta with 32 GiB, say) then returns the same nodes at every
size. CPU-only nodes are copied unchanged, because the CPU-only rule fixes their
generation and GPU memory.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

GIB = 1 << 30
MIB = 1 << 20

CSV_NAME = "openb_node_list_all_node.csv"

# Public vendor data for the disclosed models: (hardware generation, GPU bytes).
KNOWN_MODELS = {
    "P100": ("pascal", 16 * GIB),
    "T4": ("turing", 16 * GIB),
    "V100M16": ("volta", 16 * GIB),
    "V100M32": ("volta", 32 * GIB),
    "A10": ("ampere", 24 * GIB),
}


@dataclass(frozen=True)
class FleetParameters:
    """Node fields that the trace does not disclose, chosen by the benchmark's user."""

    g2_generation: str
    g2_gpu_mem_bytes: int
    g3_generation: str
    g3_gpu_mem_bytes: int
    driver_version: str
    copy_generation: str

    def models(self) -> dict[str, tuple[str, int]]:
        return {
            **KNOWN_MODELS,
            "G2": (self.g2_generation, self.g2_gpu_mem_bytes),
            "G3": (self.g3_generation, self.g3_gpu_mem_bytes),
        }


def read_trace(data_dir: Path, parameters: FleetParameters) -> list[dict]:
    """Return the trace's nodes as create fields, in machine order, GPUs in order."""
    path = data_dir / CSV_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; pass --data-dir with the folder that contains"
            f" {CSV_NAME} from the Alibaba cluster-trace-gpu-v2023"
        )
    models = parameters.models()
    nodes = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            cpu_mem = int(row["memory_mib"]) * MIB
            gpus = int(row["gpu"])
            if gpus == 0:
                nodes.append(_fields(0, cpu_mem, 0, "cpu", parameters))
                continue
            model = row["model"]
            if model not in models:
                raise ValueError(
                    f"{path}: machine {row['sn']} has GPU model {model!r}, which has"
                    f" no generation and memory; known models: {sorted(models)}"
                )
            generation, gpu_mem = models[model]
            for index in range(gpus):
                nodes.append(_fields(index, cpu_mem, gpu_mem, generation, parameters))
    return nodes


def _fields(index, cpu_mem, gpu_mem, generation, parameters) -> dict:
    return {
        "index": index,
        "cpu_mem": cpu_mem,
        "gpu_mem": gpu_mem,
        "driver_version": parameters.driver_version,
        "hardware_generation": generation,
    }


def copy_of(trace: list[dict], copy: int, parameters: FleetParameters) -> list[dict]:
    """Return copy number ``copy`` (1, 2, ...) of the trace's nodes."""
    nodes = []
    for node in trace:
        if node["hardware_generation"] == "cpu":
            nodes.append(dict(node))
            continue
        nodes.append(
            {
                **node,
                "hardware_generation": parameters.copy_generation,
                "gpu_mem": node["gpu_mem"] + copy,
            }
        )
    return nodes
