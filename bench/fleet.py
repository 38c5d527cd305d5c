"""The benchmark fleets: the Alibaba GPU trace's nodes, and copies of them.

The trace's nodes are read with the fleet import's reader (one node per GPU, one
per CPU-only machine). The trace does not disclose the models G2 and G3 nor any
driver version, so those are parameters of the run (FleetParameters), printed with
the results.

A larger fleet adds copies of the trace under another hardware generation, with
``copy`` bytes more GPU memory in copy number ``copy``. An exact-match query on
the trace's values (Volta with 32 GiB, say) then returns the same nodes at every
size. CPU-only nodes are copied unchanged, because the CPU-only rule fixes their
generation and GPU memory.
"""

from dataclasses import dataclass
from pathlib import Path

from nodes.commands.fleet_csv import (
    CPU_ONLY_GENERATION,
    GIB,
    KNOWN_MODELS,
    ModelSpec,
    read_fleet,
)

__all__ = ["GIB", "FleetParameters", "copy_of", "read_trace"]

CSV_NAME = "openb_node_list_all_node.csv"


@dataclass(frozen=True)
class FleetParameters:
    """Node fields that the trace does not disclose, chosen by the benchmark's user."""

    g2_generation: str
    g2_gpu_mem_bytes: int
    g3_generation: str
    g3_gpu_mem_bytes: int
    driver_version: str
    copy_generation: str

    def models(self) -> dict[str, ModelSpec]:
        return {
            **KNOWN_MODELS,
            "G2": ModelSpec(self.g2_generation, self.g2_gpu_mem_bytes),
            "G3": ModelSpec(self.g3_generation, self.g3_gpu_mem_bytes),
        }


def read_trace(data_dir: Path, parameters: FleetParameters) -> list[dict]:
    """Return the trace's nodes as create fields, in machine order, GPUs in order."""
    path = data_dir / CSV_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; pass --data-dir with the folder that contains"
            f" {CSV_NAME} from the Alibaba cluster-trace-gpu-v2023"
        )
    planned = read_fleet(path, parameters.models(), parameters.driver_version)
    return [node.body for node in planned]


def copy_of(trace: list[dict], copy: int, parameters: FleetParameters) -> list[dict]:
    """Return copy number ``copy`` (1, 2, ...) of the trace's nodes."""
    nodes = []
    for node in trace:
        if node["hardware_generation"] == CPU_ONLY_GENERATION:
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
