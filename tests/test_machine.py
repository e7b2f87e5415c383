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
