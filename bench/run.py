"""`make bench`: speed figures, each as a ratio against a baseline measured in the same run.

    python bench/run.py --mode short   # a few minutes: the plain-fit baseline is projected from 500 epochs
    python bench/run.py --mode full    # the plain fit runs all 5000 epochs
    python bench/run.py --mode full --only ann_workers   # re-measure one section, keep the other rows
    python bench/run.py --mode full --only rnn_cross_validation aeon_sets   # the time-series figures
    python bench/run.py --mode full --only aeon_sets --aeon-sets ArrowHead GunPoint   # some sets; keep the others
    python bench/run.py --mode full --only cnn_fast --cnn-profiles cpu-90   # one profile; keep the others' rows

Writes reports/bench/README.md and bench.json, and prints the table. Never run in CI: timings
depend on the machine, so they are measured here and stated with the hardware, not asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402
import markupsafe  # noqa: E402

from ann_keras import experiments, files, reports, results  # noqa: E402
from ann_keras.data.aeon_sets import shipped_classification  # noqa: E402
from ann_keras.reports import metrics  # noqa: E402
from ann_keras.search import machine  # noqa: E402

from cnn_ablations import cnn_ablations  # noqa: E402  (bench/ is on the path)
from cnn_fast import FIGURE, PROFILES, cnn_fast  # noqa: E402
from cnn_kernels import cnn_kernels  # noqa: E402
from time_series import aeon_figure, aeon_sets, lstm_grid, rnn_cross_validation, tensorboard  # noqa: E402


def timed(function, repeats=1):
    """Return the median wall time of `function()` over `repeats` calls, and its last value."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def ann_trainer_vs_plain_fit(mode: str) -> list[dict]:
    """One 5000-iteration configuration: our compiled-steps trainer vs `model.fit(epochs=5000)`."""
    import keras
    import tensorflow as tf

    from ann_keras import data, models
    from ann_keras.training import fitting, optimizers
    tf.get_logger().setLevel("ERROR")
    spec = experiments.load("ann")
    params = spec.params
    dataset = data.load("digits", seed=42, **spec.data)
    ours, run = timed(lambda: fitting.train("mlp", params, dataset, seed=42), repeats=3)

    epochs = params["iterations"] if mode == "full" else 500
    keras.utils.set_random_seed(42)
    model = models.build("mlp", dataset.input_shape, dataset.num_classes, params)
    optimizers.compile_model(model, params)       # same optimizer, loss and XLA setting; one step per call
    y = optimizers.targets(dataset.y_train, params, dataset.num_classes)
    plain, _ = timed(lambda: model.fit(dataset.x_train, y, batch_size=len(y), epochs=epochs, verbose=0))
    plain_5000 = plain * params["iterations"] / epochs
    how = "measured" if mode == "full" else f"projected from {epochs} epochs"
    return [{
        "figure": "ANN: one 5000-iteration configuration (build, train, evaluate)",
        "ours": f"{ours:.2f} s", "baseline": f"{plain_5000:.1f} s ({how})",
        "baseline_is": "plain model.fit(epochs=5000), full batch, same model and optimizer",
        "ratio": f"{plain_5000 / ours:.0f}x faster", "goal": "<= 2 s",
        "seconds": ours, "baseline_seconds": plain_5000,
        "note": f"test accuracy {run.metrics['test_accuracy']:.3f}; median of 3",
    }]


def tune_ann(*options: str) -> tuple[float, results.RunResult]:
    """Run `ann-keras tune ann OPTIONS` in a fresh runs folder; return its wall time and its results."""
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        command = [sys.executable, "-m", "ann_keras", "tune", "ann", "--no-report", "--progress", "none",
                   "--runs-dir", str(runs), *options]
        wall, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True))
        return wall, results.load(next(runs.glob("ann/*/results.json")))


def ann_grid(mode: str) -> list[dict]:
    """The whole `ann-keras tune ann` grid, as a user types it, TensorFlow start included."""
    rows = []
    variants = [("grid only (8 configurations x 3 seeds)", ["--set", "tuner.paper_runs=false"])]
    if mode == "full":
        variants.append(("grid + the paper's 3 off-grid settings + final model", []))
    for label, extra in variants:
        wall, stored = tune_ann(*extra)
        rows.append({
            "figure": f"ANN: `ann-keras tune ann`, {label}",
            "ours": f"{wall:.1f} s", "baseline": f"{stored.timings['search_s']:.1f} s in the search",
            "baseline_is": "time inside the search itself (the rest: Python and TensorFlow start, final model)",
            "ratio": "", "goal": "<= 90 s" if "only" in label else "",
            "seconds": wall, "baseline_seconds": stored.timings["search_s"],
            "note": f"best trial {stored.best_trial_id}, final test accuracy "
                    f"{stored.final['metrics']['test_accuracy']:.3f}",
        })
    return rows


