"""Request bodies for tests."""

GIB = 2**30


def node_body(**overrides) -> dict:
    body = {
        "index": 0,
        "cpu_mem": 512 * GIB,
        "driver_version": "535.104.05",
        "hardware_generation": "hopper",
        "gpu_mem": 80 * GIB,
    }
    body.update(overrides)
    return body


def cpu_node_body(**overrides) -> dict:
    return node_body(**{"hardware_generation": "cpu", "gpu_mem": 0, **overrides})
