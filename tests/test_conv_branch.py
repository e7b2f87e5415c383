import numpy as np

from ann_keras import experiments, models
from ann_keras.data.sequences import MASK_VALUE
from ann_keras.models.conv_branch import ConvBranch
from test_rnn import assert_padding_is_invisible_and_survives_saving


def rnn_params(**overrides):
    return experiments.load("rnn").with_params(overrides, "test")


def padded_pair(steps=5, length=9, channels=2, examples=2):
    short = np.random.default_rng(0).normal(size=(examples, steps, channels)).astype("float32")
    padded = np.full((examples, length, channels), MASK_VALUE, dtype="float32")
    padded[:, :steps] = short
    return short, padded


def test_the_branch_sits_beside_the_cells_and_joins_them_before_the_classifier():
    model = models.build("rnn", (29, 12), 9, rnn_params(units=4, conv_branch=8))
    assert [conv.filters for conv in model.get_layer("conv_branch").convs] == [8, 16, 8]
    assert [conv.kernel_size for conv in model.get_layer("conv_branch").convs] == [(8,), (5,), (3,)]
    assert model.get_layer("cells_and_branch").output.shape[-1] == 2 * 4 + 8   # bidirectional cells + branch
    plain = models.build("rnn", (29, 12), 9, rnn_params(conv_branch=0))
    assert "conv_branch" not in [layer.name for layer in plain.layers]


def test_padding_does_not_change_the_prediction_and_the_model_survives_saving(tmp_path):
    model = models.build("rnn", (9, 2), 3, rnn_params(units=5, conv_branch=4))
    short, padded = padded_pair()
    unpadded_model = models.build("rnn", (5, 2), 3, rnn_params(units=5, conv_branch=4))
    assert_padding_is_invisible_and_survives_saving(model, unpadded_model, short, padded, tmp_path)


def test_batch_statistics_in_training_count_real_steps_only():
    branch = ConvBranch(4, MASK_VALUE)
    short, padded = padded_pair()
    assert np.allclose(branch(padded, training=True), branch(short, training=True), atol=1e-4)


def test_a_sequence_of_padding_only_gives_zeros_not_nan():
    branch = ConvBranch(4, MASK_VALUE)
    empty = np.full((1, 6, 2), MASK_VALUE, dtype="float32")
    assert np.array_equal(np.asarray(branch(empty)), np.zeros((1, 4)))