def ann_workers(mode: str) -> list[dict]:
    """Distributed tuning: trials per minute on the ANN grid in one process, and with 1 and 2 workers."""
    rows, points = [], []
    for label, extra in [("one process (no --workers)", []), ("--workers 1", ["--workers", "1"]),
                         ("--workers 2", ["--workers", "2"])]:
        wall, stored = tune_ann("--set", "tuner.paper_runs=false", *extra)
        search, trials = stored.timings["search_s"], len(stored.trials)
        per_minute = trials / search * 60
        busy = sum(e["duration_s"] for t in stored.trials for e in t["executions"])
        points.append(sorted(json.dumps(t["hyperparameters"], sort_keys=True) for t in stored.trials))
        row = {"figure": f"ANN grid (8 configurations x 3 seeds) in {label}",
               "ours": f"{per_minute:.1f} trials/min", "baseline": "", "baseline_is": "", "ratio": "", "goal": "",
               "seconds": search, "trials_per_min": per_minute,
               "note": f"search {search:.1f} s{' (workers start included)' if extra else ''}, {wall:.1f} s wall; "
                       f"{busy:.1f} s of training summed over the {trials} trials' executions"}
        if rows:   # beside the one-process row
            single = rows[0]["trials_per_min"]
            row.update(baseline=f"{single:.1f} trials/min", baseline_is="the same grid in one process",
                       ratio=f"{per_minute / single:.2f}x")
        rows.append(row)
    same = all(p == points[0] for p in points)
    rows[-1]["note"] += "; the same trials as one process" if same else "; TRIALS DIFFER from one process"
    return rows


def report_rebuild(mode: str) -> list[dict]:
    """Rebuilding a report from results.json: in-process, as the `ann-keras report` command, for 1,000 classes."""
    fixture = ROOT / "tests" / "fixtures" / "ann-smoke-results.json"
    result = results.load(fixture)
    with tempfile.TemporaryDirectory() as folder:
        inside, _ = timed(lambda: reports.write_report(result, Path(folder)), repeats=5)
        run_dir = Path(folder) / "run"
        run_dir.mkdir()
        (run_dir / "results.json").write_text(fixture.read_text())
        command = [sys.executable, "-m", "ann_keras", "report", str(run_dir), "--reports-dir", folder]
        whole, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True), repeats=3)
    return [{
        "figure": "Report rebuilt from results.json (ANN, 10 classes, 4 figures)",
        "ours": f"{inside:.2f} s", "baseline": f"{whole:.2f} s",
        "baseline_is": "the whole `ann-keras report` command, Python start included",
        "ratio": "", "goal": "well under 1 s", "seconds": inside, "baseline_seconds": whole,
        "note": "median of 5 (in-process) and of 3 (command)",
    }] + many_classes_reports()


def many_classes_reports() -> list[dict]:
    """A report of 1,000 and of 10,000 classes beside one of 10, each in a process of its own (peak memory)."""
    def child(classes):
        command = [sys.executable, str(ROOT / "bench" / "many_classes.py"), "--classes", str(classes)]
        return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    ten = child(10)
    rows = []
    for classes in (1000, 10000):
        many = child(classes)
        rows.append({
            "figure": f"Report of {classes:,} classes (50 test examples each, a third mistaken)",
            "ours": f"{many['seconds']:.1f} s, {many['peak_mb']:.0f} MB peak",
            "baseline": f"{ten['seconds']:.1f} s, {ten['peak_mb']:.0f} MB peak",
            "baseline_is": "the same report of 10 classes, in a process of its own",
            "ratio": f"{many['seconds'] / ten['seconds']:.1f}x time, {many['peak_mb'] / ten['peak_mb']:.1f}x memory",
            "goal": "<= 30 s and <= 1 GB for 1,000 classes" if classes == 1000 else "the schema's largest",
            "seconds": many["seconds"], "baseline_seconds": ten["seconds"], "peak_mb": many["peak_mb"],
            "note": f"confusion summarised, tables paged; pages and files written: {many['written_mb']:.1f} MB "
                    f"({ten['written_mb']:.1f} MB for 10 classes)",
        })
    return rows


