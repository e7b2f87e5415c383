import pytest

from ann_keras import experiments, models
from ann_keras.models import rnn
from ann_keras.data.sequences import MASK_VALUE
from ann_keras.errors import DataError


def rnn_params(**overrides):
    return experiments.load("rnn").with_params(overrides, "test")


@pytest.mark.parametrize("cell, layer", [("simple", "SimpleRNN"), ("lstm", "LSTM"), ("gru", "GRU")])
def test_rnn_cells_at_matched_size(cell, layer):
    model = models.build("rnn", (29, 12), 9, rnn_params(cell=cell, units=16, bidirectional=False))
    recurrent = model.get_layer(f"{cell}_1")
    assert type(recurrent).__name__ == layer and recurrent.units == 16
    assert model.output_shape == (None, 9)


def test_rnn_stacks_bidirectional_layers_with_dropout():
    model = models.build("rnn", (8, 8), 10, rnn_params(recurrent_layers=2, bidirectional=True, dropout=0.2,
                                                       recurrent_dropout=0.1, units=4))
    first, second = model.get_layer("bidirectional_1"), model.get_layer("bidirectional_2")
    assert first.forward_layer.return_sequences and not second.forward_layer.return_sequences
    assert first.forward_layer.dropout == 0.2 and first.forward_layer.recurrent_dropout == 0.1
    assert second.output.shape[-1] == 8                                   # 4 units each way


def test_padding_is_masked_so_it_does_not_change_the_prediction():
    import numpy as np
    model = models.build("rnn", (6, 2), 3, rnn_params(units=5))
    short = np.random.default_rng(0).normal(size=(1, 3, 2)).astype("float32")
    padded = np.full((1, 6, 2), MASK_VALUE, dtype="float32")
    padded[:, :3] = short
    unpadded_model = models.build("rnn", (3, 2), 3, rnn_params(units=5))
    unpadded_model.set_weights(model.get_weights())
    assert np.allclose(model.predict(padded, verbose=0), unpadded_model.predict(short, verbose=0), atol=1e-5)


def test_rnn_refuses_images_with_a_clear_message():
    with pytest.raises(DataError, match=r"the rnn model needs sequences \(time steps, channels\), got examples of "
                                        r"shape \(32, 32, 3\); valid choices: aeon:NAME, digits-seq, ts:PATH"):
        models.build("rnn", (32, 32, 3), 10, rnn_params())


def test_the_front_end_strides_long_sequences_down_to_max_steps():
    from ann_keras.models.rnn import stride
    assert (stride(1460, 100), stride(427, 100), stride(29, 100), stride(1460, 0)) == (15, 5, 1, 1)
    model = models.build("rnn", (1460, 1), 10, rnn_params(units=4, front_end_filters=6, max_steps=100))
    assert model.get_layer("front_end").output.shape[1:] == (98, 6)   # ceil(1460 / 15) steps
    assert "padding" not in [layer.name for layer in model.layers]     # the front-end masks instead


def test_the_front_end_keeps_padding_masked_and_survives_saving(tmp_path):
    import numpy as np
    params = rnn_params(units=5, front_end_filters=4, front_end_kernel=3, max_steps=4)
    model = models.build("rnn", (16, 2), 3, params)                  # stride 4: 4 steps reach the cell
    short = np.random.default_rng(0).normal(size=(2, 8, 2)).astype("float32")
    padded = np.full((2, 16, 2), MASK_VALUE, dtype="float32")
    padded[:, :8] = short
    unpadded_model = models.build("rnn", (8, 2), 3, rnn_params(units=5, front_end_filters=4, front_end_kernel=3,
                                                               max_steps=2))   # stride 4 as well
    assert_padding_is_invisible_and_survives_saving(model, unpadded_model, short, padded, tmp_path)


def assert_padding_is_invisible_and_survives_saving(model, unpadded_model, short, padded, folder):
    """`model` on padded sequences predicts what `unpadded_model` (same weights) does on the bare ones, saved or not."""
    import keras
    import numpy as np
    unpadded_model.set_weights(model.get_weights())
    expected = unpadded_model.predict(short, verbose=0)
    assert np.allclose(model.predict(padded, verbose=0), expected, atol=1e-5)
    model.save(folder / "model.keras")
    loaded = keras.saving.load_model(folder / "model.keras")
    assert np.allclose(loaded.predict(padded, verbose=0), expected, atol=1e-5)


def test_max_steps_alone_gives_only_long_sequences_a_front_end():
    params = rnn_params(units=4, max_steps=100)
    long_model = models.build("rnn", (1460, 1), 10, params)
    assert long_model.get_layer("front_end").output.shape[1:] == (98, rnn.LONG_SEQUENCE_FILTERS)
    short_model = models.build("rnn", (29, 12), 9, params)
    assert "front_end" not in [layer.name for layer in short_model.layers]
