"""The reports package as a whole: no TensorFlow, and any results.json gives a report or one clear error.

Also home to `github` and `text_of`, which the other report tests use to read
Markdown as GitHub shows it.
"""

import copy
import html
import json
import re
import subprocess
import sys

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from ann_keras import reports, results
from ann_keras.errors import ResultsError


@pytest.fixture
def result(fixture_results):
    return results.load(fixture_results)


def github(markdown: str) -> str:
    """Render Markdown as GitHub does (cmark-gfm, raw HTML allowed; GitHub then sanitises it)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def text_of(markdown: str) -> str:
    """Return what a reader sees of rendered Markdown: its text, tags and comments removed."""
    return html.unescape(re.sub(r"<!--.*?-->|<[^>]+>", "", github(markdown)))


def test_reports_never_import_tensorflow(fixture_results, tmp_path):
    code = (
        "import sys; from ann_keras import cli, reports, results;"
        f"reports.write_report(results.load({str(fixture_results)!r}), {str(tmp_path)!r});"
        "reports.write_index(" + repr(str(tmp_path)) + ");"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checking_every_spec_never_imports_tensorflow():
    """Model families keep Keras inside their builders: a spec mistake is reported before TensorFlow starts."""
    code = (
        "import sys; from ann_keras import experiments, specs;"
        "[experiments.load(name, profile) for name in specs.available() "
        " for profile in experiments.load(name).profiles];"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_dollar_in_a_class_name_is_drawn_as_text(result, tmp_path):
    data = copy.deepcopy(result.to_dict())
    data["dataset"]["class_names"][:3] = ["$x", "price $5", "$\\frac{a}{"]
    folder = reports.write_report(results.RunResult.from_dict(data), tmp_path)
    assert (folder / "confusion_counts.png").stat().st_size > 1000
    reports.write_report(results.RunResult.from_dict(data), tmp_path)   # again: every later report too


@pytest.mark.parametrize("damage, message", [
    (lambda d: d.__setitem__("trials", "abc"), "trials: 'abc' is not of type 'array'"),
    (lambda d: d["final"].pop("y_true"), "final: 'y_true' is a required property"),
    (lambda d: d["final"].__setitem__("y_pred", d["final"]["y_pred"][:-1]), "labels but final.y_true has"),
    (lambda d: d["spec"]["tuner"].__setitem__("objective", "auc"), "spec.tuner.objective: 'auc' is not one of"),
    (lambda d: d["final"]["y_pred"].__setitem__(0, 99), "holds a label >= 10"),
    (lambda d: d["final"]["history"]["loss"].pop(), "final.history.loss has"),
    (lambda d: d.__setitem__("best_trial_id", "nope"), "best_trial_id 'nope' is not one of the trials"),
    (lambda d: d["spec"].__setitem__("description", 5), "spec.description: 5 is not of type 'string'"),
])
def test_results_that_break_the_contract_are_refused_before_rendering(result, damage, message):
    data = copy.deepcopy(result.to_dict())
    damage(data)
    with pytest.raises(ResultsError, match=re.escape(message)):
        results.RunResult.from_dict(data)


# ---------------------------------------------------------------- any results.json: a report, or one clear error

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["..", "../x", "/tmp/x", "javascript:alert(1)", "$\\frac{", "![i](http://x/i.png)"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def _mutate(document, draw_index, value):
    """Replace one value somewhere in `document` (a path of keys and indices drawn by `draw_index`)."""
    node = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return
        key = keys[draw_index(len(keys))]
        child = node[key]
        if not isinstance(child, (dict, list)) or not child or draw_index(3) == 0:
            node[key] = value
            return
        node = child


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_results_document_reports_or_raises_a_results_error(fixture_results, tmp_path_factory, data):
    document = json.loads(fixture_results.read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(document, lambda n: data.draw(st.integers(0, n - 1)), data.draw(json_values))
    root = tmp_path_factory.mktemp("hostile")
    reports_dir = root / "reports"
    try:
        result = results.RunResult.from_dict(document)
        reports.write_report(result, reports_dir)
        reports.write_index(reports_dir)
    except ResultsError as error:
        assert "\n" not in str(error)
    outside = [p for p in root.rglob("*") if reports_dir not in p.parents and p != reports_dir]
    assert outside == []
    folders = [p for p in reports_dir.iterdir() if p.is_dir()] if reports_dir.exists() else []
    assert len(folders) <= 1


def test_a_spec_path_that_is_not_text_is_a_results_error_not_a_crash(fixture_results, tmp_path):
    document = json.loads(fixture_results.read_text())
    document["spec"]["path"] = None
    with pytest.raises(ResultsError, match="path"):
        reports.write_report(results.RunResult.from_dict(document), tmp_path / "reports")
    assert not (tmp_path / "reports").exists()


def test_a_title_of_megabytes_is_refused_in_one_line_naming_it(fixture_results):
    """A 20 MB title once reached matplotlib and ended in std::bad_alloc after minutes."""
    document = json.loads(fixture_results.read_text())
    document["title"] = "x" * 20_000_000
    with pytest.raises(ResultsError, match=r"^results.json: title: 20,000,000 characters; valid: at most 1,000$"):
        results.RunResult.from_dict(document)
