from ann_keras import experiments, models


def test_resnet_pools_early_and_adds_residual_blocks():
    params = experiments.load("cnn-fast").with_params({"augment": False}, "test")
    model = models.build("resnet", (32, 32, 3), 10, params)
    assert model.get_layer("stem_conv").filters == 32
    assert [model.get_layer(f"stage{i}_conv").filters for i in (1, 2, 3)] == [64, 128, 256]
    assert model.get_layer("stem_pool").output.shape[1:3] == (16, 16)      # pooled right after the stem
    assert model.get_layer("stage3_pool").output.shape[1:3] == (2, 2)
    assert {layer.name for layer in model.layers if layer.name.endswith("_add")} == {"stage1_add", "stage3_add"}
    assert model.output_shape == (None, 10)
