import numpy as np

from ann_keras import experiments, models
from ann_keras.models.whitening import PatchWhitening


def test_airbench_network_has_whitening_three_pooled_groups_and_fixed_batch_norm_scales():
    spec = experiments.load("cnn-fast")
    params = spec.with_params({"augment": False, "precision": "float32"}, "test")
    model = models.build("airbench", (32, 32, 3), 10, params)
    assert isinstance(model.get_layer("whitening"), PatchWhitening)
    assert model.get_layer("whitening").output.shape[1:] == (31, 31, 24)
    assert [model.get_layer(f"group{g}_conv2").filters for g in (1, 2, 3)] == params["widths"]
    assert model.get_layer("group3_pool").output.shape[1:3] == (3, 3)
    norms = [layer for layer in model.layers if layer.name.endswith("_bn")]
    assert len(norms) == 6 and all(not layer.scale and layer.momentum == 0.6 for layer in norms)
    assert model.get_layer("logits").use_bias is False
    assert model.output_shape == (None, 10)
    probabilities = model.predict(np.zeros((2, 32, 32, 3), "uint8"), verbose=0)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_bn_scale_makes_the_batch_norm_scales_trainable():
    spec = experiments.load("cnn-fast")
    params = spec.with_params({"augment": False, "precision": "float32", "bn_scale": True}, "test")
    model = models.build("airbench", (32, 32, 3), 10, params)
    norms = [layer for layer in model.layers if layer.name.endswith("_bn")]
    assert all(layer.scale and layer.gamma.trainable for layer in norms)
