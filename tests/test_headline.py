import jsonschema

from ann_keras import results
from ann_keras.reports.headline import SCHEMA, headline


def test_the_headline_is_what_the_index_reads_and_names_the_papers_number_it_compares(fixture_results):
    row = headline(results.load(fixture_results))
    jsonschema.validate(row, SCHEMA)
    assert row["experiment"] == "ann" and row["trials"] == 4 and row["test_accuracy"] == 0.4
    # the ANN paper reports no final model: the headline is its baseline setting
    assert row["compared"] == "baseline, test accuracy" and row["paper"] == 0.91
