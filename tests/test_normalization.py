import keras
import numpy as np
import pytest

from ann_keras.models.normalization import FusedBatchNormalization


def _pair(momentum=0.9):
    """A Keras BatchNormalization and a fused one with the same (non-trivial) weights."""
    keras_bn = keras.layers.BatchNormalization(momentum=momentum)
    fused_bn = FusedBatchNormalization(momentum=momentum)
    shape = (4, 5, 5, 3)
    keras_bn.build(shape)
    fused_bn.build(shape)
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, 3), rng.normal(size=3), rng.normal(size=3), rng.uniform(0.5, 2.0, 3)]
    keras_bn.set_weights(weights)
    fused_bn.set_weights(weights)
    return keras_bn, fused_bn


def test_training_output_and_moving_statistics_match_keras():
    keras_bn, fused_bn = _pair()
    x = np.random.default_rng(1).normal(2.0, 3.0, (64, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(fused_bn(x, training=True), keras_bn(x, training=True), atol=1e-4)
    np.testing.assert_allclose(fused_bn.moving_mean, keras_bn.moving_mean, rtol=1e-5)
    # The fused kernel feeds the unbiased batch variance to the moving average (as PyTorch does).
    n = 64 * 8 * 8
    expected = keras_bn.moving_variance.numpy() + 0.1 * x.reshape(-1, 3).var(axis=0) * (n / (n - 1) - 1)
    np.testing.assert_allclose(fused_bn.moving_variance, expected, rtol=1e-4)


def test_inference_uses_moving_statistics_like_keras():
    keras_bn, fused_bn = _pair()
    x = np.random.default_rng(2).normal(size=(16, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(fused_bn(x, training=False), keras_bn(x, training=False), atol=1e-5)


def test_bfloat16_inputs_stay_bfloat16():
    layer = FusedBatchNormalization(dtype="mixed_bfloat16")
    y = layer(np.ones((2, 4, 4, 3), dtype="float32"), training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
    assert keras.backend.standardize_dtype(layer.moving_mean.dtype) == "float32"


def test_other_shapes_fall_back_to_keras():
    dense = FusedBatchNormalization()
    x = np.random.default_rng(3).normal(size=(32, 6)).astype("float32")
    reference = keras.layers.BatchNormalization()
    np.testing.assert_allclose(dense(x, training=True), reference(x, training=True), atol=1e-5)


@pytest.mark.slow
def test_saved_model_round_trip(tmp_path):
    inputs = keras.Input((6, 6, 3))
    model = keras.Model(inputs, FusedBatchNormalization(momentum=0.9)(keras.layers.Conv2D(3, 3)(inputs)))
    x = np.random.default_rng(4).normal(size=(8, 6, 6, 3)).astype("float32")
    model(x, training=True)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[-1], FusedBatchNormalization)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_recomputed_statistics_are_those_of_the_inputs_each_layer_sees_at_inference():
    from ann_keras.models.normalization import recompute_statistics
    inputs = keras.Input((6, 6, 2))
    hidden = FusedBatchNormalization(name="bn1")(inputs)
    hidden = keras.layers.Dropout(0.5)(keras.layers.Conv2D(3, 3, name="conv")(hidden))
    model = keras.Model(inputs, FusedBatchNormalization(name="bn2")(hidden))
    images = np.random.default_rng(5).normal(4.0, 2.0, (300, 6, 6, 2)).astype("float32")
    assert recompute_statistics(model, images, batch_size=128) == 2
    bn1 = model.get_layer("bn1")
    np.testing.assert_allclose(bn1.moving_mean, images.reshape(-1, 2).mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(bn1.moving_variance, images.reshape(-1, 2).var(axis=0), rtol=1e-3)
    # The second layer sees the first one's output with the new statistics and dropout off.
    seen = keras.Model(inputs, model.get_layer("conv").output).predict(images, verbose=0).reshape(-1, 3)
    np.testing.assert_allclose(model.get_layer("bn2").moving_mean, seen.mean(axis=0), atol=1e-4)
    np.testing.assert_allclose(model.get_layer("bn2").moving_variance, seen.var(axis=0), rtol=1e-3)
