"""Marshmallow schemas of the node resource: request bodies and the response."""

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validates_schema,
)

from nodes.json_numbers import OverlongNumber

MAX_INDEX = 255
MAX_BYTES = 2**53 - 1
MAX_DRIVER_VERSION_LENGTH = 64
MAX_JOB_ID = 2**53 - 1
READ_ONLY_FIELDS = ("pk", "last_seen", "status")


REQUIRED_MESSAGE = {"required": "missing: this field is required"}


class NullMessageMixin:
    """Reject null with the field's range and fix, not marshmallow's generic text."""

    def expected(self) -> str:
        """Return what the field takes, such as 'index must be an integer ...'."""
        raise NotImplementedError

    def _validate_missing(self, value) -> None:
        if value is None and not self.allow_none:
            raise ValidationError(
                f"{self.expected()}, got null; send a value or leave the field out"
                if not self.required
                else f"{self.expected()}, got null"
            )
        super()._validate_missing(value)


class StrictInteger(NullMessageMixin, fields.Integer):
    """An integer that rejects booleans, floats and strings instead of coercing them."""

    default_error_messages = REQUIRED_MESSAGE

    def __init__(self, *, minimum: int, maximum: int, unit: str = "", **kwargs) -> None:
        super().__init__(strict=True, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit
        self.metadata.setdefault("minimum", minimum)
        self.metadata.setdefault("maximum", maximum)

    def expected(self) -> str:
        return (
            f"{self.name} must be an integer{self.unit} from {self.minimum} to"
            f" {self.maximum}"
        )

    def _deserialize(self, value, attr, data, **kwargs):
        what = f"an integer{self.unit}"
        if isinstance(value, OverlongNumber):
            raise ValidationError(
                f"{attr} must be {what} from {self.minimum} to {self.maximum},"
                f" got {value}"
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                f"{attr} must be {what} from {self.minimum} to {self.maximum},"
                f" got {value!r} ({type(value).__name__})"
            )
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                f"{attr} must be {what} from {self.minimum} to {self.maximum},"
                f" got {value}"
            )
        return value


class PrintableString(NullMessageMixin, fields.String):
    default_error_messages = REQUIRED_MESSAGE

    def __init__(self, *, max_length: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.metadata.setdefault("minLength", 1)
        self.metadata.setdefault("maxLength", max_length)

    def expected(self) -> str:
        return f"{self.name} must be a string of 1 to {self.max_length} characters"

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(f"{attr} must be a string, got {value!r}")
        if not 1 <= len(value) <= self.max_length:
            raise ValidationError(
                f"{attr} must be 1 to {self.max_length} characters, got {len(value)}"
            )
        if not value.isprintable() or value.strip() != value:
            raise ValidationError(
                f"{attr} must be printable with no leading or trailing space,"
                f" got {value!r}"
            )
        return value


class HardwareId(NullMessageMixin, fields.String):
    """A hardware ID, checked against the app's catalog (see nodes.hardware)."""

    default_error_messages = REQUIRED_MESSAGE

    def expected(self) -> str:
        return f"{self.name} must be a hardware ID that GET /v1/hardware lists"

    def _deserialize(self, value, attr, data, **kwargs):
        catalog = self.parent.context_catalog()
        if not isinstance(value, str) or value not in catalog:
            raise ValidationError(
                f"{attr} {value!r} is not a known hardware ID; GET /v1/hardware lists"
                " the valid IDs, and operators add IDs with REGISTRY_HARDWARE_EXTRA"
            )
        return value


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "type": "the body must be a JSON object of node fields",
        "unknown": "unknown field; the node fields are index, cpu_mem, gpu_mem,"
        " driver_version, hardware_generation (and current_job_id in PATCH)",
    }

    catalog = None

    def context_catalog(self):
        if self.catalog is None:
            from flask import current_app

            return current_app.extensions["node_registry"].catalog
        return self.catalog

    @pre_load
    def reject_read_only(self, data, **kwargs):
        if isinstance(data, dict):
            errors = {
                name: [f"{name} is read-only: the server sets it, so leave it out"]
                for name in READ_ONLY_FIELDS
                if name in data
            }
            if errors:
                raise ValidationError(errors)
        return data


def _index(**kwargs):
    return StrictInteger(
        **kwargs,
        minimum=0,
        maximum=MAX_INDEX,
        metadata={"description": "GPU index on its machine; 0 for a CPU-only node."},
    )


