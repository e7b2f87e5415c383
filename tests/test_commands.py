import pytest

from ann_keras import commands
from ann_keras.errors import DataError
from ann_keras.search import events


@pytest.mark.slow
def test_tune_returns_its_results_and_report_and_tells_its_listener(in_tmp):
    heard = []
    outcome = commands.tune("ann", commands.Choices(profile="smoke", seed=1, argv=()), on_event=heard.append)
    assert outcome.result.kind == "tune" and (outcome.run_dir / "results.json").exists()
    assert outcome.report.resolve() == in_tmp / "reports" / "ann-smoke" / "index.html" and outcome.report.exists()
    kinds = [type(event) for event in heard]
    assert kinds[0] is events.DataLoaded and events.TrialEnded in kinds and events.FinalStarted in kinds
    assert outcome.result.command == "ann-keras tune ann"


def test_data_for_a_data_set_that_reads_no_files_is_refused(in_tmp):
    with pytest.raises(DataError, match="data set 'digits' .* reads no files"):
        commands.train("ann", commands.Choices(profile="smoke", data_path=in_tmp, argv=()))


def test_workers_and_a_mirrored_strategy_exclude_each_other(in_tmp):
    with pytest.raises(Exception, match="choose one"):
        commands.tune("ann", commands.Choices(workers=2, strategy="mirrored", argv=()))


def test_a_rebuilt_report_can_take_the_specs_prose_as_it_reads_now_and_keep_every_number(fixture_results, tmp_path):
    import json
    from ann_keras import commands, experiments, results
    data = results.load(fixture_results).to_dict()
    data["spec"]["notes"] = [{"title": "An old note", "text": "since corrected"}]
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps(data))
    commands.report([run], tmp_path / "reports", notes_from_spec=True)
    rebuilt = results.load(tmp_path / "reports" / "ann")
    current = experiments.load(data["spec"]["name"], data["spec"]["profile"]).to_dict()
    assert rebuilt.spec["notes"] == current["notes"] and rebuilt.spec["notes"] != data["spec"]["notes"]
    assert rebuilt.trials == data["trials"] and rebuilt.final["metrics"] == data["final"]["metrics"]
