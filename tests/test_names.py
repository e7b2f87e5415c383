from pathlib import Path

import pytest

from ann_keras import names
from ann_keras.errors import AnnKerasError, SpecError


@pytest.mark.parametrize("name", ["cnn", "cnn-cpu", "rnn_digits.v2", "A1", "-x", "_"])
def test_plain_names_are_accepted(name):
    assert names.is_plain(name) and names.inside(Path("reports"), name, "report_name") == Path("reports") / name


@pytest.mark.parametrize("name", ["", ".", "..", ".hidden", "../x", "a/b", "/abs", "C:\\x", "javascript:alert(1)",
                                  "a b", "x" * 101, "caf\u00e9", "x\n", None, 5, ["a"]])
def test_anything_else_is_refused_with_the_rule(name):
    assert not names.is_plain(name)
    with pytest.raises(SpecError, match="cannot name a folder; use letters, digits"):
        names.check_plain(name, "spec.toml: name", SpecError)
    with pytest.raises(AnnKerasError):
        names.inside(Path("reports"), name, "report_name")
