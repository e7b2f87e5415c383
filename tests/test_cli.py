import json

import pytest
from click.testing import CliRunner

from ann_keras import __version__
from ann_keras.training import fitting
from ann_keras.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version_and_help():
    assert invoke("--version").output.strip() == f"ann-keras, version {__version__}"
    output = invoke("--help").output
    for command in ("tune", "train", "report", "reproduce", "datasets", "experiments"):
        assert command in output


HEAVY = ("sklearn", "tensorflow", "keras", "pandas", "matplotlib")


@pytest.mark.parametrize("args", [["--help"], ["experiments"]])
def test_help_and_experiments_import_no_heavy_library(args):
    """They answer at once: scikit-learn, TensorFlow, Keras, pandas and matplotlib load only where used."""
    import subprocess
    import sys
    code = ("import runpy, sys\n"
            f"sys.argv = ['ann-keras', *{args!r}]\n"
            "try:\n    runpy.run_module('ann_keras', run_name='__main__')\n"
            "except SystemExit as done:\n    assert not done.code, done.code\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


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
    (["tune", "ann", "--dataset", "mnist"], "unknown data set 'mnist'; valid choices: aeon:NAME, cifar10, digits"),
    (["train", "rnn", "--dataset", "synthetic-images"],
     "the rnn model needs sequences (time steps, channels), but data set 'synthetic-images' gives images"),
    (["train", "cnn", "--dataset", "images"], "data set 'images' needs a path: images:PATH, or images with --data"),
    (["train", "ann", "--executions", "0"], "0 is not in the range"),
    (["report", "no/such/run"], "does not exist"),
    (["tune", "ann", "--role", "worker"], "--role worker needs --chief HOST:PORT and --worker-id ID"),
    (["tune", "ann", "--workers", "2", "--role", "chief", "--listen", "h:1"], "cannot be combined with --role"),
    (["tune", "ann", "--workers", "0"], "0 is not in the range"),
    (["tune", "ann", "--workers", "2", "--strategy", "mirrored"], "choose one"),
    (["tune", "ann", "--role", "chief", "--listen", "0.0.0.0"], "--listen '0.0.0.0': expected HOST:PORT"),
    (["tune", "ann", "--role", "worker", "--chief", "h:1", "--worker-id", "w1", "--overwrite"],
     "--overwrite is for the chief"),
])
def test_bad_input_is_one_line_and_exit_code_2(in_tmp, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (in_tmp / "runs").exists() and not (in_tmp / "reports").exists()


@pytest.mark.parametrize("args, message", [
    (["train", "ann", "--seed", "-1"], "-1 is not in the range 0<=x<=2147483647"),
    (["tune", "ann", "--seed", str(2**32)], "4294967296 is not in the range"),
    (["reproduce", "ann", "--seed", "-5"], "-5 is not in the range"),
    (["train", "ann", "--profile", "smoke", "--data", "."], "data set 'digits' (profile smoke) reads no files"),
    (["train", "cnn", "--profile", "smoke", "--data", "."], "data set 'synthetic-images' (profile smoke) reads no"),
    (["train", "ann", "--set", "learning_rate=inf"], "inf is not a finite number"),
    (["train", "ann", "--set", "hidden_units=10000000000000"], "is out of range; expected >= 1 and <= 4096"),
    (["train", "ann", "--set", "hidden_units=" + "[" * 3000 + "]" * 3000], "nested too deeply"),
])
def test_out_of_range_and_ignored_options_are_one_line_and_exit_code_2(in_tmp, args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (in_tmp / "runs").exists() and not (in_tmp / "reports").exists()


def test_data_is_refused_when_the_spec_already_reads_a_path(in_tmp, cnn_spec):
    text = cnn_spec.read_text().replace("image_size = 8, validation_size = 0.3",
                                        'image_size = 8, validation_size = 0.3, path = "elsewhere"')
    cnn_spec.write_text(text)
    result = invoke("train", str(cnn_spec), "--profile", "smoke", "--data", ".")
    assert result.exit_code == 2 and "the spec already reads [data] path = 'elsewhere'" in result.output


@pytest.mark.parametrize("name", ["..", "../../outside", "/tmp/absolute-report"])
def test_a_results_json_naming_a_folder_outside_reports_writes_nothing(in_tmp, fixture_results, name):
    data = json.loads(fixture_results.read_text())
    data["spec"]["report_name"] = name
    (in_tmp / "a" / "b" / "run").mkdir(parents=True)
    (in_tmp / "a" / "b" / "run" / "results.json").write_text(json.dumps(data))
    (in_tmp / "a" / "README.md").write_text("mine")
    before = sorted(p for p in in_tmp.rglob("*"))
    result = invoke("report", "a/b/run", "--reports-dir", "a/b/reports")
    assert result.exit_code == 2 and "cannot name a folder" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p for p in in_tmp.rglob("*")) == before and (in_tmp / "a" / "README.md").read_text() == "mine"
    assert not __import__("pathlib").Path("/tmp/absolute-report").exists()


def test_a_spec_named_outside_runs_writes_nothing(in_tmp, spec_file):
    path = spec_file(('name = "ann"', 'name = "../escape"'))
    result = invoke("train", str(path), "--profile", "smoke", "--runs-dir", "deep/runs")
    assert result.exit_code == 2 and "name: '../escape' cannot name a folder" in result.output
    assert not (in_tmp / "deep").exists() and not (in_tmp / "escape").exists()


def test_a_busy_run_folder_is_refused_naming_its_holder(in_tmp):
    import subprocess
    import sys

    from ann_keras.search.run import Run
    from ann_keras import experiments
    run_dir = Run(experiments.load("ann", "smoke"), "train", 42, in_tmp / "runs").folder
    code = ("import sys, time; from ann_keras.search import locks\n"
            "with locks.hold(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = invoke("train", "ann", "--profile", "smoke")
        assert result.exit_code == 2 and f"is in use by process {holder.pid}" in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not run_dir.exists()
    finally:
        holder.kill()
        holder.wait()
    assert invoke("train", "ann", "--profile", "smoke").exit_code == 0   # a killed holder blocks nothing


def test_half_set_keras_tuner_variables_are_one_line_and_exit_code_2(in_tmp, monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "10.0.0.5")
    result = invoke("tune", "ann", "--profile", "smoke")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "KERASTUNER_ORACLE_IP set but KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_PORT not" in result.output


def test_report_on_a_folder_without_results(in_tmp):
    (in_tmp / "empty").mkdir()
    result = invoke("report", "empty")
    assert result.exit_code == 2 and "no results.json here" in result.output


def test_tune_prints_trials_and_summary_and_writes_the_report(in_tmp):
    result = invoke("tune", "ann", "--profile", "smoke", "--seed", "1", "--max-trials", "2")
    assert result.exit_code == 0, result.output
    assert "trial 1/2" in result.output and "trial 2/2" in result.output
    assert "best so far" in result.output
    assert "The paper numbers and ours" in result.output and "final model: test accuracy" in result.output
    run_dirs = [p for p in (in_tmp / "runs" / "ann").iterdir() if p.is_dir()]
    assert len(run_dirs) == 1 and (in_tmp / "runs" / "ann" / f".{run_dirs[0].name}.lock").is_file()
    stored = json.loads((run_dirs[0] / "results.json").read_text())
    # The command as typed (CliRunner's arguments here), not the test runner's sys.argv
    assert len(stored["trials"]) == 2
    assert stored["command"] == "ann-keras tune ann --profile smoke --seed 1 --max-trials 2"
    assert (in_tmp / "reports" / "ann-smoke" / "index.html").exists()

    again = invoke("report", str(run_dirs[0]), "--reports-dir", "elsewhere")
    assert again.exit_code == 0 and (in_tmp / "elsewhere" / "ann-smoke" / "README.md").exists()
    assert (in_tmp / "elsewhere" / "index.html").exists()


def test_reproduce_records_the_command_as_typed(in_tmp, monkeypatch, fixture_results):
    from ann_keras import commands, results
    result, given = results.load(fixture_results), []

    def run(kind, experiment, choices, on_event, **_):   # the training itself is tested elsewhere
        given.append(choices.argv)
        return commands.Outcome(result, in_tmp / "run")

    monkeypatch.setattr(commands, "_run", run)
    outcome = invoke("reproduce", "ann", "--seed", "3")
    assert outcome.exit_code == 0, outcome.output
    assert given == [("reproduce", "ann", "--seed", "3")]
    record = json.loads((in_tmp / "reports" / "reproduce.json").read_text())
    assert record["command"] == "ann-keras reproduce ann --seed 3"


def test_interrupted_tune_resumes_and_keeps_finished_trials(in_tmp, monkeypatch):
    real_fit, calls = fitting.fit, []

    def interrupted_fit(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt    # Ctrl-C during the third trial
        calls.append(kwargs["seed"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(fitting, "fit", interrupted_fit)
    first = invoke("tune", "ann", "--profile", "smoke", "--no-report")
    assert first.exit_code == 130 and "run the same command again to resume" in first.output
    assert "trial 2/4" in first.output and "trial 3/4" not in first.output

    monkeypatch.setattr(fitting, "fit", real_fit)
    resumed_calls = []
    monkeypatch.setattr(fitting, "fit", lambda *a, **k: resumed_calls.append(1) or real_fit(*a, **k))
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


# ---------------------------------------------------------------- image data through the command line


@pytest.fixture
def cnn_spec(tmp_path):
    """tuning/cnn.toml whose smoke profile reads real files (--data) instead of synthetic images."""
    from conftest import ROOT
    text = (ROOT / "tuning" / "cnn.toml").read_text()
    text = text.replace('dataset = "synthetic-images"\n', "")
    text = text.replace("image_size = 16, validation_size = 0.2", "image_size = 8, validation_size = 0.3")
    path = tmp_path / "cnn-files.toml"
    path.write_text(text)
    return path


def test_cnn_smoke_tune_reports_augmentation_and_three_heatmaps(in_tmp):
    result = invoke("tune", "cnn", "--profile", "smoke")
    assert result.exit_code == 0, result.output
    page = (in_tmp / "reports" / "cnn-smoke" / "index.html").read_text()
    # Table I drawn beside ours, three heatmaps, two curves, augmentation samples
    figures = {p.name for p in (in_tmp / "reports" / "cnn-smoke").glob("*.png")}
    assert {"augmentation.png", "main_effects.png", "trials_val_accuracy.png"} <= figures
    assert 'id="augmentation"' in page and page.count('src="data:image/png;base64,') == len(figures)
    from test_reports import github
    markdown = github((in_tmp / "reports" / "cnn-smoke" / "README.md").read_text())
    # Synthetic classes are not CIFAR-10's: no Table I column, no figure beside it (test_reports has them)
    assert "paper_accuracy" not in markdown and "per_class_beside_paper" not in markdown
    assert "best configuration" in markdown and "76.3%" in markdown


def test_cnn_reads_an_image_tree_given_with_data(in_tmp, cnn_spec, monkeypatch):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(in_tmp / "cache"))
    tree = make_tree(in_tmp / "tree", classes=("<img src=x onerror=alert(1)>", "dog", "ship"), per_class=12)
    result = invoke("train", str(cnn_spec), "--profile", "smoke", "--data", str(tree), "--executions", "1")
    assert result.exit_code == 0, result.output
    page = (in_tmp / "reports" / "cnn-smoke" / "index.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_any_experiment_runs_on_another_data_set_with_dataset(in_tmp, monkeypatch):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(in_tmp / "cache"))
    tree = make_tree(in_tmp / "pictures", per_class=12)
    result = invoke("train", "cnn", "--profile", "smoke", "--dataset", "images", "--data", str(tree),
                    "--executions", "1", "--set", "data.image_size=8")
    assert result.exit_code == 0, result.output
    report = in_tmp / "reports" / "cnn-smoke-images"   # the smoke profile's page, on other data
    markdown = (report / "README.md").read_text()
    assert "on images instead of synthetic-images" in markdown and "--dataset images --data" in markdown
    assert "76.3%" not in markdown   # the paper's CIFAR-10 numbers stay on the CIFAR-10 page
    results = json.loads(next((in_tmp / "runs" / "cnn").glob("*/results.json")).read_text())
    assert results["dataset"]["fingerprint"] and results["spec"]["dataset_option"] == "images"


def truncated_archive(root):
    path = root / "bad.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08 truncated")
    return path


def tree_without_test_split(root):
    from test_images import make_tree
    return make_tree(root / "t", splits=("train",))


@pytest.mark.parametrize("make, message", [
    (truncated_archive, "unreadable archive"),
    (tree_without_test_split, "no 'test' split"),
])
def test_bad_image_data_is_one_line_and_exit_code_2(in_tmp, cnn_spec, make, message):
    path = make(in_tmp)
    result = invoke("train", str(cnn_spec), "--profile", "smoke", "--data", str(path))
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_model_and_data_of_different_shapes_get_a_clear_message(in_tmp, cnn_spec):
    text = cnn_spec.read_text().replace('dataset = "cifar10"', 'dataset = "digits"')
    cnn_spec.write_text(text)
    result = invoke("train", str(cnn_spec), "--profile", "smoke")
    assert result.exit_code == 2
    # Refused when the spec is read, from what the data source declares: nothing is loaded or trained.
    assert ("the cnn model needs images (height, width, channels), but data set 'digits' gives vectors of features; "
            "valid choices: cifar10, images:PATH, synthetic-images") in result.output


# ---------------------------------------------------------------- recurrent networks


def test_rnn_and_lstm_smoke_runs_write_their_own_report_pages(in_tmp):
    for experiment in ("rnn", "lstm"):
        result = invoke("tune", experiment, "--profile", "smoke")
        assert result.exit_code == 0, result.output
        # The smoke profiles run on digits-seq and BasicMotions: JapaneseVowels' published results stay out.
        assert "test accuracy (published result)" not in result.output
    assert (in_tmp / "reports" / "rnn-smoke" / "index.html").exists()
    markdown = (in_tmp / "reports" / "lstm-smoke" / "README.md").read_text()
    assert "MLSTM-FCN" not in markdown and "LSTM grid: smoke test on BasicMotions" in markdown


def test_datasets_lists_the_shipped_aeon_sets():
    output = invoke("datasets").output
    assert "aeon:NAME" in output and "JapaneseVowels" in output and "BasicMotions" in output


def test_images_given_to_the_rnn_get_a_clear_message(in_tmp, spec_file):
    from conftest import ROOT
    path = in_tmp / "rnn-images.toml"
    path.write_text((ROOT / "tuning" / "rnn.toml").read_text().replace(
        'dataset = "digits-seq"\nreport_name = "rnn-smoke"', 'dataset = "synthetic-images"\nreport_name = "x"'))
    result = invoke("train", str(path), "--profile", "smoke")
    assert result.exit_code == 2
    assert ("the rnn model needs sequences (time steps, channels), but data set 'synthetic-images' gives images "
            "(height, width, channels); valid choices: aeon:NAME, digits-seq, ts:PATH") in result.output


def test_the_rnn_trains_on_your_own_ts_files_and_refuses_broken_ones(in_tmp):
    from test_ts_files import walks
    train = walks(in_tmp / "series", per_class=12)
    result = invoke("train", "rnn", "--profile", "smoke", "--dataset", f"ts:{train}", "--executions", "1")
    assert result.exit_code == 0, result.output
    pages = list((in_tmp / "reports").glob("rnn-smoke-ts-*/README.md"))
    assert len(pages) == 1 and "Walks_TRAIN.ts" in pages[0].with_name("index.html").read_text()
    (in_tmp / "series" / "Walks_TEST.ts").write_bytes(b"\x00\xff garbage")
    result = invoke("train", "rnn", "--profile", "smoke", "--dataset", f"ts:{train}", "--executions", "1")
    assert result.exit_code == 2 and "Walks_TEST.ts: not a readable .ts file" in result.output
    assert len(result.output.strip().splitlines()) == 1


# ---------------------------------------------------------------- no write follows a link out of its folder

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WRITERS = {   # every command that writes, with the folders it is given (RUNS, REPORTS, RUN: the trained run)
    "train": ["train", "ann", "--profile", "smoke", "--runs-dir", "RUNS", "--reports-dir", "REPORTS",
              "--progress", "none", "--no-tensorboard"],
    "tune": ["tune", "ann", "--profile", "smoke", "--runs-dir", "RUNS", "--reports-dir", "REPORTS",
             "--progress", "none", "--max-trials", "1"],
    "report": ["report", "RUN", "--reports-dir", "REPORTS"],
    "export": ["export", "RUN", "--format", "keras"],
}


def _state(folder):
    """Every path below `folder` with its kind, bytes and modification time: what a write would change."""
    import os
    state = {}
    for path in sorted(folder.rglob("*")):
        info = os.lstat(path)
        state[str(path.relative_to(folder))] = (info.st_mode, info.st_mtime_ns,
                                                path.read_bytes() if path.is_file() else None)
    return state


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A tree as the writing commands leave it: a trained run, a tuned one, their reports and an export."""
    root = tmp_path_factory.mktemp("written")
    for name in ("train", "tune", "export"):
        args = [str(root / a) if a in ("RUNS", "REPORTS") else a for a in WRITERS[name]]
        if name == "export":
            args[1] = str(next((root / "RUNS" / "ann").glob("smoke-train*")))
        done = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert done.exit_code == 0, done.output
    # The folders a command is given (--runs-dir, --reports-dir) may be links, to another disk say: a link is
    # planted only below them.
    paths = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                   if not p.name.startswith(".") and p.name not in ("RUNS", "REPORTS"))
    return root, paths


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_no_writing_command_follows_a_link_planted_where_it_writes(written, tmp_path_factory, data):
    """Any file or folder a command writes, replaced by a link to the same thing elsewhere: the command refuses
    in one line (exit 2) or writes only inside its own folders; the linked copy is never changed."""
    import shutil
    source, paths = written
    root = tmp_path_factory.mktemp("planted")
    shutil.copytree(source, root / "tree", symlinks=True)
    tree, elsewhere = root / "tree", root / "elsewhere"
    planted = data.draw(st.sampled_from(paths))
    elsewhere.mkdir()
    shutil.move(tree / planted, elsewhere / "moved")
    (tree / planted).symlink_to(elsewhere / "moved", target_is_directory=(elsewhere / "moved").is_dir())
    before = _state(elsewhere)
    command = data.draw(st.sampled_from(sorted(WRITERS)))
    if planted.startswith("RUNS/") and planted.count("/") == 2 and command in ("report", "export"):
        command = "train"   # the run folder handed to report or export is given, as --runs-dir is
    run = next((tree / "RUNS" / "ann").glob("smoke-train*"), None)
    args = [str(tree / a) if a in ("RUNS", "REPORTS") else str(run) if a == "RUN" else a for a in WRITERS[command]]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code in (0, 2) and not done.exception or isinstance(done.exception, SystemExit), \
        (planted, command, done.output)
    if done.exit_code == 2:
        errors = [line for line in done.output.splitlines() if line.startswith("ann-keras:")]
        assert len(errors) == 1 and "Traceback" not in done.output, done.output   # progress lines may precede it
    assert _state(elsewhere) == before, (planted, command)
