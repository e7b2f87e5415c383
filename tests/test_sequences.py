import numpy as np
import pytest

from ann_keras.data import sequences


def test_prepare_standardises_on_train_and_pads_with_the_mask_value():
    train = [np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[5.0, 50.0]])]
    test = [np.array([[3.0, 30.0], [3.0, 30.0], [3.0, 30.0]])]
    x_train, x_test, scaling = sequences.prepare(train, test)
    assert x_train.shape == (2, 3, 2) and x_test.shape == (1, 3, 2) and x_train.dtype == np.float32
    real = x_train[x_train[..., 0] != sequences.MASK_VALUE]
    assert np.allclose(real.mean(axis=0), 0) and np.allclose(real.std(axis=0), 1)
    assert (x_train[1, 1:] == sequences.MASK_VALUE).all()          # padded at the end
    assert np.allclose(x_test[0], 0)                               # train's mean, not test's
    assert scaling == {"mean": [3.0, 30.0], "std": [np.std([1, 3, 5]), np.std([10, 30, 50])], "steps": 3,
                       "per_sequence": False}
    assert np.array_equal(sequences.standardise(test, scaling), x_test)   # what predict prepares


def test_constant_channels_do_not_divide_by_zero():
    x_train, _, _ = sequences.prepare([np.ones((4, 1))], [np.ones((2, 1))])
    assert np.isfinite(x_train[x_train != sequences.MASK_VALUE]).all()


def test_per_sequence_scaling_z_normalises_each_sequence_so_heavy_tails_keep_their_shape():
    # Counts with one huge outlier: per channel, every other step would be the same value.
    quiet, loud = np.array([[0.0], [1.0], [2.0], [1.0]]), np.array([[0.0], [20000.0], [0.0], [0.0]])
    x_train, x_test, scaling = sequences.prepare([quiet, loud], [quiet * 7 + 3], "sequence")
    assert scaling["per_sequence"] is True
    assert np.allclose(x_train[0, :, 0], (quiet[:, 0] - 1) / np.std(quiet) / 1.0, atol=1e-5)
    assert np.allclose(x_test[0], x_train[0], atol=1e-5)        # the same shape at another level and scale
    assert np.array_equal(sequences.standardise([quiet * 7 + 3], scaling), x_test)   # what predict prepares


def test_auto_scaling_is_per_sequence_for_univariate_data_only():
    assert sequences.per_sequence("auto", 1) and not sequences.per_sequence("auto", 12)
    assert sequences.per_sequence("sequence", 12) and not sequences.per_sequence("channel", 1)
    _, _, univariate = sequences.prepare([np.arange(4.0).reshape(4, 1)], [np.ones((2, 1))], "auto")
    _, _, multivariate = sequences.prepare([np.arange(8.0).reshape(4, 2)], [np.ones((2, 2))], "auto")
    assert univariate["per_sequence"] and not multivariate["per_sequence"]


def test_scalings_written_before_per_sequence_existed_still_standardise_per_channel():
    scaling = {"mean": [1.0], "std": [2.0], "steps": 2}
    assert np.allclose(sequences.standardise([np.array([[3.0], [5.0]])], scaling)[0, :, 0], [1.0, 2.0])


def test_a_zero_std_is_read_as_one_as_in_training():
    scaling = {"mean": [1.0, 2.0], "std": [0.0, 2.0], "steps": 2}
    x = sequences.standardise([np.array([[3.0, 6.0]])], scaling)
    assert x[0, 0].tolist() == [2.0, 2.0] and (x[0, 1] == sequences.MASK_VALUE).all()
    _, _, trained = sequences.prepare([np.array([[5.0, 1.0], [5.0, 3.0]])], [np.ones((1, 2))])
    assert trained["std"][0] == 1.0          # the same rule when training wrote the scaling


@pytest.mark.parametrize("change, message", [
    ({"mean": [0.0]}, "holds 1 mean(s) and 2 std(s); the model reads 2 channel(s), one of each per channel"),
    ({"steps": 10**12}, "pads to 1000000000000 steps; the model reads 5"),
    ({"std": [1.0, float("nan")]}, "std holds nan; valid: finite numbers >= 0 (0 is read as 1, as in training)"),
    ({"std": [-1.0, 1.0]}, "std holds -1.0; valid: finite numbers >= 0"),
    ({"mean": [float("inf"), 0.0]}, "mean holds inf; valid: finite numbers"),
    ({"mean": [10**400, 0.0]}, "mean holds 1000"),
])
def test_a_scaling_that_does_not_fit_the_model_is_named(change, message):
    scaling = {"mean": [0.0, 0.0], "std": [1.0, 1.0], "steps": 5, **change}
    assert sequences.check_scaling(scaling, 5, 2).startswith(message)
    assert sequences.check_scaling({"mean": [0.0, 0.0], "std": [0.0, 1.0], "steps": 5}, 5, 2) is None
