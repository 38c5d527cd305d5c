"""Machine detection: one node per NVIDIA GPU through NVML, or one CPU-only node.

NVML is reached through the ``pynvml`` module of nvidia-ml-py (the package's ``agent``
extra), always through its module attributes, so tests can replace those functions
with fake devices.
"""

import logging
import os
import platform

from nodes.hardware import HardwareCatalog

log = logging.getLogger(__name__)

CPU_ONLY_ID = "cpu"


class DetectionError(RuntimeError):
    """The machine cannot be described with the catalog; see the message."""


def cpu_mem_bytes() -> int:
    """Return the machine's physical memory in bytes, from the OS."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _text(value: str | bytes) -> str:
    # nvidia-ml-py before 11.515 returned bytes.
    return value.decode() if isinstance(value, bytes) else value


def _generation(
    catalog: HardwareCatalog, index: int, capability: tuple[int, int]
) -> str:
    generation = catalog.for_compute_capability(*capability)
    if generation is None:
        major, minor = capability
        raise DetectionError(
            f"GPU {index} has CUDA compute capability {major}.{minor}, which the"
            " hardware catalog does not map to a generation; pass"
            " --hardware-generation with an ID from GET /v1/hardware"
        )
    return generation.id


def _gpu_nodes(
    pynvml, catalog: HardwareCatalog, cpu_mem: int, generation_override: str | None
) -> list[dict]:
    driver_version = _text(pynvml.nvmlSystemGetDriverVersion())
    nodes = []
    for index in range(pynvml.nvmlDeviceGetCount()):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        capability = tuple(pynvml.nvmlDeviceGetCudaComputeCapability(handle))
        nodes.append(
            {
                "index": index,
                "cpu_mem": cpu_mem,
                "driver_version": driver_version,
                "hardware_generation": generation_override
                or _generation(catalog, index, capability),
                "gpu_mem": int(pynvml.nvmlDeviceGetMemoryInfo(handle).total),
            }
        )
        log.info(
            "GPU %d: compute capability %d.%d, %d bytes, generation %s",
            index,
            capability[0],
            capability[1],
            nodes[-1]["gpu_mem"],
            nodes[-1]["hardware_generation"],
        )
    return nodes


def cpu_only_node(cpu_mem: int) -> dict:
    """Return the node of a machine without GPUs.

    A CPU-only machine has no GPU driver, so driver_version carries the OS kernel
    release (such as 6.1.0-18-amd64), which identifies its software level.
    """
    return {
        "index": 0,
        "cpu_mem": cpu_mem,
        "driver_version": platform.release()[:64] or "unknown",
        "hardware_generation": CPU_ONLY_ID,
        "gpu_mem": 0,
    }


def detect_nodes(
    catalog: HardwareCatalog, generation_override: str | None = None
) -> list[dict]:
    """Return the node fields of this machine: one per GPU, or one CPU-only node.

    Raises DetectionError when a GPU's generation is unknown to the catalog.
    """
    try:
        import pynvml
    except ImportError:
        raise DetectionError(
            "nvidia-ml-py is not installed, so GPUs cannot be detected; install it"
            " with pip install 'node-registry[agent]'"
        ) from None
    cpu_mem = cpu_mem_bytes()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        log.info("NVML unavailable (%s): registering one CPU-only node", exc)
        return [cpu_only_node(cpu_mem)]
    try:
        nodes = _gpu_nodes(pynvml, catalog, cpu_mem, generation_override)
    finally:
        pynvml.nvmlShutdown()
    if not nodes:
        log.info("NVML found no GPU: registering one CPU-only node")
        return [cpu_only_node(cpu_mem)]
    return nodes
