"""What a data source declares: its name's parts and the kind of examples it gives."""

from ann_keras.data import KINDS, Source
from ann_keras.data.aeon_sets import AEON
from ann_keras.data.digits import DIGITS


def test_a_pattern_splits_into_key_and_argument():
    assert (AEON.key, AEON.argument) == ("aeon", "NAME")
    assert (DIGITS.key, DIGITS.argument) == ("digits", "")


def test_the_kind_says_the_rank_of_one_example():
    assert (DIGITS.rank, AEON.rank) == (1, 2)
    assert AEON.gives == KINDS["sequences"][1] == "sequences (time steps, channels)"
    source = Source("pictures:PATH", "images", "test", lambda seed, argument, options: None)
    assert source.rank == 3 and not source.reads_path and source.env == ""
