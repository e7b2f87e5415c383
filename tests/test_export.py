"""`ann-keras export`: the final model as .keras, SavedModel or TFLite, each checked on the run's test split."""

import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ann_keras import results
from ann_keras.cli import cli
from ann_keras.deploy import export as exporting
from ann_keras.errors import AnnKerasError


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# SavedModel and TFLite are TensorFlow's formats.
FORMATS = [pytest.param(f, marks=[pytest.mark.tensorflow] if f != "keras" else []) for f in exporting.FORMATS]


@pytest.mark.parametrize("kind", ["images", "sequences"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_written_checked_and_recorded(trained_runs, kind, fmt):
    run_dir = trained_runs[kind]
    done = exporting.export(run_dir, fmt)
    assert done.path.exists() and done.path.parent == run_dir / "exports"
    final = results.load(run_dir).final["metrics"]["test_accuracy"]
    assert done.keras_accuracy == pytest.approx(final, abs=1e-6)   # the Keras model as the run measured it
    if fmt == "tflite":
        assert abs(done.exported_accuracy - done.keras_accuracy) <= exporting.TFLITE_TOLERANCE
    else:
        assert done.exported_accuracy == done.keras_accuracy and done.agreement == 1.0
    recorded = {e["format"]: e for e in results.load(run_dir).exports}
    assert recorded[fmt]["passed"] and recorded[fmt]["path"].startswith("exports/")


def test_the_report_and_the_model_card_state_the_check(trained_runs, tmp_path):
    run_dir = trained_runs["images"]
    result = invoke("export", run_dir, "--format", "savedmodel")
    assert result.exit_code == 0, result.output
    assert "check: 50 test examples" in result.output
    card = (run_dir / "final" / "MODEL_CARD.md").read_text()
    assert "## Exported forms" in card and "| savedmodel | `exports/savedmodel` |" in card
    invoke("report", run_dir, "--reports-dir", tmp_path)
    page = next(tmp_path.glob("*/index.html")).read_text()
    assert "Exported (savedmodel)" in page and "exports/savedmodel in the run folder" in page


def test_a_failed_check_is_recorded_and_exits_2(trained_runs, monkeypatch):
    import numpy as np
    run_dir = trained_runs["sequences"]
    monkeypatch.setitem(exporting._WRITERS, "keras", lambda model, file, path, x: np.full(len(x), -1))
    with pytest.raises(exporting.ExportCheckFailed, match="differs from the Keras model's"):
        exporting.export(run_dir, "keras")
    assert not next(e for e in results.load(run_dir).exports if e["format"] == "keras")["passed"]
    monkeypatch.undo()
    exporting.export(run_dir, "keras")   # a good export replaces the failed record


def test_other_data_than_the_runs_is_refused(trained_runs, tmp_path):
    from PIL import Image
    for split in ("train", "test"):
        for label in ("a", "b"):
            (tmp_path / split / label).mkdir(parents=True)
            for i in range(5):
                Image.new("RGB", (16, 16), (i * 40, 0, 0)).save(tmp_path / split / label / f"{i}.png")
    run_dir = trained_runs["images"]
    stored = results.load(run_dir)
    stored.spec["dataset"] = "images:" + str(tmp_path)   # a run on image folders, then the folders changed
    stored.dataset["fingerprint"] = "0" * 24
    results.save(stored, tmp_path / "run")
    (tmp_path / "run" / "final").mkdir()
    (tmp_path / "run" / "final" / "model.keras").write_bytes((run_dir / "final" / "model.keras").read_bytes())
    with pytest.raises(AnnKerasError, match="is not the data this run was trained on"):
        exporting.export(tmp_path / "run", "keras")
    assert not (tmp_path / "run" / "exports" / "model.keras").exists()


def test_an_unknown_format_or_a_folder_without_a_run_is_one_line(tmp_path):
    result = invoke("export", tmp_path, "--format", "onnx")
    assert result.exit_code == 2 and "'onnx' is not one of 'keras', 'savedmodel', 'tflite'" in result.stderr
    result = invoke("export", tmp_path)
    assert result.exit_code == 2 and "no results.json here" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- only inside the run folder


@pytest.fixture
def run_copy(trained_runs, tmp_path):
    """A copy of the digits run (the quickest to export) without exports, for tests that plant things in its folder."""
    run_dir = tmp_path / "runs" / "ann" / "run"
    shutil.copytree(trained_runs["vectors"], run_dir, ignore=shutil.ignore_patterns("exports"))
    stored = results.load(run_dir)
    stored.exports = []
    results.save(stored, run_dir)
    return run_dir


def refused(result, message):
    """Assert the command exited 2 with one line on stderr that says `message`."""
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "Traceback" not in result.stderr
    assert message in result.stderr


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_text() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_a_linked_exports_folder_is_refused_and_what_it_points_to_is_left_alone(run_copy, tmp_path, fmt):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "savedmodel").mkdir(parents=True)
    for name in ("savedmodel/sentinel", "model.keras", "model.tflite"):
        (elsewhere / name).write_text(f"mine: {name}")
    before = tree(elsewhere)
    (run_copy / "exports").symlink_to(elsewhere, target_is_directory=True)
    refused(invoke("export", run_copy, "--format", fmt), f"{run_copy / 'exports'}: a symbolic link")
    assert tree(elsewhere) == before
    assert results.load(run_copy).exports == []


@pytest.mark.parametrize("planted", ["file", "link to a folder", "dangling link"])
def test_something_else_at_exports_savedmodel_is_refused_and_leaves_no_temporary(run_copy, tmp_path, planted):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sentinel").write_text("mine")
    savedmodel = run_copy / "exports" / "savedmodel"
    savedmodel.parent.mkdir()
    if planted == "file":
        savedmodel.write_text("not a model")
    else:
        savedmodel.symlink_to(elsewhere if planted == "link to a folder" else tmp_path / "nothing")
    reason = "a file, where the savedmodel export's folder goes" if planted == "file" else "a symbolic link"
    refused(invoke("export", run_copy, "--format", "savedmodel"), f"{savedmodel}: {reason}")
    assert [p.name for p in savedmodel.parent.iterdir()] == ["savedmodel"]     # no .savedmodel.*.tmp
    assert tree(elsewhere) == {"sentinel": "mine"}
    if planted == "file":
        assert savedmodel.read_text() == "not a model"


def test_a_link_at_exports_model_keras_is_refused_and_its_target_untouched(run_copy, tmp_path):
    outside = tmp_path / "model.keras"
    outside.write_text("mine")
    (run_copy / "exports").mkdir()
    (run_copy / "exports" / "model.keras").symlink_to(outside)
    refused(invoke("export", run_copy, "--format", "keras"), f"{run_copy / 'exports' / 'model.keras'}: a symbolic link")
    assert outside.read_text() == "mine" and (run_copy / "exports" / "model.keras").is_symlink()


def test_replacing_a_savedmodel_never_follows_a_link_inside_it_and_a_failed_one_leaves_no_temporary(
        run_copy, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sentinel").write_text("mine")
    earlier = exporting.export(run_copy, "savedmodel").path
    (earlier / "assets").mkdir(exist_ok=True)
    (earlier / "assets" / "link").symlink_to(elsewhere, target_is_directory=True)
    write = exporting._write_savedmodel

    def broken(model, folder, batch):
        (folder / "half").write_text("half a model")
        raise OSError("disk full")
    monkeypatch.setattr(exporting, "_write_savedmodel", broken)
    with pytest.raises(OSError, match="disk full"):
        exporting.export(run_copy, "savedmodel")
    assert [p.name for p in earlier.parent.iterdir()] == ["savedmodel"]        # no .savedmodel.*.tmp
    assert (earlier / "saved_model.pb").is_file() and not (earlier / "half").exists()   # the earlier one, whole
    monkeypatch.setattr(exporting, "_write_savedmodel", write)
    assert exporting.export(run_copy, "savedmodel").agreement == 1.0
    assert not (earlier / "assets" / "link").exists() and tree(elsewhere) == {"sentinel": "mine"}


def test_export_while_another_process_holds_the_run_folder_is_one_line(run_copy):
    from test_locks import HOLDER
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused(invoke("export", run_copy, "--format", "keras"), f"{run_copy} is in use by process {holder.pid} ")
        assert not (run_copy / "exports").exists() and results.load(run_copy).exports == []
    finally:
        holder.kill()
        holder.wait()
    assert invoke("export", run_copy, "--format", "keras").exit_code == 0   # released: the export goes ahead
