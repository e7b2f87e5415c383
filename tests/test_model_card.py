"""A model card beside every final model, written from results.json."""

from ann_keras import results
from ann_keras.reports import model_card


def test_every_trained_model_has_a_card_with_its_data_training_metrics_and_limits(trained_runs):
    for run_dir in trained_runs.values():
        result = results.load(run_dir)
        card = (run_dir / "final" / model_card.CARD_FILE).read_text()
        assert card.startswith(f"# Model card: {result.title}")
        assert f"`ann-keras train {result.experiment}`" in card and result.dataset["name"] in card
        accuracy = result.final["metrics"]["test_accuracy"]
        assert f"test accuracy {100 * accuracy:.2f}%" in card
        rows = [line for line in card.splitlines() if line.startswith("| ") and line.count("|") == 6]
        assert len(rows) == len(result.dataset["class_names"]) + 3   # header, each class, macro and weighted
        assert "## What it is not for" in card


def test_hostile_names_in_results_stay_inert_text(fixture_results, tmp_path):
    result = results.load(fixture_results)
    result.dataset["class_names"][0] = "<script>alert(1)</script>"
    result.dataset["source"] = "[click](http://evil.example)"
    card = model_card.render(result)
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "(http://evil.example)" not in card   # the link is broken up: no Markdown renderer makes it one


def test_the_card_is_written_inside_the_run_folder_whatever_results_json_says(fixture_results, tmp_path):
    result = results.load(fixture_results)
    result.final["model_file"] = "../../outside/model.keras"
    path = model_card.write(result, tmp_path / "run")
    assert path == tmp_path / "run" / "final" / model_card.CARD_FILE and path.exists()
    assert not (tmp_path / "outside").exists()
