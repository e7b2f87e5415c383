"""`ann-keras evaluate`: a run's final model tested again, with and without test-time augmentation."""

import json

import pytest
from click.testing import CliRunner

from ann_keras import results
from ann_keras.cli import cli
from ann_keras.deploy import evaluate as evaluating


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_settings_for_images_are_none_flip_and_shifts_with_the_runs_own_once():
    plain = evaluating.settings({"tta_flip": False, "tta_translate": 0}, images=True)
    assert plain == [("none", False, 0), ("flip", True, 0), ("flip + translate 2", True, 2)]
    airbench = evaluating.settings({"tta_flip": True, "tta_translate": 1}, images=True)
    assert airbench == [("none", False, 0), ("flip", True, 0), ("flip + translate 1", True, 1)]
    odd = evaluating.settings({"tta_flip": False, "tta_translate": 3}, images=True)
    assert odd[-1] == ("translate 3", False, 3) and len(odd) == 4
    assert evaluating.settings({"tta_flip": True, "tta_translate": 2}, images=False) == [("as trained", True, 2)]


def test_each_variant_is_measured_and_the_runs_own_matches_what_it_recorded(trained_runs):
    done = evaluating.evaluate(trained_runs["images"])
    assert [v.name for v in done.variants] == ["none", "flip", "flip + translate 2"]
    own = [v for v in done.variants if v.as_run]
    assert len(own) == 1 and own[0].name == "none"          # the smoke profile tests without augmentation
    assert own[0].test_accuracy == pytest.approx(done.recorded_accuracy, abs=1e-6)
    final = results.load(trained_runs["images"]).final["metrics"]
    assert own[0].test_loss == pytest.approx(final["test_loss"], rel=1e-4)
    assert done.examples == len(results.load(trained_runs["images"]).final["y_true"])
    assert all(0 <= v.test_accuracy <= 1 and v.seconds >= 0 for v in done.variants)


def test_a_sequence_model_is_tested_once_as_trained(trained_runs):
    done = evaluating.evaluate(trained_runs["sequences"])
    assert len(done.variants) == 1 and done.variants[0].as_run
    assert done.variants[0].test_accuracy == pytest.approx(done.recorded_accuracy, abs=1e-6)


def test_the_command_prints_a_line_per_variant_and_json_for_programs(trained_runs):
    result = invoke("evaluate", trained_runs["images"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "test examples; the run recorded" in lines[0]
    assert lines[1].startswith("* none") and "test accuracy" in lines[1] and len(lines) == 4
    parsed = json.loads(invoke("evaluate", trained_runs["vectors"], "--json").output)
    assert parsed["variants"][0]["name"] == "as trained" and parsed["examples"] > 0


def test_a_folder_that_is_not_a_run_is_one_line_and_exit_2(tmp_path):
    result = invoke("evaluate", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no results.json here; valid: a run folder" in result.output


def test_evaluate_waits_its_turn_while_another_process_holds_the_run_folder(trained_runs):
    import subprocess
    import sys

    from test_locks import HOLDER
    run_dir = trained_runs["vectors"]
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = invoke("evaluate", run_dir)
        assert result.exit_code == 2 and result.output.strip().count("\n") == 0
        assert f"{run_dir} is in use by process {holder.pid} " in result.output
    finally:
        holder.kill()
        holder.wait()
    assert invoke("evaluate", run_dir).exit_code == 0
