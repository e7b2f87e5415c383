"""`ann-keras export`: the final model as .keras, SavedModel or TFLite, each checked on the run's test split."""

import pytest
from click.testing import CliRunner

from ann_keras import results
from ann_keras.cli import cli
from ann_keras.deploy import export as exporting
from ann_keras.errors import AnnKerasError


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("kind", ["images", "sequences"])
@pytest.mark.parametrize("fmt", exporting.FORMATS)
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
