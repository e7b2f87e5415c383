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


def test_recomputed_statistics_make_inference_agree_with_training_on_the_same_batch():
    # One batch: training mode normalises with that batch's own statistics (real steps only). Once the moving
    # averages are recomputed on the same batch, inference mode must give the same output, padding or not.
    branch = ConvBranch(4, MASK_VALUE)
    short, padded = padded_pair(examples=6)
    trained = np.asarray(branch(padded, training=True))
    stale = np.asarray(branch(padded, training=False))          # moving averages still at their start
    assert not np.allclose(stale, trained, atol=1e-3)
    assert branch.recompute_statistics([padded[:4], padded[4:]]) == 3   # batches are summed, not averaged
    assert np.allclose(branch(padded, training=False), trained, atol=1e-3)
    assert np.allclose(branch(short, training=False), trained, atol=1e-3)


def test_a_whole_model_recomputes_the_branch_inside_it():
    from ann_keras.models import normalization
    model = models.build("rnn", (9, 2), 3, rnn_params(units=3, conv_branch=4))
    assert len(normalization.batch_norms(model)) == 3       # the branch's, found inside it
    _, padded = padded_pair(examples=8)
    before = normalization.moving_statistics(model)
    assert normalization.recompute_statistics(model, padded, batch_size=3) == 3
    after = normalization.moving_statistics(model)
    assert all(not np.allclose(b[0], a[0]) for b, a in zip(before, after))
    branch = model.get_layer("conv_branch")
    assert np.allclose(branch(padded, training=False), branch(padded, training=True), atol=1e-3)
