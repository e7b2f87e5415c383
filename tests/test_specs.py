import re
import tomllib

import pytest

from ann_keras import experiments, specs
from ann_keras.errors import SpecError


def test_ann_spec_holds_the_papers_protocol():
    spec = experiments.load("ann")
    assert spec.profile == "paper"
    p = spec.params
    assert (p["learning_rate"], p["iterations"], p["hidden_units"]) == (0.1, 5000, 32)
    assert (p["activation"], p["loss"], p["optimizer"], p["batch_size"]) == ("sigmoid", "mse", "sgd", 0)
    assert spec.search == {"learning_rate": [0.1, 0.2], "iterations": [5000, 10000], "hidden_units": [32, 45]}
    assert spec.data["test_size"] == 0.2
    reported = {run["name"]: run.get("test_accuracy") for run in spec.paper["runs"]}
    assert reported["baseline"] == 0.91 and reported["hidden units 45"] == 0.859
    lowered = {run["name"] for run in spec.paper["runs"] if run.get("expect") == "below"}
    assert {"learning rate 0.05", "iterations 2500", "hidden units 16"} <= lowered
    assert spec.counted_in == "iterations"


def test_profile_overrides_only_what_it_names():
    spec = experiments.load("ann", "smoke")
    assert spec.params["iterations"] == 200
    assert spec.params["hidden_units"] == 32          # untouched by the profile
    assert spec.search["hidden_units"] == [32]
    assert spec.tuner["executions"] == 1


def test_smoke_profiles_never_write_a_shipped_report():
    # A smoke run (the tests, a quick try) must not overwrite reports/<name>/, the reference reports
    # `make reproduce` made, nor the page any other profile of any spec reports on.
    from conftest import ROOT
    shipped = {path.parent.name for path in (ROOT / "reports").glob("*/results.json")}
    assert {"ann", "cnn", "cnn-fast"} <= shipped
    smoke, other = {}, {}
    for path in sorted((ROOT / "tuning").glob("*.toml")):
        for profile in tomllib.loads(path.read_text())["profiles"]:
            spec = experiments.load(str(path), profile)
            (smoke if "smoke" in profile else other)[f"{path.name} [profiles.{profile}]"] = spec.report_name
    assert len(smoke) >= 5   # the five shipped specs each have one
    clashes = {where: name for where, name in smoke.items() if name in shipped or name in other.values()}
    assert clashes == {}


def test_set_overrides_values_and_parses_toml_literals():
    spec = experiments.load("ann", "smoke", ("learning_rate=0.05", "params.optimizer=adam",
                                             "search.hidden_units=[8, 16]", "tuner.executions=2"))
    assert spec.params["learning_rate"] == 0.05
    assert spec.params["optimizer"] == "adam"
    assert spec.search["hidden_units"] == [8, 16]
    assert spec.tuner["executions"] == 2


def test_integer_is_accepted_where_a_float_is_expected():
    assert experiments.load("ann", "smoke", ("learning_rate=1",)).params["learning_rate"] == 1.0


def test_digest_changes_with_what_is_computed_only():
    base = experiments.load("ann", "smoke")
    assert base.digest() == experiments.load("ann", "smoke").digest()
    assert base.digest() != experiments.load("ann", "smoke", ("learning_rate=0.3",)).digest()


def test_experiment_can_be_a_path(spec_file):
    path = spec_file(('title = "ANN on digits (paper section II)"', 'title = "mine"'))
    assert experiments.load(str(path)).title == "mine"


