import json

import pytest
from click.testing import CliRunner

from ann_keras import __version__, training
from ann_keras.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version_and_help():
    assert invoke("--version").output.strip() == f"ann-keras, version {__version__}"
    output = invoke("--help").output
    for command in ("tune", "train", "report", "reproduce", "datasets", "experiments"):
        assert command in output


def test_datasets_and_experiments_list_what_can_be_run():
    assert "digits" in invoke("datasets").output
    listing = invoke("experiments").output
    assert "ann" in listing and "smoke" in listing


@pytest.mark.parametrize("args, message", [
    (["tune", "nope"], "unknown experiment 'nope'; valid choices:"),
    (["tune", "ann", "--profile", "fast"], "unknown profile 'fast'; valid choices: paper, smoke"),
    (["tune", "ann", "--set", "params.hiden_units=3"], "unknown key 'hiden_units'"),
    (["tune", "ann", "--set", "learning_rate=fast"], "learning_rate: expected float, got 'fast'"),
    (["tune", "ann", "--tuner", "genetic"], "'genetic' is not one of"),
    (["train", "ann", "--executions", "0"], "0 is not in the range"),
    (["report", "no/such/run"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_code_2(in_tmp, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (in_tmp / "runs").exists() and not (in_tmp / "reports").exists()


def test_report_on_a_folder_without_results(in_tmp):
    (in_tmp / "empty").mkdir()
    result = invoke("report", "empty")
    assert result.exit_code == 2 and "no results.json here" in result.output


def test_tune_prints_trials_and_summary_and_writes_the_report(in_tmp):
    result = invoke("tune", "ann", "--profile", "smoke", "--seed", "1", "--max-trials", "2")
    assert result.exit_code == 0, result.output
    assert "trial 1/2" in result.output and "trial 2/2" in result.output
    assert "best so far" in result.output
    assert "The paper and us" in result.output and "final model: test accuracy" in result.output
    run_dirs = list((in_tmp / "runs" / "ann").iterdir())
    assert len(run_dirs) == 1
    stored = json.loads((run_dirs[0] / "results.json").read_text())
    assert len(stored["trials"]) == 2 and stored["command"].startswith("ann-keras")
    assert (in_tmp / "reports" / "ann" / "index.html").exists()

    again = invoke("report", str(run_dirs[0]), "--reports-dir", "elsewhere")
    assert again.exit_code == 0 and (in_tmp / "elsewhere" / "ann" / "README.md").exists()
    assert (in_tmp / "elsewhere" / "index.html").exists()


def test_interrupted_tune_resumes_and_keeps_finished_trials(in_tmp, monkeypatch):
    real_fit, calls = training.fit, []

    def interrupted_fit(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt    # Ctrl-C during the third trial
        calls.append(kwargs["seed"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(training, "fit", interrupted_fit)
    first = invoke("tune", "ann", "--profile", "smoke", "--no-report")
    assert first.exit_code == 130 and "run the same command again to resume" in first.output
    assert "trial 2/4" in first.output and "trial 3/4" not in first.output

    monkeypatch.setattr(training, "fit", real_fit)
    resumed_calls = []
    monkeypatch.setattr(training, "fit", lambda *a, **k: resumed_calls.append(1) or real_fit(*a, **k))
    second = invoke("tune", "ann", "--profile", "smoke", "--no-report")
    assert second.exit_code == 0, second.output
    assert "resuming in" in second.output
    assert len(resumed_calls) == 2 + 1      # the two unfinished trials, then the final model
    stored = json.loads(next((in_tmp / "runs" / "ann").glob("*/results.json")).read_text())
    points = sorted((t["hyperparameters"]["learning_rate"], t["hyperparameters"]["iterations"])
                    for t in stored["trials"])
    assert points == [(0.1, 100), (0.1, 200), (0.2, 100), (0.2, 200)]


def test_overwrite_starts_afresh(in_tmp):
    args = ("train", "ann", "--profile", "smoke", "--no-report", "--executions", "1")
    assert invoke(*args).exit_code == 0
    second = invoke(*args)
    assert "resuming in" in second.output
    third = invoke(*args, "--overwrite")
    assert third.exit_code == 0 and "resuming in" not in third.output
