import json
import os
import re
from pathlib import Path

import pytest

from ann_keras import files
from ann_keras.errors import PathError


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    files.write_json(target, {"a": 1}, within=tmp_path)

    def broken_replace(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_json(target, {"a": 2}, within=tmp_path)
    assert json.loads(target.read_text()) == {"a": 1}     # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


@pytest.mark.parametrize("linked", ["report", "report/index.html", "report/figures"])
def test_every_write_refuses_a_link_below_the_folder_it_belongs_to(tmp_path, linked):
    """The one write helper: a link planted in the folder is refused, and the file it points to is untouched."""
    outside = tmp_path / "outside"
    (outside / "figures").mkdir(parents=True)
    (outside / "index.html").write_text("theirs")
    owned = tmp_path / "reports"
    (owned / "report").mkdir(parents=True)
    if linked == "report":
        (owned / "report").rmdir()
    (owned / linked).symlink_to(outside / Path(linked).name if linked != "report" else outside)
    target = owned / "report" / ("figures/a.png" if linked.endswith("figures") else "index.html")
    with pytest.raises(PathError, match="a symbolic link"):
        files.write_text(target, "ours", within=owned)
    assert (outside / "index.html").read_text() == "theirs" and not (outside / "figures" / "a.png").exists()


def test_a_write_outside_the_folder_it_names_is_refused(tmp_path):
    with pytest.raises(PathError, match="not inside"):
        files.write_text(tmp_path / "elsewhere.txt", "x", within=tmp_path / "reports")
    assert not (tmp_path / "elsewhere.txt").exists()


def test_inside_returns_the_path_through_real_folders_and_names_not_made_yet(tmp_path):
    (tmp_path / "run" / "exports").mkdir(parents=True)
    assert files.inside(tmp_path / "run", "exports/savedmodel") == tmp_path / "run" / "exports" / "savedmodel"
    assert files.inside(tmp_path / "run", "new/deeper") == tmp_path / "run" / "new" / "deeper"


def test_the_owned_folder_itself_may_be_reached_through_a_link(tmp_path):
    (tmp_path / "disk" / "run").mkdir(parents=True)
    (tmp_path / "runs").symlink_to(tmp_path / "disk")       # runs/ on another disk
    assert files.inside(tmp_path / "runs" / "run", "exports") == tmp_path / "runs" / "run" / "exports"


@pytest.mark.parametrize("linked, written", [
    ("exports", "exports"), ("exports", "exports/savedmodel"), ("exports", "exports/.savedmodel.tmp"),
    ("exports/savedmodel", "exports/savedmodel"), ("exports/model.keras", "exports/model.keras")])
@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_anywhere_below_the_owned_folder_is_refused_naming_it(tmp_path, linked, written, dangling):
    run, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run.mkdir()
    elsewhere.mkdir()
    (elsewhere / "sentinel").write_text("mine")
    (run / linked).parent.mkdir(parents=True, exist_ok=True)
    (run / linked).symlink_to(tmp_path / "nothing" if dangling else elsewhere)
    with pytest.raises(PathError, match=re.escape(f"{run / linked}: a symbolic link")) as raised:
        files.inside(run, written)
    assert "\n" not in str(raised.value)
    assert [p.name for p in elsewhere.iterdir()] == ["sentinel"] and (elsewhere / "sentinel").read_text() == "mine"


@pytest.mark.parametrize("relative", ["..", "../elsewhere", "exports/../../elsewhere", "/tmp/x", ""])
def test_a_path_that_leads_out_of_the_owned_folder_is_refused(tmp_path, relative):
    with pytest.raises(PathError, match="not a path inside"):
        files.inside(tmp_path / "run", relative)


def test_a_temporary_folder_is_new_beside_its_target_with_the_usual_permissions(tmp_path):
    (tmp_path / ".savedmodel.tmp").symlink_to(tmp_path / "nothing")   # a name planted in advance is never used
    made = files.temporary_folder(tmp_path / "savedmodel")
    assert made.parent == tmp_path and made.name.startswith(".savedmodel.") and made.name.endswith(".tmp")
    assert made.is_dir() and not made.is_symlink() and list(made.iterdir()) == []
    umask = os.umask(0)
    os.umask(umask)
    assert made.stat().st_mode & 0o777 == 0o777 & ~umask
    assert made != files.temporary_folder(tmp_path / "savedmodel")