def _bytes(description: str, **kwargs):
    return StrictInteger(
        **kwargs,
        minimum=0,
        maximum=MAX_BYTES,
        unit=" number of bytes",
        metadata={"description": description},
    )


def _driver_version(**kwargs):
    return PrintableString(
        **kwargs,
        max_length=MAX_DRIVER_VERSION_LENGTH,
        metadata={
            "description": "Driver version, such as 535.104.05.",
            "example": "535.104.05",
        },
    )


def _generation(**kwargs):
    return HardwareId(
        **kwargs,
        metadata={
            "description": "A hardware ID from GET /v1/hardware.",
            "example": "hopper",
        },
    )


def check_cpu_only_rule(schema: BaseSchema, data: dict) -> None:
    generation = data.get("hardware_generation")
    if generation not in schema.context_catalog().cpu_only_ids:
        return
    errors = {}
    if data.get("index", 0) != 0:
        errors["index"] = [
            f"hardware_generation {generation!r} is CPU-only, so index must be 0,"
            f" got {data['index']}"
        ]
    if data.get("gpu_mem", 0) != 0:
        errors["gpu_mem"] = [
            f"hardware_generation {generation!r} is CPU-only, so gpu_mem must be 0,"
            f" got {data['gpu_mem']}"
        ]
    if errors:
        raise ValidationError(errors)


class NodeCreateSchema(BaseSchema):
    """The five client fields of a node, all required (create and PUT)."""

    index = _index(required=True)
    cpu_mem = _bytes("Main memory of the machine in bytes.", required=True)
    driver_version = _driver_version(required=True)
    hardware_generation = _generation(required=True)
    gpu_mem = _bytes(
        "Memory of this GPU in bytes; 0 for a CPU-only node.", required=True
    )

    @pre_load
    def reject_job(self, data, **kwargs):
        if isinstance(data, dict) and "current_job_id" in data:
            raise ValidationError(
                {
                    "current_job_id": [
                        "current_job_id cannot be set here: send it with PATCH or a"
                        " heartbeat once the node exists"
                    ]
                }
            )
        return data

    @validates_schema
    def cpu_only_rule(self, data, **kwargs):
        check_cpu_only_rule(self, data)


class NodeReplaceSchema(NodeCreateSchema):
    """PUT body: the same five fields as create, all required."""


class NodePatchSchema(BaseSchema):
    """PATCH body: any of the five fields and current_job_id; {} is a heartbeat."""

    index = _index()
    cpu_mem = _bytes("Main memory of the machine in bytes.")
    driver_version = _driver_version()
    hardware_generation = _generation()
    gpu_mem = _bytes("Memory of this GPU in bytes; 0 for a CPU-only node.")
    current_job_id = StrictInteger(
        minimum=1,
        maximum=MAX_JOB_ID,
        allow_none=True,
        metadata={"description": "The job the node runs, or null when idle."},
    )


class NodeSchema(Schema):
    """A node as every response returns it; every field is always present."""

    pk = fields.Integer(
        required=True, metadata={"description": "Primary key, never reused."}
    )
    index = fields.Integer(
        required=True,
        metadata={"description": "GPU index on its machine; 0 for a CPU-only node."},
    )
    cpu_mem = fields.Integer(
        required=True, metadata={"description": "Main memory of the machine in bytes."}
    )
    driver_version = fields.String(required=True)
    hardware_generation = fields.String(
        required=True, metadata={"description": "A hardware ID from GET /v1/hardware."}
    )
    gpu_mem = fields.Integer(
        required=True,
        metadata={"description": "Memory of this GPU in bytes; 0 for a CPU-only node."},
    )
    last_seen = fields.String(
        required=True,
        metadata={
            "format": "date-time",
            "description": "Time of the last write by the server's clock, RFC 3339 in"
            " UTC with milliseconds.",
            "example": "2026-12-04T15:54:40.123Z",
        },
    )
    current_job_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The job the node runs, or null when idle."},
    )
    status = fields.String(
        required=True,
        metadata={
            "enum": ["alive", "stale", "lost"],
            "description": "Liveness derived from last_seen and the grace periods.",
        },
    )


class HardwareGenerationSchema(Schema):
    """One hardware ID of the catalog (docs/hardware.md)."""

    id = fields.String(required=True)
    vendor = fields.String(required=True)
    description = fields.String(required=True)
    cpu_only = fields.Boolean(
        required=True,
        metadata={"description": "True when index and gpu_mem must be 0."},
    )
    compute_capabilities = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "NVIDIA CUDA compute capabilities, such as 9.0."},
    )