def cnn_epoch_child(data_path: str, images: int, *options: str) -> dict:
    """Run bench/cnn_epoch.py in a process of its own (so its peak memory is its own); return its JSON line."""
    command = [sys.executable, str(ROOT / "bench" / "cnn_epoch.py"), "--data", str(Path(data_path).resolve()),
               "--images", str(images), *options]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def cnn_epochs(mode: str, data_path: str | None) -> list[dict]:
    """The paper's CNN: seconds per epoch, images per second, peak memory, projected `paper` profile."""
    if not data_path or not Path(data_path).exists():
        return [{"figure": "CNN on CIFAR-10", "ours": "not measured", "baseline": "", "baseline_is": "",
                 "ratio": "", "goal": "", "note": "no CIFAR-10 copy: pass --data or CIFAR10=... to make bench"}]
    images = 4000 if mode == "short" else 10000

    def child(*overrides):
        return cnn_epoch_child(data_path, images, *[f"--set={o}" for o in overrides])

    ours = child()
    unreduced = child("params.reduction=none")
    rows = [{
        "figure": "CNN: the paper's network (48/96 kernels, 512 nodes, augmentation), one epoch of 45,000 images",
        "ours": f"{ours['epoch_s_scaled']:.0f} s ({ours['images_per_s']:.0f} images/s)",
        "baseline": f"{unreduced['epoch_s_scaled']:.0f} s ({unreduced['images_per_s']:.0f} images/s)",
        "baseline_is": "the same network read without spatial reduction (dropout only, 32x32 maps throughout)",
        "ratio": f"{unreduced['epoch_s_scaled'] / ours['epoch_s_scaled']:.1f}x faster", "goal": "",
        "seconds": ours["epoch_s_scaled"], "baseline_seconds": unreduced["epoch_s_scaled"],
        "note": f"steady-state epoch timed on {ours['timed_images']} images, scaled to 45,000",
    }, {
        "figure": "CNN: peak resident memory of a training process (full CIFAR-10 in memory)",
        "ours": f"{ours['peak_rss_gib']:.2f} GiB", "baseline": f"{unreduced['peak_rss_gib']:.2f} GiB",
        "baseline_is": "the unreduced network", "ratio": "", "goal": "<= 4 GB",
        "seconds": None, "baseline_seconds": None, "note": "ru_maxrss of the child process",
    }]
    # The paper profile: a 10-epoch baseline, 9 grid trials of 10 epochs, a 50-epoch final; the grid's
    # configurations differ in cost, so each is timed.
    grid = [child(f"params.filters={filters}", f"params.dense_units={units}")
            for filters in ("[32, 64]", "[48, 96]", "[64, 128]") for units in (256, 512, 1024)]
    projected = 10 * ours["epoch_s_scaled"] + sum(10 * g["epoch_s_scaled"] for g in grid) \
        + 50 * ours["epoch_s_scaled"]
    rows.append({
        "figure": "CNN: the `paper` profile (10 + 9 x 10 + 50 epochs), projected from the timed epochs",
        "projected_paper_s": projected,
        "ours": f"{projected / 3600:.1f} h", "baseline": "", "baseline_is": "", "ratio": "", "goal": "",
        "seconds": projected, "baseline_seconds": None,
        "note": "training epochs only; evaluation adds a few percent",
    })
    return rows


def cnn_speed(mode: str, data_path: str | None) -> list[dict]:
    """The paper's CNN made faster: fused batch normalisation and bfloat16, each beside the path before it."""
    if not data_path or not Path(data_path).exists():
        return []
    images = 4000 if mode == "short" else 10000

    # Each variant changes one thing; interleaved twice, so a slow moment of the machine does not land on
    # one variant only. The last three show where the step's time goes (they are not what ann-keras runs).
    bf16 = "--set=params.precision=mixed_bfloat16"
    variants = {"keras": ["--keras-batch-norm"], "fused": [], "bf16": [bf16],
                "no_augmentation": [bf16, "--set=params.augment=false"],
                "steps8": [bf16, "--steps-per-execution", "8"]}
    speeds = {name: [] for name in variants}
    for _ in range(2):
        for name, options in variants.items():
            speeds[name].append(cnn_epoch_child(data_path, images, "--epochs", "3", *options)["images_per_s"])
    best = {name: max(values) for name, values in speeds.items()}

    def row(figure, name, against, against_is):
        return {"figure": figure, "ours": f"{best[name]:.0f} images/s", "baseline": f"{best[against]:.0f} images/s",
                "baseline_is": against_is, "ratio": f"{best[name] / best[against]:.2f}x", "goal": "",
                "images_per_s": best[name], "baseline_images_per_s": best[against],
                "note": f"best of 2 interleaved child processes ({', '.join(f'{v:.0f}' for v in speeds[name])}); "
                        f"steady-state epochs of {images} images, batch 64"}

    ours = "`--precision mixed_bfloat16`, fused batch normalisation (what the cpu profile runs)"
    rows = [row("CNN speed: fused batch normalisation (float32)", "fused", "keras",
                "keras.layers.BatchNormalization, the path before (float32)"),
            row("CNN speed: `--precision mixed_bfloat16` with fused batch normalisation", "bf16", "keras",
                "keras.layers.BatchNormalization in float32, the path before"),
            row("CNN step without augmentation (its share of the step; not a setting)", "no_augmentation", "bf16",
                ours),
            row("CNN step with 8 batches per compiled call (Keras's per-step overhead)", "steps8", "bf16", ours)]
    if mode == "full":
        rows.append(_precision_parity(str(Path(data_path).resolve())))
    return rows


