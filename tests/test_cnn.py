import pytest

from ann_keras import experiments, models
from ann_keras.errors import DataError
from ann_keras.models.normalization import FusedBatchNormalization


def cnn_params(**overrides):
    return experiments.load("cnn").with_params(overrides, "test")


def test_cnn_is_the_papers_network_by_default():
    model = models.build("cnn", (32, 32, 3), 10, cnn_params(augment=False))
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    assert [c.filters for c in convs] == [48, 48, 96, 96]
    assert [c.strides for c in convs] == [(1, 1), (2, 2), (1, 1), (2, 2)]       # the "stride" reading
    norms = [layer for layer in model.layers if layer.name.startswith("bn")]
    assert len(norms) == 4 and all(n.momentum == 0.9 for n in norms)      # PyTorch's default, as the paper
    # "two fully connected layers": a hidden layer of 512 nodes and the output layer
    assert [layer.units for layer in model.layers if layer.name.startswith("dense")] == [512]
    assert all(isinstance(n, FusedBatchNormalization) for n in norms)
    # dropout 0.5 in place of pooling only: after each convolution pair, none after the dense layer
    assert [layer.name for layer in model.layers if "dropout" in layer.name] == ["dropout1", "dropout2"]
    assert all(layer.rate == 0.5 for layer in model.layers if "dropout" in layer.name)
    assert model.get_layer("output").activation.__name__ == "softmax"
    assert model.get_layer("dense_1").input.shape[-1] == 8 * 8 * 96
    with pytest.raises(ValueError):
        model.get_layer("augmentation")


def test_cnn_hyperparameters_change_the_network():
    params = cnn_params(filters=[8, 16, 32], reduction="maxpool", dense_units=20, dense_layers=1, dropout=0.2,
                        augment=True)
    model = models.build("cnn", (16, 16, 1), 3, params, augment={"horizontal_flip": True})
    assert [layer.filters for layer in model.layers if layer.name.startswith("conv")] == [8, 8, 16, 16, 32, 32]
    assert len([layer for layer in model.layers if layer.name.startswith("pool")]) == 3
    with pytest.raises(ValueError):   # augmentation runs in the input pipeline, never inside the model
        model.get_layer("augmentation")
    assert model.output_shape == (None, 3)


@pytest.mark.parametrize("relu, order", [
    ("convolution", ["conv1_1", "bn1_1", "relu1_1", "conv1_2", "bn1_2", "relu1_2", "dropout1"]),
    # The paper's words: "following every two convolution layers and a dropout layer, a ReLU function is applied".
    ("pair", ["conv1_1", "bn1_1", "conv1_2", "bn1_2", "dropout1", "relu1"]),
])
def test_relu_follows_each_convolution_or_each_pair_after_its_dropout(relu, order):
    model = models.build("cnn", (32, 32, 3), 10, cnn_params(augment=False, relu=relu))
    names = [layer.name for layer in model.layers]
    assert names[names.index("conv1_1"):names.index("conv2_1")] == order
    assert len([name for name in names if name.startswith("relu")]) == (4 if relu == "convolution" else 2)


def test_cnn_refuses_non_image_examples_with_a_clear_message():
    with pytest.raises(DataError, match=r"the cnn model needs images \(height, width, channels\), got examples "
                                        r"of shape \(64,\); valid choices: cifar10, images:PATH, synthetic-images"):
        models.build("cnn", (64,), 10, cnn_params())
