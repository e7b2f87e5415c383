import numpy as np
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
    assert scaling == {"mean": [3.0, 30.0], "std": [np.std([1, 3, 5]), np.std([10, 30, 50])], "steps": 3}
    assert np.array_equal(sequences.standardise(test, scaling), x_test)   # what predict prepares


def test_constant_channels_do_not_divide_by_zero():
    x_train, _, _ = sequences.prepare([np.ones((4, 1))], [np.ones((2, 1))])
    assert np.isfinite(x_train[x_train != sequences.MASK_VALUE]).all()
