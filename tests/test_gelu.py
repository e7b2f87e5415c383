"""models/gelu.py: the compiled GELU computes Keras's exact GELU and its gradient, and saves like any layer."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.tensorflow   # the compiled GELU is TensorFlow's fast path
tf = pytest.importorskip("tensorflow")
from ann_keras.models.gelu import FusedGELU, compiled_gelu  # noqa: E402

gelu = compiled_gelu()


def _value_and_gradient(function, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
        # Weights per value, so that the gradient is not the same sum everywhere.
        total = tf.reduce_sum(tf.cast(y, tf.float32) * tf.linspace(-1.0, 2.0, tf.size(y)))
    return y, tape.gradient(total, x)


def test_gelu_and_its_gradient_match_keras_in_float32():
    x = tf.constant(np.linspace(-6, 6, 1201, dtype=np.float32))
    ours, our_gradient = _value_and_gradient(gelu, x)
    theirs, their_gradient = _value_and_gradient(lambda v: keras.activations.gelu(v, approximate=False), x)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6)
    np.testing.assert_allclose(our_gradient.numpy(), their_gradient.numpy(), atol=1e-5)


def test_bfloat16_in_bfloat16_out_within_bfloat16s_precision():
    wide = tf.constant(np.linspace(-4, 4, 801, dtype=np.float32))
    x = tf.cast(wide, tf.bfloat16)
    ours, our_gradient = _value_and_gradient(gelu, x)
    assert ours.dtype == tf.bfloat16 and our_gradient.dtype == tf.bfloat16
    exact = keras.activations.gelu(tf.cast(x, tf.float32), approximate=False)
    np.testing.assert_allclose(tf.cast(ours, tf.float32).numpy(), exact.numpy(), rtol=1e-2, atol=1e-2)


def test_layer_in_a_model_trains_saves_and_loads(tmp_path):
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2)(FusedGELU(name="gelu")(keras.layers.Dense(8)(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, np.zeros((32, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert isinstance(loaded.get_layer("gelu"), FusedGELU)


@pytest.mark.parametrize("fused", [True, False])
def test_airbench_uses_the_compiled_gelu_unless_told_not_to(fused):
    from ann_keras import experiments, models

    params = dict(experiments.load("cnn-fast", "smoke").params, fused_gelu=fused, augment=False)
    model = models.build("airbench", (16, 16, 3), 10, params)
    kinds = {type(layer) for layer in model.layers if layer.name.endswith("_gelu")}
    assert kinds == ({FusedGELU} if fused else {keras.layers.Activation})
