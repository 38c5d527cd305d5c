"""Load the Alibaba GPU trace's machines as nodes, for tests that need a real fleet.

The data folder comes from ALIBABA_TRACE_DIR, or ../shared/data/alibaba-gpu-v2023
relative to the repository root. The trace does not disclose the models G2 and G3
nor any driver version, so the caller passes them in as test inputs.
"""

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from nodes.hardware import HardwareCatalog, parse_extra_generations

GIB = 2**30
MIB = 2**20
CSV_NAME = "openb_node_list_all_node.csv"
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

# Public vendor data, as the data folder's README states it: generation, GPU bytes.
KNOWN_MODELS = {
    "P100": ("pascal", 16 * GIB),
    "T4": ("turing", 16 * GIB),
    "V100M16": ("volta", 16 * GIB),
    "V100M32": ("volta", 32 * GIB),
    "A10": ("ampere", 24 * GIB),
}


@dataclass(frozen=True)
class UndisclosedModels:
    """Test inputs for what the trace leaves out; these are not facts about G2/G3."""

    g2_generation: str
    g2_gpu_mem: int
    g3_generation: str
    g3_gpu_mem: int
    driver_version: str

    def catalog(self) -> HardwareCatalog:
        extra = [
            {"id": hw, "vendor": "other", "description": "test input"}
            for hw in (self.g2_generation, self.g3_generation)
        ]
        return HardwareCatalog(parse_extra_generations(json.dumps(extra)))


def data_dir() -> Path:
    default = REPOSITORY_ROOT.parent / "shared" / "data" / "alibaba-gpu-v2023"
    path = Path(os.environ.get("ALIBABA_TRACE_DIR") or default)
    if not (path / CSV_NAME).exists():
        pytest.fail(
            f"{path / CSV_NAME} is missing: set ALIBABA_TRACE_DIR to the folder"
            f" that holds {CSV_NAME} from the Alibaba cluster-trace-gpu-v2023",
            pytrace=False,
        )
    return path


def read_nodes(models: UndisclosedModels) -> list[tuple[str, dict]]:
    """Return (model, create fields) per node: one per GPU, one per CPU-only machine."""
    table = {
        **KNOWN_MODELS,
        "G2": (models.g2_generation, models.g2_gpu_mem),
        "G3": (models.g3_generation, models.g3_gpu_mem),
    }
    nodes = []
    with (data_dir() / CSV_NAME).open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            cpu_mem = int(row["memory_mib"]) * MIB
            gpus = int(row["gpu"])
            if gpus == 0:
                nodes.append(("", _fields(0, cpu_mem, 0, "cpu", models)))
                continue
            generation, gpu_mem = table[row["model"]]
            for index in range(gpus):
                fields = _fields(index, cpu_mem, gpu_mem, generation, models)
                nodes.append((row["model"], fields))
    return nodes


def _fields(index, cpu_mem, gpu_mem, generation, models) -> dict:
    return {
        "index": index,
        "cpu_mem": cpu_mem,
        "gpu_mem": gpu_mem,
        "driver_version": models.driver_version,
        "hardware_generation": generation,
    }
