"""images:PATH, a user's own class folders (the reading itself is tested in test_images.py)."""

import numpy as np

from ann_keras import data


def test_cifar10_and_images_read_a_local_tree(tmp_path, monkeypatch, seed):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    tree = make_tree(tmp_path / "tree", per_class=10)
    from_path = data.load("cifar10", seed=seed, path=str(tree), image_size=8, validation_size=0.2)
    from_name = data.load(f"images:{tree}", seed=seed, image_size=8, validation_size=0.2)
    assert from_path.class_names == from_name.class_names == ("cat", "dog", "ship")
    assert np.array_equal(from_path.x_val, from_name.x_val)
    assert from_path.describe()["skipped"] == {"count": 0, "first": []}


def test_the_fingerprint_follows_the_content_not_the_place(tmp_path, monkeypatch, seed):
    import shutil
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    tree = make_tree(tmp_path / "tree", per_class=4)
    moved = shutil.copytree(tree, tmp_path / "elsewhere" / "copy")
    first = data.fingerprint(f"images:{tree}")
    assert first == data.fingerprint(f"images:{moved}") == data.fingerprint("images", {"path": str(moved)})
    assert data.load(f"images:{moved}", seed=seed, image_size=8).fingerprint == first
    picture = sorted((moved / "train" / "cat").iterdir())[0]
    picture.write_bytes(picture.read_bytes() + b"changed")
    assert data.fingerprint(f"images:{moved}") != first
