"""Fake NVIDIA devices behind the pynvml module's functions.

``install`` replaces the functions that the agent calls on the pynvml module, so the
agent sees the given devices (or, with none, a machine without the NVML library).
"""

from dataclasses import dataclass

import pynvml

GIB = 2**30


@dataclass(frozen=True)
class FakeGpu:
    compute_capability: tuple[int, int]
    memory_bytes: int


@dataclass(frozen=True)
class FakeMemory:
    total: int
    free: int
    used: int


# Devices of real machines: (compute capability, memory) per GPU.
HOPPER_BOX = [FakeGpu((9, 0), 80 * GIB)] * 4
MIXED_BOX = [
    FakeGpu((7, 0), 32 * GIB),  # V100
    FakeGpu((7, 5), 16 * GIB),  # T4
    FakeGpu((8, 0), 40 * GIB),  # A100
    FakeGpu((8, 9), 48 * GIB),  # L40S
    FakeGpu((10, 0), 180 * GIB),  # B200
]
UNKNOWN_BOX = [FakeGpu((13, 0), 96 * GIB)]


def install(setattr_function, gpus: list[FakeGpu] | None, driver: str = "550.54.15"):
    """Replace pynvml's functions; gpus=None makes nvmlInit fail as without a GPU."""

    def init():
        if gpus is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    def handle(index):
        if not 0 <= index < len(gpus):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return gpus[index]

    functions = {
        "nvmlInit": init,
        "nvmlShutdown": lambda: None,
        "nvmlSystemGetDriverVersion": lambda: driver,
        "nvmlDeviceGetCount": lambda: len(gpus),
        "nvmlDeviceGetHandleByIndex": handle,
        "nvmlDeviceGetCudaComputeCapability": lambda gpu: gpu.compute_capability,
        "nvmlDeviceGetMemoryInfo": lambda gpu: FakeMemory(
            gpu.memory_bytes, gpu.memory_bytes, 0
        ),
    }
    for name, function in functions.items():
        setattr_function(pynvml, name, function)
