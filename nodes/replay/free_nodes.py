"""GPU models of the Alibaba GPU cluster trace, as node fields and filters.

The mapping matches the fleet import (nodes-import): public vendor data for the
models the trace names, and the caller's --model options for the undisclosed codes G2
and G3.
"""

from dataclasses import dataclass

GIB = 2**30
CPU_ONLY_GENERATION = "cpu"


@dataclass(frozen=True)
class ModelSpec:
    """The node fields that a GPU model determines."""

    hardware_generation: str
    gpu_mem_bytes: int


# The trace does not say whether its P100 has 12 or 16 GiB; 16 GiB is the common
# SXM2 part.
# NOTE: the same table is in the fleet import's nodes.commands.fleet_csv; keep the
# two equal (or import one from the other) when both are on one branch.
KNOWN_MODELS = {
    "P100": ModelSpec("pascal", 16 * GIB),
    "T4": ModelSpec("turing", 16 * GIB),
    "V100M16": ModelSpec("volta", 16 * GIB),
    "V100M32": ModelSpec("volta", 32 * GIB),
    "A10": ModelSpec("ampere", 24 * GIB),
}


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


def free_nodes_filter(
    gpu_spec: tuple[str, ...], num_gpu: int, models: dict[str, ModelSpec]
) -> dict:
    """Return the filter condition of idle nodes that can run a job.

    A job without GPUs runs on an idle CPU-only node. A job with GPUs runs on idle
    GPU nodes of one of the models in gpu_spec, or of any model the caller described
    when gpu_spec is empty.
    """
    idle = {"current_job_id": None}
    if num_gpu == 0:
        return {"hardware_generation": CPU_ONLY_GENERATION, **idle}
    if not gpu_spec:
        generations = sorted({spec.hardware_generation for spec in models.values()})
        return {"hardware_generation": {"in": generations}, **idle}
    pairs = sorted(
        {(models[m].hardware_generation, models[m].gpu_mem_bytes) for m in gpu_spec}
    )
    choices = [{"hardware_generation": g, "gpu_mem": mem} for g, mem in pairs]
    if len(choices) == 1:
        return {**choices[0], **idle}
    return {"or": choices, **idle}
