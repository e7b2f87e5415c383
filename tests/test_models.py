import pytest

from ann_keras import models, specs
from ann_keras.models.normalization import FusedBatchNormalization


def params(**overrides):
    return specs.load("ann", "smoke").with_params(overrides, "test")


def test_mlp_has_the_papers_shape():
    model = models.build_mlp((64,), 10, params())
    assert model.output_shape == (None, 10)
    hidden = model.get_layer("hidden_1")
    assert hidden.units == 32 and hidden.activation.__name__ == "sigmoid"
    assert model.get_layer("output").activation.__name__ == "sigmoid"
    assert model.count_params() == 64 * 32 + 32 + 32 * 10 + 10


def test_mlp_options_beyond_the_paper():
    model = models.build_mlp((8, 8), 3, params(hidden_layers=3, activation="relu", input_scale=0.0625,
                                               output_activation="softmax", hidden_units=5))
    assert [layer.name for layer in model.layers if layer.name.startswith("hidden")] == \
        ["hidden_1", "hidden_2", "hidden_3"]
    assert model.get_layer("input_scale").scale == 0.0625
    assert model.output_shape == (None, 3)


def test_build_dispatches_by_name():
    assert models.build("mlp", (64,), 10, params()).name == "mlp"


def cnn_params(**overrides):
    from ann_keras import specs as s
    return s.load("cnn").with_params(overrides, "test")


def test_cnn_is_the_papers_network_by_default():
    import pytest
    model = models.build_cnn((32, 32, 3), 10, cnn_params(augment=False))
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    assert [c.filters for c in convs] == [48, 48, 96, 96]
    assert [c.strides for c in convs] == [(1, 1), (2, 2), (1, 1), (2, 2)]       # the "stride" reading
    norms = [layer for layer in model.layers if layer.name.startswith("bn")]
    assert len(norms) == 4 and all(n.momentum == 0.9 for n in norms)      # PyTorch's default, as the paper
    # "two fully connected layers": a hidden layer of 512 nodes and the output layer
    assert [layer.units for layer in model.layers if layer.name.startswith("dense")] == [512]
    assert all(isinstance(n, FusedBatchNormalization) for n in norms)
    # dropout 0.5 in place of pooling only: after each convolution pair, none after the dense layer
    assert [layer.name for layer in model.layers if "dropout" in layer.name] == ["dropout1", "dropout2"]
    assert all(layer.rate == 0.5 for layer in model.layers if "dropout" in layer.name)
    assert model.get_layer("output").activation.__name__ == "softmax"
    assert model.get_layer("dense_1").input.shape[-1] == 8 * 8 * 96
    with pytest.raises(ValueError):
        model.get_layer("augmentation")


def test_cnn_hyperparameters_change_the_network():
    model = models.build_cnn((16, 16, 1), 3, cnn_params(filters=[8, 16, 32], reduction="maxpool", dense_units=20,
                                                        dense_layers=1, dropout=0.2, augment=True),
                             augment={"horizontal_flip": True})
    assert [layer.filters for layer in model.layers if layer.name.startswith("conv")] == [8, 8, 16, 16, 32, 32]
    assert len([layer for layer in model.layers if layer.name.startswith("pool")]) == 3
    assert model.get_layer("augmentation") is not None
    assert model.output_shape == (None, 3)


def test_cnn_refuses_non_image_examples_with_a_clear_message():
    import pytest
    from ann_keras.errors import DataError
    with pytest.raises(DataError, match=r"the cnn model needs images \(height, width, channels\), got examples "
                                        r"of shape \(64,\); valid choices: an image data set"):
        models.build_cnn((64,), 10, cnn_params())


def rnn_params(**overrides):
    from ann_keras import specs as s
    return s.load("rnn").with_params(overrides, "test")


@pytest.mark.parametrize("cell, layer", [("simple", "SimpleRNN"), ("lstm", "LSTM"), ("gru", "GRU")])
def test_rnn_cells_at_matched_size(cell, layer):
    model = models.build_rnn((29, 12), 9, rnn_params(cell=cell, units=16, bidirectional=False))
    recurrent = model.get_layer(f"{cell}_1")
    assert type(recurrent).__name__ == layer and recurrent.units == 16
    assert model.output_shape == (None, 9)


def test_rnn_stacks_bidirectional_layers_with_dropout():
    model = models.build_rnn((8, 8), 10, rnn_params(recurrent_layers=2, bidirectional=True, dropout=0.2,
                                                    recurrent_dropout=0.1, units=4))
    first, second = model.get_layer("bidirectional_1"), model.get_layer("bidirectional_2")
    assert first.forward_layer.return_sequences and not second.forward_layer.return_sequences
    assert first.forward_layer.dropout == 0.2 and first.forward_layer.recurrent_dropout == 0.1
    assert second.output.shape[-1] == 8                                   # 4 units each way


def test_padding_is_masked_so_it_does_not_change_the_prediction():
    import numpy as np
    from ann_keras.data.sequences import MASK_VALUE
    model = models.build_rnn((6, 2), 3, rnn_params(units=5))
    short = np.random.default_rng(0).normal(size=(1, 3, 2)).astype("float32")
    padded = np.full((1, 6, 2), MASK_VALUE, dtype="float32")
    padded[:, :3] = short
    unpadded_model = models.build_rnn((3, 2), 3, rnn_params(units=5))
    unpadded_model.set_weights(model.get_weights())
    assert np.allclose(model.predict(padded, verbose=0), unpadded_model.predict(short, verbose=0), atol=1e-5)


def test_rnn_refuses_images_with_a_clear_message():
    from ann_keras.errors import DataError
    with pytest.raises(DataError, match=r"the rnn model needs sequences \(time steps, channels\), got examples of "
                                        r"shape \(32, 32, 3\); valid choices: a sequence data set"):
        models.build_rnn((32, 32, 3), 10, rnn_params())


def test_resnet_pools_early_and_adds_residual_blocks():
    params = specs.load("cnn-fast").with_params({"augment": False}, "test")
    model = models.build_resnet((32, 32, 3), 10, params)
    assert model.get_layer("stem_conv").filters == 32
    assert [model.get_layer(f"stage{i}_conv").filters for i in (1, 2, 3)] == [64, 128, 256]
    assert model.get_layer("stem_pool").output.shape[1:3] == (16, 16)      # pooled right after the stem
    assert model.get_layer("stage3_pool").output.shape[1:3] == (2, 2)
    assert {layer.name for layer in model.layers if layer.name.endswith("_add")} == {"stage1_add", "stage3_add"}
    assert model.output_shape == (None, 10)