def backend_epoch_child(name: str, experiment: str, data_path: str, images: int, *options: str) -> dict:
    """Run bench/backend_epoch.py on backend `name` in a process of its own; return its JSON line."""
    command = [sys.executable, str(ROOT / "bench" / "backend_epoch.py"), "--backend", name, "--experiment",
               experiment, "--data", str(Path(data_path).resolve()), "--images", str(images), *options]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def backends(mode: str, data_path: str | None) -> list[dict]:
    """Each installed Keras backend beside TensorFlow on this machine: CNN epochs with and without augmentation,
    a cnn-fast epoch, and the ANN grid as `ann-keras tune ann` runs it; ratios against TensorFlow, same run."""
    from ann_keras import backend

    names = [name for name in ("tensorflow", "jax", "torch") if backend.installed(name)]
    if "tensorflow" not in names or len(names) < 2:
        return []
    rows = []
    images = 2000 if mode == "short" else 6000
    if data_path and Path(data_path).exists():
        work = [("CNN epoch, the paper's network with augmentation", "cnn", ()),
                ("CNN epoch, the paper's network without augmentation", "cnn", ("--no-augment",)),
                ("cnn-fast epoch (airbench93's network, its augmentation)", "cnn-fast", ("--profile", "cpu"))]
        for figure, experiment, options in work:
            measured = {name: backend_epoch_child(name, experiment, data_path, images, *options) for name in names}
            base = measured["tensorflow"]
            for name in names[1:]:
                ours = measured[name]
                rows.append({
                    "figure": f"{figure}, Keras on {name}", "ours": f"{ours['images_per_s']:.0f} images/s",
                    "baseline": f"{base['images_per_s']:.0f} images/s", "baseline_is": "Keras on TensorFlow",
                    "ratio": f"{ours['images_per_s'] / base['images_per_s']:.2f}x", "goal": "",
                    "images_per_s": ours["images_per_s"], "baseline_images_per_s": base["images_per_s"],
                    "note": f"steady epochs of {images} training images (the first, compiling, left out); "
                            f"first epoch {ours['first_epoch_s']:.0f} s against {base['first_epoch_s']:.0f} s"})
    grid = {}
    for name in names:
        seconds, _ = tune_ann("--profile", "paper" if mode == "full" else "smoke", "--backend", name)
        grid[name] = seconds
    for name in names[1:]:
        rows.append({"figure": f"ANN grid (`ann-keras tune ann`), Keras on {name}", "ours": f"{grid[name]:.0f} s",
                     "baseline": f"{grid['tensorflow']:.0f} s", "baseline_is": "Keras on TensorFlow",
                     "ratio": f"{grid['tensorflow'] / grid[name]:.2f}x faster", "goal": "",
                     "seconds": grid[name], "baseline_seconds": grid["tensorflow"],
                     "note": "the whole command, the backend's start included"})
    return rows


def _precision_parity(data: str) -> dict:
    """Test accuracy of the same short training in float32 and in mixed_bfloat16 (same seed, same data)."""
    accuracy = {}
    for precision in ("float32", "mixed_bfloat16"):
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, "-m", "ann_keras", "train", "cnn", "--profile", "paper", "--data", data,
                       "--runs-dir", folder, "--no-report", "--progress", "none", "--executions", "1",
                       "--precision", precision, "--set", "epochs=4", "--set", "train_examples=20000"]
            subprocess.run(command, check=True, capture_output=True)
            stored = results.load(next(Path(folder).glob("cnn/*/results.json")))
            # Measured the paper's way (batch-norm moving averages), as every number set beside the paper's.
            accuracy[precision] = metrics.papers_way(stored.final["metrics"], "test_accuracy")[0]
    difference = accuracy["mixed_bfloat16"] - accuracy["float32"]
    return {"figure": "CNN accuracy parity: the paper's network, 4 epochs on 20,000 images, seed 42",
            "ours": f"{100 * accuracy['mixed_bfloat16']:.1f}% (mixed_bfloat16)",
            "baseline": f"{100 * accuracy['float32']:.1f}% (float32)", "baseline_is": "the same training in float32",
            "ratio": f"{100 * difference:+.1f} pts", "goal": "", "accuracy": accuracy,
            "note": "test accuracy of one seed, with batch normalisation's moving averages (the paper's evaluation); "
                    "seed-to-seed spread of this training is about 1 point"}