@pytest.mark.parametrize("replacement, message", [
    (("hidden_units = 32\n", "hiden_units = 32\n"), "unknown key 'hiden_units'"),
    (("learning_rate = 0.1\n", 'learning_rate = "fast"\n'), "learning_rate: expected float, got 'fast'"),
    (("learning_rate = 0.1\n", "learning_rate = -0.1\n"), "-0.1 is out of range"),
    (('activation = "sigmoid"', 'activation = "swish"'), "'swish' is not one of: relu, sigmoid, tanh"),
    (("hidden_units = [32, 45]", "hidden_units = []"), "needs a non-empty list"),
    (("hidden_units = [32, 45]", "hidden_units = [32, 32]"), "values repeat"),
    (('name = "grid"', 'name = "genetic"'), "'genetic' is not one of: bayesian, grid, hyperband, random"),
    (('model = "mlp"', 'model = "transformer"'), "model 'transformer' is not one of: airbench, cnn, mlp"),
    (("iterations = 5000            #", "iterations = 5100            #"), "not a multiple of log_every"),
    (('default_profile = "paper"', 'default_profile = "fast"'), "unknown profile 'fast'"),
    (("[tuner]", "[tunr]"), "unknown key 'tunr'; valid keys:"),
])
def test_bad_spec_values_name_the_file_key_and_choices(spec_file, replacement, message):
    path = spec_file(replacement)
    with pytest.raises(SpecError) as raised:
        experiments.load(str(path))
    assert message in str(raised.value)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("replacement, message", [
    (('name = "ann"', 'name = ".."'), "name: '..' cannot name a folder"),
    (('name = "ann"', 'name = "../../X"'), "name: '../../X' cannot name a folder"),
    (('name = "ann"', 'name = "/tmp/abs"'), "cannot name a folder"),
    (('report_name = "ann-smoke"', 'report_name = "javascript:alert(1)"'),
     "report_name: 'javascript:alert(1)' cannot name a folder"),
    (('report_name = "ann-smoke"', 'report_name = "../up"'), "cannot name a folder"),
    (('default_profile = "paper"', 'default_profile = ["paper"]'), "default_profile must be a string"),
    (("[profiles.paper]\n", "[profiles]\nbroken = 5\n[profiles.paper]\n"),
     "[profiles.broken]: profile must be a table"),
    (("[profiles.smoke]\n", "[profiles.smoke]\ndataset = 5\n"), "dataset must be a string, got 5"),
    (("params = { iterations = 200, log_every = 100 }", "params = 5"), "params must be a table, got 5"),
    (('description = """', 'description = 5\nxdescription = """'), "unknown key 'xdescription'"),
    (('title = "ANN on digits (paper section II)"', "title = 5"), "title must be a string, got 5"),
    (('source = "Training Artificial Neural Networks, section II"', "source = 5"), "source must be a string"),
    (('notes = """', 'notes = 5\nnotes2 = """'), "unknown key 'notes2'"),
    (("learning_rate = 0.1\n", "learning_rate = inf\n"), "inf is not a finite number"),
    (("learning_rate = 0.1\n", "learning_rate = nan\n"), "nan is not a finite number"),
    (("hidden_units = 32\n", "hidden_units = 10000000000000\n"),
     "10000000000000 is out of range; expected >= 1 and <= 4096"),
    (("iterations = 200,", "iterations = 100000000000000000000,"), "is out of range"),
])
def test_values_of_the_wrong_type_or_size_are_refused(spec_file, replacement, message):
    path = spec_file(replacement)
    with pytest.raises(SpecError) as raised:
        experiments.load(str(path), "smoke")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_description_or_notes_of_the_wrong_type_is_refused_before_training(spec_file):
    text = spec_file().read_text()
    start = text.index('description = """')
    path = spec_file((text[start:text.index('"""', start + 20) + 3], "description = 5"))
    with pytest.raises(SpecError, match="description must be a string, got 5"):
        experiments.load(str(path), "smoke")
    start = text.index('notes = """')
    path = spec_file((text[start:text.index('"""', start + 20) + 3], "notes = 5"))
    with pytest.raises(SpecError, match="notes must be a string, got 5"):
        experiments.load(str(path), "smoke")


def test_deeply_nested_values_are_one_line_errors(spec_file):
    path = spec_file(("hidden_units = 32\n", "hidden_units = " + "[" * 5000 + "]" * 5000 + "\n"))
    with pytest.raises(SpecError, match="nested too deeply"):
        experiments.load(str(path))
    with pytest.raises(SpecError, match="nested too deeply"):
        experiments.load("ann", "smoke", ("hidden_units=" + "[" * 5000 + "]" * 5000,))


