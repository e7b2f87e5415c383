from ann_keras.models import bfloat16
from ann_keras.search import machine


def test_environment_names_versions_and_hardware():
    env = machine.environment(["/physical_device:GPU:0"])
    assert env["versions"]["python"].startswith("3.")
    assert "keras" in env["versions"]
    assert env["hardware"]["gpus"] == ["/physical_device:GPU:0"]
    assert env["hardware"]["cpu_count"] >= 1


def test_source_revision_names_this_checkout():
    revision = machine.source_revision()
    if revision:   # a git checkout (CI's clean clone is one)
        assert len(revision["commit"]) == 40 and isinstance(revision["local_changes"], bool)


def test_the_hardware_says_whether_bfloat16_is_native(monkeypatch):
    monkeypatch.setattr(bfloat16, "_cpu_flags", lambda: {"avx512f"})
    assert machine.environment()["hardware"]["bfloat16"] is False
    monkeypatch.setattr(bfloat16, "_cpu_flags", lambda: {"avx512f", "amx_bf16"})
    assert machine.environment()["hardware"]["bfloat16"] is True


def test_cpu_name_tells_generations_of_a_generic_name_apart():
    zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n"
    assert machine.cpu_name(zen5) == "AMD EPYC (family 26, model 2)"
    # The first processor's lines are read; a machine without family numbers (ARM) keeps its name alone.
    assert machine.cpu_name(zen5 + "\nprocessor\t: 1\ncpu family\t: 25\nmodel\t\t: 1\n").endswith("model 2)")
    assert machine.cpu_name("model name\t: Neoverse-N1\n") == "Neoverse-N1"
    assert machine.cpu_name("") == ""
