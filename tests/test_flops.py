import keras
import pytest

from ann_keras import experiments, models
from ann_keras.models import flops


def test_convolutions_and_dense_layers_are_counted_as_two_operations_per_multiply_add():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)          # 8*8*4 outputs x 3*3*3 multiply-adds
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(5, 2, padding="valid")(x)              # 3*3*5 outputs x 2*2*4
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10)(x)                            # 45 x 10
    model = keras.Model(inputs, outputs)
    expected = 2 * (8 * 8 * 4 * 27 + 3 * 3 * 5 * 16 + 45 * 10)
    assert flops.forward_flops(model) == expected
    assert flops.training_flops(model) == 3 * expected


def test_airbench94_network_costs_what_airbench_states():
    params = experiments.load("cnn-fast", "cpu-94").with_params({"augment": False, "precision": "float32"}, "t")
    model = models.build("airbench", (32, 32, 3), 10, params)
    # airbench94: 0.36 PFLOP for 9.9 epochs of 50,000 images (its README), i.e. about 0.73 GFLOP per image.
    assert flops.training_flops(model) * 9.9 * 50_000 / 1e15 == pytest.approx(0.36, rel=0.05)


def test_a_frozen_whitening_bias_saves_the_first_convolutions_input_gradient():
    params = experiments.load("cnn-fast", "cpu").with_params({"augment": False, "precision": "float32"}, "t")
    model = models.build("airbench", (32, 32, 3), 10, params)
    # The whitening layer's 24 channels on 31 x 31 maps, into the first group's 64 kernels of 3 x 3.
    assert flops.frozen_front_saving(model) == 2 * 31 * 31 * 64 * 3 * 3 * 24
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    assert flops.frozen_front_saving(plain) == 0
