import json
import os

import pytest

from ann_keras import results
from ann_keras.errors import ResultsError


def test_round_trip(fixture_results, tmp_path):
    result = results.load(fixture_results)
    path = results.save(result, tmp_path)
    again = results.load(tmp_path)
    assert again == result
    assert path.name == "results.json"


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    results.write_json(target, {"a": 1})

    def broken_replace(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        results.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}     # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_missing_and_broken_results_name_the_file(tmp_path):
    with pytest.raises(ResultsError, match="no results.json here"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ResultsError, match="unreadable JSON"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(ResultsError, match="schema_version 99 is not supported"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 1}))
    with pytest.raises(ResultsError, match="'kind' is a required property"):
        results.load(tmp_path)


def test_environment_names_versions_and_hardware():
    env = results.environment(["/physical_device:GPU:0"])
    assert env["versions"]["python"].startswith("3.")
    assert "keras" in env["versions"]
    assert env["hardware"]["gpus"] == ["/physical_device:GPU:0"]
    assert env["hardware"]["cpu_count"] >= 1
