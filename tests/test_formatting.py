import math

import pandas as pd

from ann_keras.reports import formatting


def test_a_missing_number_is_an_empty_cell_not_nan():
    for show in (formatting.pct, formatting.num):
        assert show(None) == "" and show(math.nan) == ""
    assert formatting.pct(0.9123) == "91.2%" and formatting.num(0.12345, 4) == "0.1235"
    assert formatting.mean_std(0.9, 0.012) == "90.0% ± 1.2" and formatting.mean_std(math.nan, 0.1) == ""


def test_a_table_leaves_out_empty_columns_and_marks_columns_of_numbers():
    frame = pd.DataFrame({"class": ["cat", "dog"], "recall": [0.5, math.nan], "note": [None, None],
                          "best": [True, False]})
    table = formatting.table("t", frame)
    assert table.columns == ["class", "recall", "best"]       # "note" is empty: left out of the page
    assert table.rows == [["cat", "0.5000", "yes"], ["dog", "", ""]]
    assert table.numeric == [False, True, False]
    assert list(table.frame.columns) == ["class", "recall", "note", "best"]   # the CSV keeps every column


def test_the_arithmetic_label_says_what_ran_not_what_the_processor_could_do():
    from ann_keras.reports.formatting import arithmetic_text
    assert arithmetic_text("float32", {"bfloat16": True}) == "float32"
    assert arithmetic_text("float32", {"bfloat16": False}) == "float32"
    assert arithmetic_text("auto", {"bfloat16": False}) == "float32"
    assert arithmetic_text("auto", {"bfloat16": True}).startswith("bfloat16 with float32 weights")
    assert "emulated" in arithmetic_text("mixed_bfloat16", {"bfloat16": False})
    for precision in ("float32", "auto"):
        assert "bfloat16" not in arithmetic_text(precision, {"bfloat16": False})