def _hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write the hostile data files the loaders must refuse cheaply; return each with what it declares."""
    import io
    import pickle
    import tarfile

    import numpy as np
    from numpy._core.multiarray import _reconstruct
    from PIL import Image

    class Zeros(io.RawIOBase):
        """`size` zero bytes, streamed: the archive is written without holding its member in memory."""

        def __init__(self, size):
            self.left = size

        def readable(self):
            return True

        def readinto(self, buffer):
            count = min(len(buffer), self.left)
            buffer[:count] = bytes(count)
            self.left -= count
            return count

    files = {}
    member = 1_500_000_000
    path = folder / "bomb.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        info = tarfile.TarInfo("train/cat/huge.png")
        info.size = member
        archive.addfile(info, io.BufferedReader(Zeros(member), 1 << 20))
    files["tar.gz with one 1.5 GB member"] = (path, f"{member / 1e9:.1f} GB member")

    class Declares:
        def __reduce__(self):
            return (_reconstruct, (np.ndarray, (3_000_000_000,), b"b"))
    bomb = ()
    for _ in range(40):
        bomb = (bomb, bomb)
    for name, data in (("pickle declaring a 3 GB array", Declares()), ("pickle of a nested-tuple bomb", bomb)):
        batches = folder / name.replace(" ", "-") / "cifar-10-batches-py"
        batches.mkdir(parents=True)
        for batch in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            (batches / batch).write_bytes(pickle.dumps({b"data": data, b"labels": [0]}))
        files[name] = (batches / "data_batch_1", "3 GB array" if "array" in name else "2**40 tuples if expanded")

    tree = folder / "tree"
    for split in ("train", "test"):
        for label, colour in (("cat", (200, 0, 0)), ("dog", (0, 200, 0))):
            (tree / split / label).mkdir(parents=True)
            for i in range(4):
                Image.new("RGB", (32, 32), colour).save(tree / split / label / f"{i}.png")
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    png = bytearray(buffer.getvalue())
    png[16:24] = (20000).to_bytes(4, "big") * 2
    png[29:33] = __import__("zlib").crc32(bytes(png[12:29])).to_bytes(4, "big")
    (tree / "train" / "dog" / "bomb.png").write_bytes(bytes(png))
    files["image tree with a PNG declaring 20000x20000"] = (tree / "train" / "dog" / "bomb.png",
                                                            "1.2 GB of pixels if decoded")
    return files


def hostile_files(mode: str) -> list[dict]:
    """Hostile data files: peak memory while refusing each, beside its size on disk and the imports alone."""
    def child(*options):
        command = [sys.executable, str(ROOT / "bench" / "hostile_file.py"), *options]
        return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    base = child("--imports-only")["peak_mb"]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ANN_KERAS_CACHE"] = str(Path(folder) / "cache")
        for name, (path, declares) in _hostile_files(Path(folder)).items():
            source = path.parent.parent.parent if "tree" in name else path.parent if "pickle" in name else path
            outcome = child(str(source))
            disk = path.stat().st_size
            rows.append({
                "figure": f"Hostile file: {name}",
                "ours": f"{outcome['peak_mb']:.0f} MB peak", "baseline": f"{base:.0f} MB",
                "baseline_is": "the same process with the same imports, reading nothing",
                "ratio": f"+{outcome['peak_mb'] - base:.0f} MB",
                "goal": "refused or skipped before the declared size is allocated",
                "peak_mb": outcome["peak_mb"], "baseline_mb": base,
                "note": f"file {disk:,} bytes on disk, declares {declares}; {outcome['outcome'][:160]}",
            })
        os.environ.pop("ANN_KERAS_CACHE")
    return rows


def _write_repeated(path: Path, head: bytes, piece: bytes, size: int, tail: bytes = b"") -> Path:
    """Write `head`, then `piece` repeated to about `size` bytes, then `tail`, a block at a time."""
    with open(path, "wb") as stream:
        stream.write(head)
        block = piece * max(1, (1 << 20) // len(piece))
        for _ in range(size // len(block)):
            stream.write(block)
        stream.write(tail)
    return path


def _hostile_inputs(folder: Path) -> dict[str, tuple[str, Path, str]]:
    """Write the inputs of issue 35's cases at the documented caps; return each with its reader and what it holds."""
    import zipfile
    cap = 63 << 20   # just under predict's cap on one file (64 MiB), so that each is read, not skipped by size
    cases = {
        "predict: a 63 MiB CSV of 16.5 million two-value rows": (
            "predict-sequences", _write_repeated(folder / "rows.csv", b"", b"1,2\n", cap), "16.5 million rows"),
        "predict: a 63 MiB CSV of one-step rows for a 1,000-step model": (
            "predict-long-model", _write_repeated(folder / "short.csv", b"", b"0.5\n", cap),
            "16.5 million inputs of 1,000 steps if all were padded"),
        "predict: one 63 MiB row": (
            "predict-sequences", _write_repeated(folder / "row.csv", b"", b"1,", cap, b"1\n"),
            "33 million values in one row"),
        "predict: one 63 MiB .ts case": (
            "predict-sequences", _write_repeated(folder / "case.ts", b"@data\n", b"1,", cap, b"1:2\n"),
            "one case of 33 million steps"),
        "predict: a 63 MiB digits file": (
            "predict-digits", _write_repeated(folder / "digits.txt", b"", b"1 ", cap), "33 million values"),
    }
    ts = folder / "ts"
    ts.mkdir()
    header = b"@problemName W\n@univariate true\n@equalLength false\n@classLabel true a b\n@data\n"
    _write_repeated(ts / "W_TEST.ts", header, b"1,2,3:a\n", 1000)
    cases["train: a .ts file with one 63 MiB line"] = (
        "train-ts", _write_repeated(ts / "W_TRAIN.ts", header, b"1,", cap, b"1:a\n"), "33 million steps in a case")
    (folder / "model").mkdir()   # alone in its folder: a results.json beside a model is read with it
    bomb = folder / "model" / "model.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        with archive.open("config.json", "w", force_zip64=True) as member:
            block = b" " * (1 << 20)
            for _ in range(1536):
                member.write(block)
        archive.writestr("model.weights.h5", bytes(100))
    cases["model: a .keras file whose config.json inflates to 1.5 GiB"] = (
        "archive", bomb, f"{bomb.stat().st_size / 2**20:.1f} MiB on disk, 1.5 GiB inflated")

    # config.json describes a model: one whose Dense layer declares 16 TiB of kernel, and one of 100,000 layers.
    def sequential(layers):
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": {"name": "s", "layers": [
                    {"module": "keras.layers", "class_name": "InputLayer",
                     "config": {"batch_shape": [None, 64], "dtype": "float32", "name": "digits"}}, *layers]},
                "build_config": {"input_shape": [None, 64]}}

    def dense(name, units):
        return {"module": "keras.layers", "class_name": "Dense", "config": {"name": name, "units": units}}

    for case, layers, holds in (
            ("huge", [dense("hidden", 2**36)], "a Dense layer of 2**36 units: 16 TiB of kernel"),
            ("many", [dense(f"d{i}", 1) for i in range(100_000)], "100,000 Dense layers")):
        (folder / case).mkdir()
        model = folder / case / "model.keras"
        with zipfile.ZipFile(model, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", "{}")
            archive.writestr("config.json", json.dumps(sequential(layers)))
            archive.writestr("model.weights.h5", bytes(100))
        cases[f"model: a .keras file whose config.json declares {holds}"] = (
            "model", model, f"{model.stat().st_size / 2**10:.0f} KiB on disk, {holds}")
    fixture = json.loads((ROOT / "tests" / "fixtures" / "ann-smoke-results.json").read_text())
    fixture["title"] = "x" * 20_000_000
    (folder / "run").mkdir()
    title = folder / "run" / "results.json"
    title.write_text(json.dumps(fixture))
    cases["report: a results.json with a 20 MB title"] = ("report", title, "a 20 MB title")
    return cases


def hostile_inputs(mode: str) -> list[dict]:
    """Hostile inputs to predict, train, the model loader and the reports at their caps: peak memory of each."""
    def child(*options):
        command = [sys.executable, str(ROOT / "bench" / "hostile_input.py"), *options]
        return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    bases = {reader: child(reader, "--imports-only")["peak_mb"] for reader in ("report", "model")}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (reader, path, holds) in _hostile_inputs(Path(folder)).items():
            outcome = child(reader, str(path))
            base = bases.get(reader, bases["report"])
            rows.append({
                "figure": f"Hostile input: {name}",
                "ours": f"{outcome['peak_mb']:.0f} MB peak", "baseline": f"{base:.0f} MB",
                "baseline_is": "the same process with the same imports, reading nothing"
                               + (" (Keras and TensorFlow included)" if reader == "model" else ""),
                "ratio": f"+{outcome['peak_mb'] - base:.0f} MB", "goal": "under 1 GB, one line",
                "peak_mb": outcome["peak_mb"], "baseline_mb": base,
                "note": f"file {path.stat().st_size:,} bytes, holds {holds}; {outcome['outcome'][:200]}",
            })
    return rows


SECTIONS = [ann_trainer_vs_plain_fit, ann_grid, ann_workers, report_rebuild, hostile_files, hostile_inputs]

TEMPLATE = """# Benchmarks

Written by `make bench` (`{{ command }}`) on {{ finished }}.
Each ratio is against a baseline measured in the same run on the same machine. Sections are measured apart: the
line of each below says when and on which machine, and rows kept from an earlier run say so in their note.
{% if measured %}
Sections and when each was last measured:
{% for k, v in measured.items() %}
- {{ k }}: {{ v }}
{% endfor %}
{% endif %}

Hardware of this invocation: {{ hardware.cpu }}, {{ hardware.usable_cpus }} usable cores,
{{ hardware.memory_gib }} GiB, {{ hardware.gpus | join(', ') if hardware.gpus else 'no GPU' }}.
Versions: {% for k, v in versions.items() %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% endfor %}.

| figure | ours | baseline | baseline is | ratio | goal | note |
| --- | --- | --- | --- | --- | --- | --- |
{% for r in rows %}
| {{ r.figure }} | {{ r.ours }} | {{ r.baseline }} | {{ r.baseline_is }} | {{ r.ratio }} | {{ r.goal }} | {{ r.note }} |
{% endfor %}
{% if figure %}

## Time to accuracy on CIFAR-10 (section cnn_fast)

![Validation accuracy per epoch against minutes for each cnn-fast profile and the paper's protocol]({{ figure }})
{% endif %}
"""


PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ann-keras benchmarks</title><style>{{ style }}
/* A wide table scrolls sideways on a phone; columns keep a readable width instead of a word per line. */
#bench-table td { min-width: 9em; } #bench-table td:nth-child(4), #bench-table td:nth-child(7) { min-width: 18em; }
</style></head>
<body>
<p class="up"><a href="../index.html">All reports</a></p>
<h1>Benchmarks</h1>
<p>Written by <code>make bench</code> (<code>{{ command }}</code>) on {{ finished }}. Each ratio is against a
baseline measured in the same run on the same machine. Sections are measured apart: the line of each below says
when and on which machine, and rows kept from an earlier run say so in their note.</p>
{% if measured %}<p>Sections and when each was last measured:</p>
<ul>{% for k, v in measured.items() %}<li>{{ k }}: {{ v }}</li>{% endfor %}</ul>{% endif %}
<p>Versions: {% for k, v in versions.items() %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% endfor %}.</p>
<div class="scroll"><table id="bench-table">
<thead><tr><th>figure</th><th>ours</th><th>baseline</th><th>baseline is</th><th>ratio</th><th>goal</th><th>note</th>
</tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.figure }}</td><td class="num">{{ r.ours }}</td><td class="num">{{ r.baseline }}</td>
<td>{{ r.baseline_is }}</td><td class="num">{{ r.ratio }}</td><td>{{ r.goal }}</td><td>{{ r.note }}</td></tr>
{% endfor %}</tbody></table></div>
{% if figure %}<h2>Time to accuracy on CIFAR-10 (section cnn_fast)</h2>
<figure><img src="{{ figure }}" alt="Validation accuracy per epoch against minutes for each cnn-fast profile and the
paper's protocol; stars mark final test accuracy" style="max-width: 100%; height: auto"></figure>{% endif %}
</body>
</html>
"""


def _stamp(hardware: str) -> str:
    """The end of a row measured apart from the rest of its section (--aeon-sets, --cnn-profiles): when and where."""
    return f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {hardware}"


def _merge_sets(new_rows: list[dict], previous_rows: list[dict]) -> list[dict]:
    """Return aeon_sets' rows in aeon's order: the sets just measured, the others' rows kept from bench.json."""
    by_figure = {row["figure"]: row for row in previous_rows if row["section"] == aeon_sets.__name__}
    by_figure.update({row["figure"]: row for row in new_rows})
    order = [aeon_figure(name) for name in shipped_classification()]
    return [by_figure[figure] for figure in order if figure in by_figure]


