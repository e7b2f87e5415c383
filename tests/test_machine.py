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


def test_auto_precision_is_bfloat16_only_where_the_hardware_computes_it(monkeypatch):
    monkeypatch.setattr(machine, "_cpu_flags", lambda: {"avx512f", "avx512_bf16"})
    assert machine.native_bfloat16() and machine.auto_precision() == "mixed_bfloat16"
    monkeypatch.setattr(machine, "_cpu_flags", lambda: {"avx512f", "amx_tile"})
    assert not machine.native_bfloat16() and machine.auto_precision() == "float32"   # emulated: slower
    assert machine.auto_precision(gpu=True) == "mixed_bfloat16"
    assert machine.environment()["hardware"]["bfloat16"] is False