def test_toml_syntax_error_names_the_file(spec_file):
    path = spec_file(("hidden_units = 32\n", "hidden_units = = 32\n"))
    with pytest.raises(SpecError, match="TOML syntax error"):
        experiments.load(str(path))


@pytest.mark.parametrize("item, message", [
    ("learning_rate", "expected key=value"),
    ("model.learning_rate=1", "unknown table 'model'"),
    ("params.hidden_unit=3", "unknown key 'hidden_unit'"),
    ("tuner.executions=0", "0 is out of range"),
    ("search.iterations=5000", "needs a non-empty list"),
])
def test_bad_overrides_are_refused(item, message):
    with pytest.raises(SpecError, match=message):
        experiments.load("ann", "smoke", (item,))


def test_unknown_experiment_lists_the_valid_ones():
    with pytest.raises(SpecError, match=r"unknown experiment 'nope'; valid choices: .*ann"):
        specs.find("nope")


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(SpecError, match="unknown profile 'fast'; valid choices: paper, smoke"):
        experiments.load("ann", "fast")


def test_missing_spec_file():
    with pytest.raises(SpecError, match="does not exist"):
        specs.find("no/such/spec.toml")


def test_specs_are_found_from_any_folder(in_tmp):
    assert "ann" in specs.available()
    assert experiments.load("ann").name == "ann"


def test_options_left_at_their_defaults_do_not_change_the_run_folder():
    # A release that adds an option with a neutral default must still resume old runs.
    base = experiments.load("cnn", "smoke")
    assert base.digest() == experiments.load("cnn", "smoke", ("weight_decay=0.0", "schedule=constant")).digest()
    assert base.digest() != experiments.load("cnn", "smoke", ("weight_decay=0.001",)).digest()


# ---------------------------------------------------------------- any input: loads, or the project's own error

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ann_keras import models  # noqa: E402
from ann_keras.specs.fields import DATA_FIELDS, TUNER_FIELDS  # noqa: E402

toml_values = st.recursive(
    st.none().map(lambda _: "true") | st.integers(-2**70, 2**70).map(str)
    | st.floats(allow_nan=True).map(lambda f: repr(f).replace("inf", "inf").replace("nan", "nan"))
    | st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
    lambda inner: st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    max_leaves=12)
keys = st.sampled_from(sorted({*models.PARAMS["mlp"], *DATA_FIELDS, *TUNER_FIELDS, "x"}))
tables = st.sampled_from(["", "params.", "data.", "tuner.", "search.", "final.", "augment.", "model."])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(tables, keys, toml_values | st.text(max_size=30)), max_size=4))
def test_any_set_value_loads_or_raises_a_spec_error(in_tmp, overrides):
    items = tuple(f"{table}{key}={value}" for table, key, value in overrides)
    try:
        spec = experiments.load("ann", "smoke", items)
    except SpecError as error:
        assert "\n" not in str(error)
    else:
        spec.digest()
    assert list(in_tmp.iterdir()) == []


def _family_keys(experiment: str) -> list[str]:
    """Every key a spec of `experiment` may set: its family's [params], [augment], [data], [tuner], [baselines]."""
    from ann_keras.models.aeon_classifiers import OPTIONS
    from ann_keras.models.augment import FIELDS as AUGMENT_FIELDS
    family = experiments.load(experiment, "smoke").model
    return sorted({*models.PARAMS[family], *AUGMENT_FIELDS, *DATA_FIELDS, *TUNER_FIELDS, *OPTIONS,
                   *(option for options in OPTIONS.values() for option in options)})


hostile_numbers = (st.sampled_from(["-1", "0", "-0.5", "1e308", "10000000000000000000000", "nan", "-inf", "inf",
                                    "true", '"1"', "[]", "[1, -1]", "{}"])
                   | st.integers(-2**70, 2**70).map(str) | toml_values)


