"""Load the Alibaba GPU trace's machines as nodes, for tests that need a real fleet.

The machine list is read with the fleet import's reader (nodes.commands.fleet_csv).
The trace does not disclose the models G2 and G3 nor any driver version, so the
caller passes them in as test inputs.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from nodes.commands.fleet_csv import KNOWN_MODELS, ModelSpec, read_fleet
from nodes.hardware import HardwareCatalog, parse_extra_generations

CSV_NAME = "openb_node_list_all_node.csv"


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


def read_nodes(trace_dir: Path, models: UndisclosedModels) -> list[tuple[str, dict]]:
    """Return (model, create fields) per node: one per GPU, one per CPU-only machine."""
    specs = {
        **KNOWN_MODELS,
        "G2": ModelSpec(models.g2_generation, models.g2_gpu_mem),
        "G3": ModelSpec(models.g3_generation, models.g3_gpu_mem),
    }
    planned = read_fleet(trace_dir / CSV_NAME, specs, models.driver_version)
    return [(node.model, node.body) for node in planned]
