import json

import pytest

from ann_keras import results
from ann_keras.errors import ResultsError


def test_round_trip(fixture_results, tmp_path):
    result = results.load(fixture_results)
    path = results.save(result, tmp_path)
    again = results.load(tmp_path)
    assert again == result
    assert path.name == "results.json"


def test_missing_and_broken_results_name_the_file(tmp_path):
    with pytest.raises(ResultsError, match="no results.json here"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ResultsError, match="unreadable JSON"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(ResultsError, match="schema_version 99 is not supported"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 1}))
    with pytest.raises(ResultsError, match="'kind' is a required property"):
        results.load(tmp_path)


def test_results_of_the_previous_version_load_and_render(fixture_results, tmp_path):
    """tests/fixtures holds a results.json written by schema version 1: users have old runs."""
    assert json.loads(fixture_results.read_text())["schema_version"] == 1
    result = results.load(fixture_results)
    assert result.schema_version == results.SCHEMA_VERSION == 2
    assert result.dataset["fingerprint"] is None
    from ann_keras import reports
    folder = reports.write_report(result, tmp_path)
    assert "ANN" in (folder / "index.html").read_text()


def test_a_trial_record_has_one_constructor_and_a_status_from_the_contract():
    record = results.trial("0003", {"hidden_units": 32}, [{"seed": 1, "val_accuracy": 0.9, "duration_s": 1.0}],
                           score=0.9)
    assert record["status"] == results.Status.COMPLETED == "COMPLETED"
    assert results.completed(record)
    assert not results.completed(results.trial("0004", {}, [], status=results.Status.FAILED, message="boom"))