def write_page(info: dict, path: Path) -> None:
    """Write the bench's HTML page with the reports' style sheet; reports/index.html links to it."""
    style = (ROOT / "ann_keras" / "reports" / "templates" / "style.css").read_text()
    environment = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    page = environment.from_string(PAGE).render(style=markupsafe.Markup(style), **info)
    files.write_text(path, page, within=path.parent)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["short", "full"], default="short")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--data", default=os.environ.get("ANN_KERAS_CIFAR10"),
                        help="CIFAR-10 copy for the CNN figures (default: $ANN_KERAS_CIFAR10)")
    parser.add_argument("--only", nargs="+", choices=[section.__name__ for section in ALL_SECTIONS],
                        help="measure only these sections; the other rows are kept from the last bench.json")
    parser.add_argument("--aeon-sets", nargs="+", metavar="NAME", choices=shipped_classification(),
                        help="aeon_sets: measure only these sets; the other sets' rows are kept from bench.json")
    parser.add_argument("--cnn-profiles", nargs="+", metavar="PROFILE", choices=list(PROFILES),
                        help="cnn_fast: measure only these profiles; the others' rows are kept from bench.json")
    args = parser.parse_args()
    chosen = [section for section in ALL_SECTIONS if not args.only or section.__name__ in args.only]
    previous = files.read_json(args.out / "bench.json") \
        if (args.only or args.cnn_profiles or args.aeon_sets) and (args.out / "bench.json").exists() \
        else {"rows": [], "measured": {}}
    rows, measured = {}, dict(previous.get("measured", {}))
    hardware = reports.hardware_text(machine.environment()["hardware"])
    if previous.get("hardware"):   # bench.json files before the machine was noted per section
        earlier = reports.hardware_text(previous["hardware"])
        measured = {k: v if ", on " in v else f"{v}, on {earlier}" for k, v in measured.items()}
    for section in chosen:
        print(f"bench: {section.__doc__.splitlines()[0]}", flush=True)
        if section is cnn_fast:
            section_rows = cnn_fast(args.mode, args.data, args.out, args.cnn_profiles, previous,
                                    _stamp(hardware) if args.cnn_profiles else "")
        elif section is cnn_ablations:
            section_rows = cnn_ablations(args.mode, args.data)
        elif section is cnn_speed:
            section_rows = cnn_speed(args.mode, args.data)
        elif section is cnn_epochs:
            section_rows = cnn_epochs(args.mode, args.data)
        elif section is backends:
            section_rows = backends(args.mode, args.data)
        elif section is aeon_sets and args.aeon_sets:
            # Some sets: each new row says when (finished) and where it was measured; the rows kept beside it
            # come from earlier runs.
            new_rows = aeon_sets(args.mode, args.aeon_sets)
            section_rows = _merge_sets([dict(row, note=f"{row['note']}; {_stamp(hardware)}") for row in new_rows],
                                       previous["rows"])
        else:
            section_rows = section(args.mode)
        rows[section.__name__] = [dict(row, section=section.__name__) for row in section_rows]
        # Sections re-measured alone (--only) may come from another machine: each says which it ran on.
        measured[section.__name__] = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, --mode {args.mode}, "
                                      f"on {hardware}")
        if section is cnn_fast and args.cnn_profiles:
            measured[section.__name__] += (f" (this time only {', '.join(args.cnn_profiles)}; the other profiles' "
                                           "rows each say when and on what they were measured)")
        if section is aeon_sets and args.aeon_sets:
            # Only some sets ran now; the others' rows, kept from earlier invocations, each say when and where.
            measured[section.__name__] += (f" (this time only {', '.join(args.aeon_sets)}; every set's row says "
                                           "when and on what it was measured)")
    # Rows keep the order of ALL_SECTIONS; a section not measured now keeps its rows from bench.json.
    ordered = []
    for section in ALL_SECTIONS:
        ordered += rows.get(section.__name__) or [row for row in previous["rows"]
                                                  if row["section"] == section.__name__]
    environment = machine.environment()
    command = " ".join(["python bench/run.py --mode", args.mode] + (["--only", *args.only] if args.only else [])
                       + (["--aeon-sets", *args.aeon_sets] if args.aeon_sets else [])
                       + (["--cnn-profiles", *args.cnn_profiles] if args.cnn_profiles else []))
    info = {"mode": args.mode, "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "hardware": environment["hardware"], "versions": environment["versions"], "rows": ordered,
            "measured": measured, "only": args.only, "command": command,
            "figure": FIGURE if (args.out / FIGURE).exists() else None}
    text = jinja2.Template(TEMPLATE, trim_blocks=True, lstrip_blocks=True).render(**info)
    files.write_text(args.out / "README.md", text, within=args.out)
    write_page(info, args.out / "index.html")
    files.write_json(args.out / "bench.json", info, within=args.out)
    print(text)


ALL_SECTIONS = [*SECTIONS, tensorboard, rnn_cross_validation, lstm_grid, aeon_sets, cnn_epochs, cnn_speed, cnn_fast,
                cnn_kernels, cnn_ablations, backends]


if __name__ == "__main__":
    main()
