"""The reproduction summary that opens reports/: claims the paper's way, extensions labelled, the record's times."""

import copy
import json

import pytest

from ann_keras import reports, results
from ann_keras.reports import reproduction


@pytest.fixture
def cnn_like(fixture_results):
    """The saved smoke run dressed as a CNN report: the paper's final number, ours measured both ways."""
    data = copy.deepcopy(results.load(fixture_results).to_dict())
    data["spec"]["paper"].update(final={"test_accuracy": 0.763}, easy="the optimiser is named",
                                 hard="the layer order is not", why={"final model": "details the paper leaves open"})
    data["final"]["metrics"].update(test_accuracy=0.81, test_accuracy_running_bn=0.70)
    data["dataset"]["sizes"]["test"] = 10_000
    return results.RunResult.from_dict(data)


def test_claims_lead_with_the_papers_evaluation_and_keep_our_extension_beside_it(cnn_like):
    summary = reproduction.build({"cnn": cnn_like}, None)
    final = summary.claims[(summary.claims["setting"] == "final model")
                           & (summary.claims["measure"] == "test accuracy")].iloc[0]
    assert final["ours"] == 0.70 and final["extension"] == 0.81 and final["verdict"] == "below the paper"
    assert final["why"] == "details the paper leaves open"
    titles = [section.title for section in summary.sections]
    assert titles[:2] == ["Reproduction summary", "Claims tested"]
    assert {"What we changed or could not know", "What was easy and what was hard", "Compute",
            "Search protocol"} <= set(titles)


def test_another_network_beside_the_papers_number_is_an_extension_not_a_claim(cnn_like):
    data = cnn_like.to_dict()
    data["spec"]["paper"]["extension"] = True
    summary = reproduction.build({"cnn-fast": results.RunResult.from_dict(data)}, None)
    assert summary.claims.empty
    assert "Beyond the paper, labelled as ours" in [section.title for section in summary.sections]
    assert summary.data["extensions"][0]["compared with"].endswith("(another network: our extension)")


def test_the_index_opens_with_the_summary_and_writes_it_as_data(cnn_like, tmp_path):
    reports.write_report(cnn_like, tmp_path)
    reproduction.write_record(tmp_path, command="ann-keras reproduce --seed 42", seed=42,
                              started="2026-12-04T15:12:15+00:00", finished="2026-12-04T16:05:00+00:00",
                              wall_time_s=3165.0, hardware="AMD EPYC, 2 usable cores",
                              experiments=[{"report": "ann", "profile": "paper", "wall_time_s": 180.0}])
    page, skipped = reports.write_index(tmp_path)
    html = page.read_text()
    assert html.index("Claims tested") < html.index("All reports")
    assert "took 52.8 minutes in all on AMD EPYC" in html
    data = json.loads((tmp_path / "reproduction.json").read_text())   # strict JSON: no NaN
    assert data["record"]["wall_time_s"] == 3165.0 and data["claims"]
    assert "verdict" in (tmp_path / "reproduction.csv").read_text().splitlines()[0]
    assert skipped == []


def test_a_broken_record_is_left_out_with_a_line_not_a_traceback(cnn_like, tmp_path):
    reports.write_report(cnn_like, tmp_path)
    (tmp_path / "reproduce.json").write_text('{"command": "x", "wall_time_s": -5}')
    _, skipped = reports.write_index(tmp_path)
    assert len(skipped) == 1 and "not an ann-keras record" in skipped[0]
