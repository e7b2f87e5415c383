import json
import os

import pytest

from ann_keras import files


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    files.write_json(target, {"a": 1})

    def broken_replace(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}     # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
