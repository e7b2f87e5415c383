from ann_keras.errors import AnnKerasError, DataError, ResultsError, SpecError, choices


def test_choices_are_sorted_and_comma_separated():
    assert choices(["sgd", "adam"]) == "adam, sgd"
    assert choices({"b": 1, "a": 2}) == "a, b"


def test_every_user_error_is_an_ann_keras_error():
    for error in (SpecError, DataError, ResultsError):
        assert issubclass(error, AnnKerasError)
