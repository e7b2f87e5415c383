"""Each section's content and the registry's order, read from the written pages."""

import copy
import json

import pandas as pd
import pytest
from test_reports import github, text_of

from ann_keras import reports, results
from ann_keras.reports import sections

SECTIONS = ["Summary", "The paper and us", "All trials", "Per-class metrics", "Heatmaps",
            "Most confused pairs", "Training curves"]


@pytest.fixture
def result(fixture_results):
    return results.load(fixture_results)


def test_sections_appear_in_order_in_both_pages(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    markdown = (folder / "README.md").read_text()
    page = (folder / "index.html").read_text()
    positions = [markdown.index(f"## {s}") for s in SECTIONS]
    assert positions == sorted(positions)
    html_positions = [page.index(f">{s}</h2>") for s in SECTIONS]
    assert html_positions == sorted(html_positions)


def test_summary_names_profile_data_hardware_versions_seed_and_command(result, tmp_path):
    markdown = (reports.write_report(result, tmp_path) / "README.md").read_text()
    seen = text_of(markdown)
    for text in ("smoke:", "sklearn.datasets.load_digits", "usable cores", "keras-tuner", result.command,
                 "the profile 'smoke', not the paper's protocol"):
        assert text in seen, text
    assert "<td>Seed</td>\n<td>42" in github(markdown)


def test_paper_figures_mark_the_papers_epochs_and_table(result, tmp_path):
    """The paper's per-epoch points and its per-class table are drawn beside ours when the spec has them."""
    data = copy.deepcopy(result.to_dict())
    data["spec"]["paper"]["per_class_accuracy"] = {str(k): 0.5 + k / 40 for k in range(10)}
    data["paper_runs"][0].update(first_epoch_test_accuracy=0.424, best_epoch_test_accuracy=0.592, best_epoch=3,
                                 executions=[{"seed": 42, "test_accuracy_by_epoch": [0.4, 0.5, 0.6]},
                                             {"seed": 43, "test_accuracy_by_epoch": [0.41, 0.52, 0.58]}])
    folder = reports.write_report(results.RunResult.from_dict(data), tmp_path)
    page = (folder / "index.html").read_text()
    markdown = (folder / "README.md").read_text()
    for name in ("per_class_beside_paper.png", "paper_run_epochs.png"):
        assert (folder / name).stat().st_size > 1000
        assert f'src="{name}"' in github(markdown)
    assert "Test accuracy per epoch: baseline" in page


def test_no_paper_figures_without_the_papers_numbers(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    assert not (folder / "per_class_beside_paper.png").exists()
    assert not (folder / "paper_run_epochs.png").exists()


def test_a_grid_gets_main_effects_importance_parallel_coordinates_and_every_trials_curves(fixture_results, tmp_path):
    from test_metrics import grid_result
    scores = {(0.1, 16): 0.5, (0.1, 32): 0.6, (0.1, 64): 0.7, (0.2, 16): 0.7, (0.2, 32): 0.8, (0.2, 64): 0.9}
    folder = reports.write_report(grid_result(fixture_results, scores), tmp_path)
    for name in ("main_effects.png", "parallel_coordinates.png", "trials_val_accuracy.png", "main_effects.csv",
                 "importance.csv", "curves_long.csv"):
        assert (folder / name).stat().st_size > 100, name
    page = (folder / "index.html").read_text()
    assert 'id="hyperparameters"' in page and 'id="importance-table"' in page
    assert "curves_long.csv" in page and 'id="curves-long-table"' not in page   # a file, not a table on the page
    markdown = github((folder / "README.md").read_text())
    assert 'src="main_effects.png"' in markdown and "<h2>Hyperparameters</h2>" in markdown


def test_one_execution_per_trial_says_n_1_not_a_zero_spread(result, tmp_path):
    page = (reports.write_report(result, tmp_path) / "index.html").read_text()
    assert "± 0.0" not in page and "(n = 1)" in page


def test_the_specs_notes_are_a_section_of_their_own(result, tmp_path):
    data = copy.deepcopy(result.to_dict())
    data["spec"]["notes"] = [{"title": "Identical numbers", "text": "Gradient flow: only rate x steps matters."}]
    folder = reports.write_report(results.RunResult.from_dict(data), tmp_path)
    page = (folder / "index.html").read_text()
    assert 'id="differences"' in page and "Identical numbers. Gradient flow" in page
    assert "<h2>Where we differ and why</h2>" in github((folder / "README.md").read_text())


def test_the_report_is_the_registry_in_order_less_the_sections_with_nothing_to_show(result):
    shown = sections.build_report(result).sections
    assert [s.id for s in shown] == ["summary", "paper", "trials", "hyperparameters", "per-class", "heatmaps",
                                     "confused", "curves"]   # no spec notes, no baselines, no augmentation


def test_a_section_function_that_returns_none_is_left_out(result, monkeypatch):
    monkeypatch.setattr(sections, "SECTIONS", (sections.search.all_trials, lambda result: None,
                                               sections.summary.summary))
    assert [s.id for s in sections.build_report(result).sections] == ["trials", "summary"]


def test_a_run_on_another_backend_names_it_and_says_why_a_baseline_was_skipped(result, tmp_path):
    data = result.to_dict()
    data["environment"]["backend"] = "jax"
    data["baselines"] = [{"name": "fcn", "label": "FCN", "summary": "a fully convolutional network", "options": {},
                          "executions": [], "skipped": "aeon's deep classifiers need TensorFlow, and this run "
                                                       "trained on jax"}]
    markdown = (reports.write_report(results.RunResult.from_dict(data), tmp_path) / "README.md").read_text()
    assert "| Keras backend | jax |" in markdown
    assert "FCN: not trained here: aeon's deep classifiers need TensorFlow, and this run trained on jax." \
        in text_of(markdown)


def test_many_classes_get_summarised_confusion_views_and_paged_tables(fixture_results, tmp_path):
    """300 classes: no cell-by-cell heatmap, the worst classes in numbers, tables of 100 rows a page."""
    document = json.loads(fixture_results.read_text())
    y_true = [i % 300 for i in range(900)]
    document["dataset"]["class_names"] = [f"class {i}" for i in range(300)]
    document["final"].update(y_true=y_true, y_pred=[(t * 7) % 300 if t % 3 else t for t in y_true])
    folder = reports.write_report(results.RunResult.from_dict(document), tmp_path)
    figures = sorted(p.name for p in folder.glob("*.png"))
    assert "confusion_most_confused.png" in figures and "confusion_counts.png" not in figures
    markdown, page = (folder / "README.md").read_text(), (folder / "index.html").read_text()
    assert "Rows 1-100 of 302 shown; every row is in [per\\_class.csv](per_class.csv)." in markdown
    assert markdown.count("| class 2") < 50                         # the first page only
    assert 'id="per-class-table" class="cards sortable" data-page="100"' in page
    assert page.count("<td data-label=\"class\">class ") == 300     # every row is there for sorting and filtering
    assert len(pd.read_csv(folder / "per_class.csv")) == 302
