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
