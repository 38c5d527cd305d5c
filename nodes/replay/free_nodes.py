"""Filters that find idle nodes for a job of the Alibaba GPU cluster trace.

The GPU models map to node fields as in the fleet import (nodes-import), from
nodes.commands.fleet_csv: public vendor data for the models that the trace names, and
the caller's --model options for the undisclosed codes G2 and G3.
"""

from nodes.commands.fleet_csv import CPU_ONLY_GENERATION, ModelSpec


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
