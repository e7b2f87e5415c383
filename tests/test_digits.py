"""scikit-learn's digits as the paper's 64 features and as 8-step sequences."""

import numpy as np

from ann_keras import data


def test_digits_seq_is_eight_steps_of_eight_features(seed):
    d = data.load("digits-seq", seed=seed)
    assert d.input_shape == (8, 8) and d.x_train.dtype == np.float32
    assert len(d.y_test) == 360 and d.num_classes == 10
