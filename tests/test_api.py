import json
import subprocess
import sys

import pytest

import ann_keras
from ann_keras import api, commands, data
from ann_keras.errors import AnnKerasError, SpecError


def test_import_ann_keras_stays_cheap_and_the_api_is_found_on_first_use():
    code = ("import sys, ann_keras\n"
            "heavy = {'tensorflow', 'keras', 'sklearn', 'pandas', 'matplotlib', 'ann_keras.api'}\n"
            "before = sorted(heavy & set(sys.modules))\n"
            "ann_keras.tune\n"
            "print(before, 'ann_keras.api' in sys.modules, sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[] True []", done.stderr
    assert {"tune", "train", "report", "Outcome"} <= set(dir(ann_keras))
    assert ann_keras.tune is api.tune and ann_keras.Outcome is commands.Outcome
    with pytest.raises(AttributeError, match="no attribute 'tunes'"):
        ann_keras.tunes


def choices_of(function, experiment="ann", **keywords):
    """Return the commands.Choices an API call would run with, without running it."""
    arguments = {name: parameter.default for name, parameter in
                 __import__("inspect").signature(function).parameters.items() if name != "experiment"}
    arguments.update(keywords)
    return api._choices(api._call(function, function.__name__, experiment, arguments), arguments)


def test_overrides_as_a_dict_become_the_set_strings_the_spec_reads():
    choices = choices_of(api.tune, overrides={"learning_rate": 0.05, "search.hidden_units": [16, 32],
                                              "optimizer": "adam", "tuner.paper_runs": False})
    assert choices.overrides == ("learning_rate=0.05", "search.hidden_units=[16, 32]", 'optimizer="adam"',
                                 "tuner.paper_runs=false")
    spec = commands._load_spec("ann", choices)
    assert spec.params["learning_rate"] == 0.05 and spec.search["hidden_units"] == [16, 32]
    assert spec.tuner["paper_runs"] is False


def test_the_record_is_the_python_call_with_the_arguments_given():
    choices = choices_of(api.tune, profile="smoke", overrides={"learning_rate": 0.05}, seed=42, max_trials=2)
    assert commands._command("tune", "ann", choices) == \
        'ann_keras.tune("ann", profile="smoke", overrides={"learning_rate": 0.05}, max_trials=2)'
    choices = choices_of(api.train, "tuning/ann.toml", data=".", on_event=print, report=False)
    assert commands._command("train", "ann", choices) == \
        'ann_keras.train("tuning/ann.toml", data=".", report=False)'
    # The command line still records what was typed, and a library caller what its call amounts to
    assert commands._command("tune", "ann", commands.Choices(argv=("tune", "ann", "--set", "x=a b"))) == \
        "ann-keras tune ann --set 'x=a b'"
    assert commands._command("train", "ann", commands.Choices()) == "ann-keras train ann"


@pytest.mark.parametrize("keywords, error, message", [
    ({"seed": -1}, AnnKerasError, "seed: -1 is not a whole number from 0 to 2147483647"),
    ({"seed": 1.5}, AnnKerasError, "seed: 1.5 is not a whole number"),
    ({"progress": "loud"}, AnnKerasError, "progress: 'loud' is not one of: auto, bar, line, none"),
    ({"overrides": ["learning_rate=0.1"]}, AnnKerasError, "overrides: expected a dict of settings"),
    ({"overrides": {"learning_rate": object()}}, SpecError, "learning_rate = <object"),
    ({"overrides": {"a=b": 1}}, SpecError, "key 'a=b' is not a setting name"),
    ({"data": "no/such/folder"}, AnnKerasError, "data: 'no/such/folder' does not exist"),
])
def test_bad_arguments_name_the_value_and_what_is_valid(keywords, error, message):
    with pytest.raises(error, match=__import__("re").escape(message)):
        choices_of(api.train, **keywords)


def test_an_unknown_setting_in_overrides_is_refused_before_anything_runs(in_tmp):
    with pytest.raises(SpecError, match="unknown key 'hiden_units'"):
        ann_keras.train("ann", profile="smoke", overrides={"hiden_units": 3})
    assert not (in_tmp / "runs").exists()


@pytest.mark.slow
def test_a_smoke_tune_records_the_python_call_and_returns_a_model_that_predicts(in_tmp):
    heard = []
    run = ann_keras.tune("ann", profile="smoke", overrides={"search.learning_rate": [0.05], "hidden_units": 16,
                                                            "search.hidden_units": [16]}, on_event=heard.append)
    call = ('ann_keras.tune("ann", profile="smoke", overrides={"search.learning_rate": [0.05], "hidden_units": 16, '
            '"search.hidden_units": [16]})')
    stored = json.loads((run.run_dir / "results.json").read_text())
    assert stored["command"] == run.result.command == call
    # The Markdown pages escape _ and [ ] in text from the run
    assert call in (run.run_dir / "final" / "MODEL_CARD.md").read_text().replace("\\", "")
    assert call in (in_tmp / "reports" / "ann-smoke" / "README.md").read_text().replace("\\", "")
    assert run.report.resolve() == in_tmp / "reports" / "ann-smoke" / "index.html" and run.report.exists()
    # The dict's values were applied: the grid is 1 learning rate x 2 iterations x 1 width
    points = sorted((t["hyperparameters"]["learning_rate"], t["hyperparameters"]["hidden_units"])
                    for t in stored["trials"])
    assert points == [(0.05, 16), (0.05, 16)] and heard

    # The model returned is the one the run tested: the same answers on the run's own test split
    digits = data.load(run.result.spec["dataset"], seed=run.result.seed, **run.result.spec["data"])
    outputs = run.model.predict(digits.x_test, verbose=0)
    assert outputs.shape == (len(digits.y_test), 10)
    assert outputs.argmax(axis=1).tolist() == run.result.final["y_pred"]
    assert run.model is run.model   # loaded once, then kept

    again = ann_keras.report(run.run_dir, reports_dir="elsewhere")
    assert again.resolve() == in_tmp / "elsewhere" / "ann-smoke" / "index.html" and again.exists()
    assert (in_tmp / "elsewhere" / "index.html").exists()
