import keras
import numpy as np
import pytest

from ann_keras.models import whitening


def test_whitening_decorrelates_patches_and_centres_them():
    rng = np.random.default_rng(0)
    # Correlated channels on very different scales: what whitening is for.
    base = rng.normal(size=(300, 12, 12, 1))
    images = np.concatenate([base * 50 + 100, base * 20 + rng.normal(size=base.shape), rng.normal(size=base.shape)],
                            axis=-1).astype("float32")
    inputs = keras.Input((12, 12, 3))
    layer = whitening.PatchWhitening(2)
    model = keras.Model(inputs, layer(inputs))
    assert whitening.adapt(model, images) == 1
    outputs = model.predict(images, verbose=0).reshape(-1, 24)
    half = outputs[:, :12]                                    # the other half is the same with the sign flipped
    assert np.allclose(outputs[:, 12:], -half, atol=1e-4)
    assert np.abs(half.mean(axis=0)).max() < 1e-2            # centred
    covariance = np.cov(half, rowvar=False)
    # Uncorrelated, with unit variance along the strong directions; weak ones (here the noise channels, whose
    # variance is small beside the 50x channel) are shrunk by the epsilon rather than blown up.
    assert np.allclose(covariance, np.diag(np.diag(covariance)), atol=2e-2)
    variances = np.diag(covariance)
    assert variances[:4] == pytest.approx(1.0, abs=0.05)
    assert variances.max() < 1.01 and variances.min() > 0.1
    assert not layer.kernel.trainable and layer.bias.trainable


def test_whitening_is_set_from_what_the_layer_sees_and_saved_with_the_model(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, size=(50, 8, 8, 3)).astype("uint8")
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    model = keras.Model(inputs, whitening.PatchWhitening(2, name="whitening")(x))
    whitening.adapt(model, images)
    expected = model.predict(images, verbose=0)
    assert np.abs(expected.reshape(-1, 24).mean(axis=0)).max() < 1e-2    # centred on the rescaled images
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert np.allclose(loaded.predict(images, verbose=0), expected, atol=1e-5)


def test_adapt_without_whitening_layers_does_nothing():
    inputs = keras.Input((4, 4, 3))
    assert whitening.adapt(keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs)), np.zeros((2, 4, 4, 3))) == 0


def test_partial_dirac_starts_as_the_identity_on_the_first_channels():
    kernel = keras.ops.convert_to_numpy(whitening.PartialDirac()((3, 3, 4, 6), "float32"))
    for i in range(4):
        expected = np.zeros((3, 3, 4))
        expected[1, 1, i] = 1.0
        assert np.array_equal(kernel[:, :, :, i], expected)
    assert np.abs(kernel[:, :, :, 4:]).max() <= 1 / np.sqrt(36) and np.abs(kernel[:, :, :, 4:]).max() > 0
    x = np.random.default_rng(0).normal(size=(1, 5, 5, 4)).astype("float32")
    y = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, padding="same"))
    assert np.allclose(y[..., :4], x, atol=1e-6)               # the first filters pass their channel through


def test_the_whitening_bias_trains_for_its_epochs_then_stays_frozen(monkeypatch):
    from ann_keras import data, experiments
    from ann_keras.training import callbacks, fitting

    spec = experiments.load("cnn-fast", "smoke")
    dataset = data.load("synthetic-images", seed=0, limit=200, test_limit=40, image_size=16)
    params = spec.with_params({"epochs": 4, "whitening_bias_epochs": 2, "lookahead": 0.0}, "test")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            layer = self.model.get_layer("whitening")
            seen.append((layer.bias.numpy().copy(), layer.trainable))

    # Recorded where the clock stands: after the other callbacks.
    monkeypatch.setattr(callbacks, "Clock", lambda started: Record())
    run = fitting.train("airbench", params, dataset, seed=0, augment=spec.augment)
    (first, trained_1), (second, trained_2), (third, frozen_3), (fourth, frozen_4) = seen
    assert trained_1 and trained_2 and not frozen_3 and not frozen_4
    assert not np.array_equal(first, second)        # trained in epochs 1 and 2
    np.testing.assert_array_equal(second, third)    # then untouched
    np.testing.assert_array_equal(third, fourth)
    assert run.model.get_layer("whitening").trainable   # the saved model is the network as built
