"""Reading a machine list into node bodies, and the --model option."""

import pytest

from nodes.commands.fleet_csv import (
    GIB,
    KNOWN_MODELS,
    MIB,
    FleetFileError,
    ModelSpec,
    parse_model_option,
    read_fleet,
)

HEADER = "sn,cpu_milli,memory_mib,gpu,model\n"
# The hardware IDs and memory of G2 here are this test's own choice.
MODELS = {**KNOWN_MODELS, "G2": ModelSpec("g2-test", 40 * GIB)}


def write_csv(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "nodes.csv"
    path.write_text(header + rows)
    return path


def test_gpu_machine_one_node_per_gpu(tmp_path):
    path = write_csv(tmp_path, "openb-node-0001,32000,262144,2,T4\n")
    planned = read_fleet(path, MODELS, "535.1")
    assert [node.body["index"] for node in planned] == [0, 1]
    assert planned[0].body == {
        "index": 0,
        "cpu_mem": 262144 * MIB,
        "driver_version": "535.1",
        "hardware_generation": "turing",
        "gpu_mem": 16 * GIB,
    }
    assert planned[1].machine == "openb-node-0001"
    assert planned[1].model == "T4"


def test_cpu_machine_one_node(tmp_path):
    path = write_csv(tmp_path, "openb-node-0000,32000,65536,0,\n")
    (node,) = read_fleet(path, MODELS, "535.1")
    assert node.body["hardware_generation"] == "cpu"
    assert node.body["index"] == 0
    assert node.body["gpu_mem"] == 0
    assert node.body["cpu_mem"] == 65536 * MIB


def test_caller_model_used(tmp_path):
    path = write_csv(tmp_path, "openb-node-0002,96000,786432,8,G2\n")
    planned = read_fleet(path, MODELS, "535.1")
    assert len(planned) == 8
    assert {node.body["hardware_generation"] for node in planned} == {"g2-test"}
    assert {node.body["gpu_mem"] for node in planned} == {40 * GIB}


@pytest.mark.parametrize(
    ("model", "generation", "gib"),
    [
        ("P100", "pascal", 16),
        ("T4", "turing", 16),
        ("V100M16", "volta", 16),
        ("V100M32", "volta", 32),
        ("A10", "ampere", 24),
    ],
)
def test_known_models(model, generation, gib):
    assert KNOWN_MODELS[model] == ModelSpec(generation, gib * GIB)


def test_undescribed_models_named(tmp_path):
    rows = "a,1,1024,8,G2\nb,1,1024,8,G3\nc,1,1024,4,G3\nd,1,1024,2,T4\n"
    path = write_csv(tmp_path, rows)
    with pytest.raises(FleetFileError) as info:
        read_fleet(path, dict(KNOWN_MODELS), "535.1")
    assert "G2 (8 GPUs), G3 (12 GPUs)" in str(info.value)
    assert "--model G2=HARDWARE_ID:GIB" in str(info.value)


BAD_ROWS = [
    ("gpu-not-integer", "a,1,1024,two,T4\n", "line 2: gpu must be an integer"),
    ("gpu-negative", "a,1,1024,-1,T4\n", "line 2: gpu must be from 0 to 256"),
    ("gpu-too-many", "a,1,1024,257,T4\n", "line 2: gpu must be from 0 to 256"),
    ("model-without-gpu", "a,1,1024,0,T4\n", "line 2: model is 'T4' but gpu is 0"),
    ("gpu-without-model", "a,1,1024,2,\n", "line 2: gpu is 2 but the model is empty"),
    ("memory-zero", "a,1,0,0,\n", "line 2: memory_mib must be from 1"),
    ("memory-text", "a,1,lots,0,\n", "line 2: memory_mib must be an integer"),
    ("second-line", "a,1,1024,0,\nb,1,x,0,\n", "line 3: memory_mib"),
]


@pytest.mark.parametrize(
    ("rows", "message"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_bad_row_rejected(tmp_path, rows, message):
    with pytest.raises(FleetFileError, match=message):
        read_fleet(write_csv(tmp_path, rows), MODELS, "535.1")


def test_missing_column_rejected(tmp_path):
    path = write_csv(tmp_path, "a,1,0\n", header="sn,cpu_milli,gpu\n")
    with pytest.raises(
        FleetFileError, match=r"lacks the columns \['memory_mib', 'model'\]"
    ):
        read_fleet(path, MODELS, "535.1")


def test_missing_file_rejected(tmp_path):
    with pytest.raises(FleetFileError, match="cannot read"):
        read_fleet(tmp_path / "absent.csv", MODELS, "535.1")


def test_binary_file_rejected(tmp_path):
    path = tmp_path / "nodes.csv"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(FleetFileError, match="not a CSV machine list"):
        read_fleet(path, MODELS, "535.1")


def test_model_option_parsed():
    assert parse_model_option("G2=ampere:80") == ("G2", ModelSpec("ampere", 80 * GIB))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("G2", "MODEL=HARDWARE_ID:GPU_MEM_GIB"),
        ("G2=ampere", "MODEL=HARDWARE_ID:GPU_MEM_GIB"),
        ("=ampere:80", "MODEL=HARDWARE_ID:GPU_MEM_GIB"),
        ("G2=:80", "MODEL=HARDWARE_ID:GPU_MEM_GIB"),
        ("G2=ampere:80GB", "whole number of GiB"),
        ("G2=ampere:1.5", "whole number of GiB"),
        ("G2=ampere:0", "at least 1 GiB"),
    ],
)
def test_bad_model_option_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_model_option(text)


def test_full_trace_counts(trace_dir):
    models = {
        **KNOWN_MODELS,
        "G2": ModelSpec("g2-test", GIB),
        "G3": ModelSpec("g3-test", GIB),
    }
    planned = read_fleet(trace_dir / "openb_node_list_all_node.csv", models, "1.0")
    assert len(planned) == 6522
    assert sum(1 for node in planned if node.model == "") == 310
