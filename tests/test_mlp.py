from ann_keras import experiments, models


def params(**overrides):
    return experiments.load("ann", "smoke").with_params(overrides, "test")


def test_mlp_has_the_papers_shape():
    model = models.build("mlp", (64,), 10, params())
    assert model.output_shape == (None, 10)
    hidden = model.get_layer("hidden_1")
    assert hidden.units == 32 and hidden.activation.__name__ == "sigmoid"
    assert model.get_layer("output").activation.__name__ == "sigmoid"
    assert model.count_params() == 64 * 32 + 32 + 32 * 10 + 10


def test_mlp_options_beyond_the_paper():
    model = models.build("mlp", (8, 8), 3, params(hidden_layers=3, activation="relu", input_scale=0.0625,
                                                  output_activation="softmax", hidden_units=5))
    assert [layer.name for layer in model.layers if layer.name.startswith("hidden")] == \
        ["hidden_1", "hidden_2", "hidden_3"]
    assert model.get_layer("input_scale").scale == 0.0625
    assert model.output_shape == (None, 3)
