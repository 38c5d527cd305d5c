"""Read a machine list (the Alibaba GPU cluster trace format) into node request bodies.

The file has one row per machine with the columns sn, memory_mib, gpu and model. A
machine with N GPUs becomes N nodes with GPU index 0..N-1; a CPU-only machine (gpu 0,
empty model) becomes one node with index 0 and hardware generation ``cpu``.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nodes.commands.csv_rows import parse_int, read_rows
from nodes.schemas import MAX_BYTES, MAX_INDEX

MIB = 2**20
GIB = 2**30
CPU_ONLY_GENERATION = "cpu"
REQUIRED_COLUMNS = ("sn", "memory_mib", "gpu", "model")


@dataclass(frozen=True)
class ModelSpec:
    """The node fields that a GPU model determines."""

    hardware_generation: str
    gpu_mem_bytes: int


# Public vendor data for the models that the trace names. The trace does not say
# whether its P100 has 12 or 16 GiB; 16 GiB is the common SXM2 part. The trace's G2
# and G3 are undisclosed internal codes, so their fields come from the caller.
KNOWN_MODELS = {
    "P100": ModelSpec("pascal", 16 * GIB),
    "T4": ModelSpec("turing", 16 * GIB),
    "V100M16": ModelSpec("volta", 16 * GIB),
    "V100M32": ModelSpec("volta", 32 * GIB),
    "A10": ModelSpec("ampere", 24 * GIB),
}


class FleetFileError(ValueError):
    """The machine list cannot be read, or has a model without a description."""


@dataclass(frozen=True)
class PlannedNode:
    """One node to create: the machine it belongs to and its request body."""

    machine: str
    model: str
    body: dict


def parse_model_option(text: str) -> tuple[str, ModelSpec]:
    """Parse ``MODEL=HARDWARE_ID:GPU_MEM_GIB``, such as ``G2=ampere:32``."""
    model, equals, rest = text.partition("=")
    generation, colon, gib_text = rest.partition(":")
    if not (equals and colon and model and generation):
        raise ValueError(
            f"--model {text!r} is invalid: write MODEL=HARDWARE_ID:GPU_MEM_GIB,"
            " such as G2=ampere:32"
        )
    try:
        gib = int(gib_text)
    except ValueError:
        raise ValueError(
            f"--model {text!r}: GPU memory {gib_text!r} must be a whole number of GiB"
        ) from None
    if gib <= 0:
        raise ValueError(f"--model {text!r}: GPU memory must be at least 1 GiB")
    return model, ModelSpec(generation, gib * GIB)


def _parse_count(line: int, column: str, text: str, minimum: int, maximum: int) -> int:
    return parse_int(line, column, text, minimum, maximum, FleetFileError)


def _read_rows(path: Path) -> list[tuple[int, dict]]:
    return read_rows(path, REQUIRED_COLUMNS, "machine list", FleetFileError)


def _check_models(rows: list[tuple[int, dict]], models: dict[str, ModelSpec]) -> None:
    gpus_by_model: Counter = Counter()
    for line, row in rows:
        gpus = _parse_count(line, "gpu", row["gpu"], 0, MAX_INDEX + 1)
        model = row["model"].strip()
        if gpus == 0 and model:
            raise FleetFileError(
                f"line {line}: model is {model!r} but gpu is 0; a CPU-only machine"
                " has an empty model"
            )
        if gpus > 0 and not model:
            raise FleetFileError(
                f"line {line}: gpu is {gpus} but the model is empty; name the GPU"
                " model of the machine"
            )
        if model not in models:
            gpus_by_model[model] += gpus
    gpus_by_model.pop("", None)
    if gpus_by_model:
        listed = ", ".join(f"{m} ({n} GPUs)" for m, n in sorted(gpus_by_model.items()))
        example = next(iter(sorted(gpus_by_model)))
        raise FleetFileError(
            f"the file has GPU models that no --model option describes: {listed};"
            f" add one option per model, such as --model {example}=HARDWARE_ID:GIB"
            " with the hardware ID and GPU memory in GiB of that model"
        )


def read_fleet(
    path: Path, models: dict[str, ModelSpec], driver_version: str
) -> list[PlannedNode]:
    """Return the nodes of every machine in the file, in file order.

    ``models`` maps each GPU model of the file to its node fields. Raises
    FleetFileError naming the line or the undescribed models; nothing is planned then.
    """
    rows = _read_rows(path)
    _check_models(rows, models)
    planned = []
    for line, row in rows:
        cpu_mem = _parse_count(
            line, "memory_mib", row["memory_mib"], 1, MAX_BYTES // MIB
        )
        cpu_mem *= MIB
        gpus = int(row["gpu"])
        model = row["model"].strip()
        machine = row["sn"]
        if gpus == 0:
            body = _body(0, cpu_mem, driver_version, CPU_ONLY_GENERATION, 0)
            planned.append(PlannedNode(machine, "", body))
            continue
        spec = models[model]
        for index in range(gpus):
            body = _body(
                index,
                cpu_mem,
                driver_version,
                spec.hardware_generation,
                spec.gpu_mem_bytes,
            )
            planned.append(PlannedNode(machine, model, body))
    return planned


def _body(
    index: int, cpu_mem: int, driver_version: str, generation: str, gpu_mem: int
) -> dict:
    return {
        "index": index,
        "cpu_mem": cpu_mem,
        "driver_version": driver_version,
        "hardware_generation": generation,
        "gpu_mem": gpu_mem,
    }