@pytest.mark.parametrize("experiment", ["cnn", "cnn-fast", "rnn", "lstm"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_key_of_every_family_takes_hostile_numbers_as_a_spec_error_or_a_valid_spec(in_tmp, experiment, data):
    """Negative, zero, huge, NaN and wrong-type values of every key the image and sequence families added."""
    key = data.draw(st.sampled_from(_family_keys(experiment)))
    table = data.draw(st.sampled_from(["params.", "augment.", "data.", "tuner.", "search.", "final.",
                                       "baselines.minirocket.", "baselines.fcn."]))
    value = data.draw(hostile_numbers)
    try:
        spec = experiments.load(experiment, "smoke", (f"{table}{key}={value}",))
    except SpecError as error:
        assert "\n" not in str(error)
    else:
        spec.digest()
    assert list(in_tmp.iterdir()) == []


spec_text = st.text(alphabet=st.sampled_from(list('abcdefghijklmnopqrstuvwxyz_=[]{}."\'0123456789 \n.-/')),
                    max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["name", "title", "default_profile", "dataset", "model", "params", "profiles",
                        "profiles.smoke", "profiles.smoke.params", "paper", "paper.runs"]), toml_values, spec_text)
def test_any_spec_file_loads_or_raises_a_spec_error(tmp_path, key, value, junk):
    from conftest import ROOT
    original = (ROOT / "tuning" / "ann.toml").read_text()
    table, _, name = key.rpartition(".")
    for text in (f"{name} = {value}\n" + original if not table else original + f"\n[{table}]\n{name} = {value}\n",
                 original + "\n" + junk):
        path = tmp_path / "hostile.toml"
        path.write_text(text)
        try:
            experiments.load(str(path), "smoke")
        except SpecError as error:
            assert "\n" not in str(error)
    assert {p.name for p in tmp_path.iterdir()} == {"hostile.toml"}


def test_notes_reach_the_profiles_they_name():
    titles = [n["title"] for n in experiments.load("cnn", "cpu").notes]
    assert titles[-1] == "make reproduce shortens the grid, not the final model"
    assert all("make reproduce" not in n["title"] for n in experiments.load("cnn", "paper").notes)
    assert experiments.load("lstm").to_dict()["notes"][0]["title"].startswith("Cross-validated, one seed")


@pytest.mark.parametrize("note, message", [
    ('[[notes]]\ntitle = "x"\n', "missing keys: text"),
    ('[[notes]]\ntitle = "x"\ntext = "y"\nprofiles = ["nope"]\n', "unknown profile 'nope'"),
    ('[[notes]]\ntitle = 5\ntext = "y"\n', "title must be a string"),
    ('[[notes]]\ntitle = "x"\ntext = "y"\nprofiles = [[1]]\n', "expected a list of profile names"),
])
def test_bad_notes_are_refused(spec_file, note, message):
    path = spec_file(("\n[paper]\n", "\n" + note + "\n[paper]\n"))
    with pytest.raises(SpecError, match=re.escape(message)):
        experiments.load(str(path), "smoke")


def test_every_augmentation_runs_in_the_pipeline_and_old_specs_still_load():
    spec = experiments.load("cnn-fast", "cpu", ("augment.rotation=0.1", "augment.in_pipeline=false"))
    assert spec.augment["rotation"] == 0.1 and spec.augment["alternating_flip"]


python_values = st.recursive(
    st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["learning_rate", "params.optimizer", "search.hidden_units", "data.path"]), python_values)
def test_format_override_writes_what_parse_override_reads_back(key, value):
    """The notebook API's dict of overrides goes through the same --set strings as the command line's."""
    table, _, name = key.rpartition(".")
    assert specs.parse_override(specs.format_override(key, value)) == (table or "params", name, value)


def test_format_override_refuses_what_a_spec_cannot_hold():
    assert specs.format_override("x", float("nan")) == "x=nan" and specs.format_override("x", "") == 'x=""'
    with pytest.raises(SpecError, match=r"overrides: x = None \(NoneType\) cannot be written as a spec value"):
        specs.format_override("x", None)
    with pytest.raises(SpecError, match="key '' is not a setting name"):
        specs.format_override("", 1)
