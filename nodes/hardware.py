"""The hardware catalog: the IDs that a node's hardware_generation may take.

The built-in catalog names the CPU-only kind and the GPU architectures that clusters
run today. Operators add their own IDs (an internal code for an undisclosed GPU, say)
through configuration; see ``parse_extra_generations``.
"""

import json
import re
from dataclasses import asdict, dataclass, field

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
VENDORS = ("none", "nvidia", "amd", "intel", "other")


@dataclass(frozen=True)
class HardwareGeneration:
    """One entry of the catalog."""

    id: str
    vendor: str
    description: str
    cpu_only: bool = False
    # NVIDIA CUDA compute capabilities (major, minor) of this architecture, used by
    # the worker agent to map a detected GPU onto the catalog.
    compute_capabilities: tuple[tuple[int, int], ...] = field(default=())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["compute_capabilities"] = [
            f"{major}.{minor}" for major, minor in self.compute_capabilities
        ]
        return data


BUILT_IN = (
    HardwareGeneration("cpu", "none", "CPU-only machine, no accelerator", True),
    HardwareGeneration(
        "pascal",
        "nvidia",
        "NVIDIA Pascal (P100, P40, P4, GTX 10 series)",
        compute_capabilities=((6, 0), (6, 1), (6, 2)),
    ),
    HardwareGeneration(
        "volta",
        "nvidia",
        "NVIDIA Volta (V100, Titan V)",
        compute_capabilities=((7, 0), (7, 2)),
    ),
    HardwareGeneration(
        "turing",
        "nvidia",
        "NVIDIA Turing (T4, Quadro RTX, RTX 20 series)",
        compute_capabilities=((7, 5),),
    ),
    HardwareGeneration(
        "ampere",
        "nvidia",
        "NVIDIA Ampere (A100, A30, A10, A40, RTX 30 series)",
        compute_capabilities=((8, 0), (8, 6), (8, 7)),
    ),
    HardwareGeneration(
        "ada",
        "nvidia",
        "NVIDIA Ada Lovelace (L4, L40, L40S, RTX 40 series)",
        compute_capabilities=((8, 9),),
    ),
    HardwareGeneration(
        "hopper",
        "nvidia",
        "NVIDIA Hopper (H100, H200, GH200)",
        compute_capabilities=((9, 0),),
    ),
    HardwareGeneration(
        "blackwell",
        "nvidia",
        "NVIDIA Blackwell (B200, B300, GB200, RTX PRO 6000, RTX 50 series)",
        compute_capabilities=((10, 0), (10, 3), (11, 0), (12, 0), (12, 1)),
    ),
    HardwareGeneration("gcn5", "amd", "AMD Instinct GCN 5 / Vega (MI25, MI50, MI60)"),
    HardwareGeneration("cdna", "amd", "AMD Instinct CDNA (MI100)"),
    HardwareGeneration("cdna2", "amd", "AMD Instinct CDNA 2 (MI210, MI250, MI250X)"),
    HardwareGeneration("cdna3", "amd", "AMD Instinct CDNA 3 (MI300A, MI300X, MI325X)"),
    HardwareGeneration("cdna4", "amd", "AMD Instinct CDNA 4 (MI350X, MI355X)"),
)


def parse_extra_generations(text: str) -> list[HardwareGeneration]:
    """Parse operator additions to the catalog from a JSON array.

    Each element is ``{"id": ..., "vendor": ..., "description": ...}`` with an optional
    ``"cpu_only": true``. Raises ValueError naming the element and the fix.
    """
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"hardware catalog additions are not valid JSON: {exc}"
        ) from exc
    if not isinstance(items, list):
        raise ValueError("hardware catalog additions must be a JSON array of objects")
    generations = []
    for position, item in enumerate(items):
        where = f"hardware catalog addition [{position}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object, got {item!r}")
        unknown = set(item) - {"id", "vendor", "description", "cpu_only"}
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
        hardware_id = item.get("id")
        if not isinstance(hardware_id, str) or not ID_PATTERN.match(hardware_id):
            raise ValueError(
                f"{where} id {hardware_id!r} is invalid: use 1 to 32 lower-case"
                " letters,"
                " digits, '.', '_' or '-', starting with a letter or digit"
            )
        vendor = item.get("vendor", "other")
        if vendor not in VENDORS:
            raise ValueError(f"{where} vendor {vendor!r} must be one of {VENDORS}")
        description = item.get("description", "")
        if not isinstance(description, str) or len(description) > 200:
            raise ValueError(
                f"{where} description must be a string of at most 200 chars"
            )
        cpu_only = item.get("cpu_only", False)
        if not isinstance(cpu_only, bool):
            raise ValueError(f"{where} cpu_only must be true or false")
        generations.append(
            HardwareGeneration(hardware_id, vendor, description, cpu_only)
        )
    return generations


class HardwareCatalog:
    """The built-in generations plus the operator's additions, by ID."""

    def __init__(self, extra: list[HardwareGeneration] = ()) -> None:
        self.by_id: dict[str, HardwareGeneration] = {}
        for generation in (*BUILT_IN, *extra):
            if generation.id in self.by_id:
                raise ValueError(
                    f"hardware ID {generation.id!r} is defined twice; the built-in IDs"
                    " cannot be redefined, so choose another ID"
                )
            self.by_id[generation.id] = generation
        self.cpu_only_ids = frozenset(g.id for g in self.by_id.values() if g.cpu_only)

    @classmethod
    def from_extra_json(cls, text: str) -> "HardwareCatalog":
        """Build the catalog with the additions of REGISTRY_HARDWARE_EXTRA's text.

        Empty text adds nothing. Raises ValueError as ``parse_extra_generations`` does.
        """
        return cls(parse_extra_generations(text) if text else [])

    def __contains__(self, hardware_id: object) -> bool:
        return hardware_id in self.by_id

    def ids(self) -> list[str]:
        return list(self.by_id)

    def for_compute_capability(
        self, major: int, minor: int
    ) -> HardwareGeneration | None:
        """Return the NVIDIA generation of a CUDA compute capability, if known."""
        for generation in self.by_id.values():
            if (major, minor) in generation.compute_capabilities:
                return generation
        return None
