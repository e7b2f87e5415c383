import numpy as np

from ann_keras.reports import plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_heatmap_is_a_png_and_is_deterministic():
    matrix = np.arange(100).reshape(10, 10)
    names = [f"class {i}" for i in range(10)]
    options = dict(row_labels=names, column_labels=names, title="t", xlabel="p", ylabel="t", colorbar="c")
    first, again = plots.heatmap(matrix, **options), plots.heatmap(matrix, **options)
    assert first.startswith(PNG) and first == again


def test_training_curves_accept_missing_validation():
    png = plots.training_curves({"unit": "iteration", "step": [1, 2], "loss": [1.0, 0.5], "accuracy": [0.1, 0.4]},
                                title="x")
    assert png.startswith(PNG)


def test_image_grid_takes_colour_and_grayscale():
    colour = np.zeros((8, 8, 3), dtype=np.uint8)
    gray = np.ones((8, 8, 1), dtype=np.float32)
    png = plots.image_grid([[colour, gray], [gray, colour]], row_titles=["a", "b"], column_titles=["x", "y"],
                           title="grid")
    assert png.startswith(PNG)


def test_accuracy_against_time_draws_with_and_without_a_target():
    history = {"time_s": [30.0, 60.0], "val_accuracy": [0.5, 0.7], "accuracy": [0.4, 0.6]}
    assert plots.accuracy_against_time(history, target=0.763, title="t").startswith(PNG)
    assert plots.accuracy_against_time(history, target=None, title="t").startswith(PNG)


def test_dollar_signs_in_labels_are_drawn_as_text_not_mathtext():
    names = ["$x", "price $5", "$\\frac{a}{", "a$b$c"]
    png = plots.heatmap(np.eye(4), row_labels=names, column_labels=names, title="$ title", xlabel="$", ylabel="$$",
                        colorbar="$")
    assert png.startswith(PNG)
    png = plots.image_grid([[np.zeros((8, 8, 3), dtype=np.uint8)]], row_titles=["$\\alpha"], column_titles=["$"],
                           title="$")
    assert png.startswith(PNG)


def test_a_long_title_is_broken_into_lines_that_fit_the_figure():
    import matplotlib.pyplot as plt
    figure = plt.figure(figsize=(6, 4))
    title = "Precision, recall and F1: Fast CNN on CIFAR-10 (the paper's accuracy, quickly), cifar10"
    lines = plots._wrapped(title, figure).split("\n")
    plt.close(figure)
    assert len(lines) > 1 and all(len(line) <= 42 for line in lines) and " ".join(lines) == title


def test_parallel_coordinates_keep_the_grids_order_whatever_order_the_trials_come_in():
    import pandas as pd
    # Sorted by score, as the trials table is: 1024 came first, 256 last.
    trials = pd.DataFrame({"dense_units": ["1024", "512", "256"], "filters": ["64/128", "32/64", "48/96"]})
    grid = {"dense_units": ["256", "512", "1024"], "filters": ["32/64", "48/96", "64/128"]}
    levels = plots.coordinate_levels(trials, ["dense_units", "filters"], grid)
    assert levels == grid
    # Without the grid (an old caller), the trials' order is all there is.
    assert plots.coordinate_levels(trials, ["dense_units"], {})["dense_units"] == ["1024", "512", "256"]


def test_our_lines_never_take_the_papers_red():
    import matplotlib.colors
    red = matplotlib.colors.to_rgb(plots.PAPER)
    assert red not in plots.OURS_PALETTE and red not in [matplotlib.colors.to_rgb(c) for c in plots.COLOURS.values()]
    assert len(set(plots.OURS_PALETTE)) == len(plots.OURS_PALETTE) >= 9


def test_a_title_from_data_is_cut_to_three_lines_however_long():
    from matplotlib.figure import Figure
    lines = plots._wrapped("word " * 4_000_000, Figure(figsize=(7, 4))).split("\n")
    assert len(lines) == plots.TITLE_LINES and lines[-1].endswith("…")


def test_a_heatmap_of_many_classes_is_one_picture_of_bounded_size_without_cell_text():
    matrix = np.random.default_rng(0).random((1000, 1000))
    names = [f"class {i}" for i in range(1000)]
    png = plots.heatmap(matrix, row_labels=names, column_labels=names, title="t", xlabel="p", ylabel="t",
                        colorbar="c")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert png.startswith(PNG) and width < 2000 and height < 1500   # 1,000 classes at the 10-class scale: 7,000 px


def test_sorted_scores_draw_one_line_per_score():
    png = plots.sorted_scores({"precision": [0.2, 0.9, 0.5], "recall": [1.0, 0.1, 0.4]}, title="t", xlabel="x")
    assert png.startswith(PNG)
