"""`make bench`'s fast-CIFAR-10 section: how fast, how accurate, and how close to the hardware.

For each cnn-fast profile it runs the command a user types (`ann-keras train
cnn-fast --profile P`, 3 seeds) and reads back each seed's test accuracy and
time. Beside them: the training's achieved FLOP/s (FLOPs per training image,
counted from the model's layers, times images per second) against this
machine's peak, the faster of a large matrix product and a wide 3x3
convolution timed in the same process just before (on a Xeon with AMX,
oneDNN's convolutions ran at twice TensorFlow's matrix product); and a
time-to-accuracy figure of each profile beside the paper's protocol
(reports/cnn, the paper's 50-epoch final model).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ann_keras import files, results
from ann_keras.reports import metrics

ROOT = Path(__file__).resolve().parent.parent
# Each profile's goal: test accuracy (mean of 3 seeds) within minutes per seed (issue: cnn-fast at the limit).
PROFILES = {"cpu": (0.90, 10), "cpu-90": (0.90, 10), "cpu-94": (0.94, 30)}
PAPER_RUN = ROOT / "reports" / "cnn" / "results.json"
FIGURE = "time_to_accuracy.png"


def fastest_seconds(function, *arguments, repeats: int = 5) -> float:
    """Return the fastest of `repeats` timed calls of a tf.function, after one untimed call (tracing, warm-up)."""
    function(*arguments).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(*arguments).numpy()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak(size: int = 4096, repeats: int = 5) -> dict[str, float]:
    """Return this machine's FLOP/s on a size x size matrix product, in float32 and bfloat16 (best of `repeats`)."""
    import tensorflow as tf

    peaks = {}
    for dtype in ("float32", "bfloat16"):
        a = tf.cast(tf.random.stateless_normal((size, size), seed=[1, 2]), dtype)
        b = tf.cast(tf.random.stateless_normal((size, size), seed=[3, 4]), dtype)
        product = tf.function(lambda a, b: tf.matmul(a, b))
        peaks[dtype] = 2 * size ** 3 / fastest_seconds(product, a, b, repeats=repeats)
    return peaks


# The wide convolution of the peak: 3x3, 512 channels in and out, 16x16 maps, batch 256 ("SAME" padding).
PEAK_CONVOLUTION = {"batch": 256, "size": 16, "channels": 512}


def convolution_peak(dtype: str, batch: int, size: int, channels: int, repeats: int = 5) -> float:
    """Return this machine's FLOP/s on a 3x3 convolution of `channels` to `channels` (best of `repeats`)."""
    import tensorflow as tf

    images = tf.cast(tf.random.stateless_normal((batch, size, size, channels), seed=[1, 2]), dtype)
    kernel = tf.cast(tf.random.stateless_normal((3, 3, channels, channels), seed=[3, 4]), dtype)
    convolve = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
    return 2 * batch * size * size * channels * channels * 9 / fastest_seconds(convolve, images, kernel,
                                                                               repeats=repeats)


def machine_peak() -> dict[str, dict[str, float]]:
    """Return, per dtype, the FLOP/s of the 4096 x 4096 matrix product, of PEAK_CONVOLUTION, and the faster ("peak")."""
    matmul = matmul_peak()
    peaks = {}
    for dtype in ("float32", "bfloat16"):
        convolution = convolution_peak(dtype, **PEAK_CONVOLUTION)
        peaks[dtype] = {"matmul": matmul[dtype], "convolution": convolution, "peak": max(matmul[dtype], convolution)}
    return peaks


def peak_text(peak: dict[str, float], dtype: str) -> str:
    """Say what a peak is, for a row's baseline."""
    batch, size, channels = PEAK_CONVOLUTION.values()
    return (f"the faster of a 4096 x 4096 {dtype} matrix product ({peak['matmul'] / 1e9:.0f} GFLOP/s) and a 3x3 "
            f"convolution of {channels} channels on {size}x{size} maps, batch {batch} "
            f"({peak['convolution'] / 1e9:.0f} GFLOP/s), same process (this machine's peak)")


def train_profile(profile: str, data_path: str, executions: int) -> tuple[results.RunResult, Path]:
    """Run `ann-keras train cnn-fast --profile PROFILE`; return its results and its run folder.

    A finished run of the profile already in the runs folder, on the same data, with at least `executions`
    seeds, is read instead of trained again (each takes 10 to 30 minutes per seed).
    """
    runs = Path(os.environ.get("BENCH_RUNS") or ROOT / "runs")
    finished = []
    for path in (runs / "cnn-fast").glob(f"{profile}-train-seed42-*/results.json"):
        stored = results.load(path)
        if stored.trials and len(stored.trials[0]["executions"]) >= executions \
                and stored.dataset["source"].endswith(str(Path(data_path).resolve())):
            finished.append((path.stat().st_mtime, path, stored))
    if finished:
        _, path, stored = max(finished, key=lambda item: item[0])
        return stored, path.parent
    command = [sys.executable, "-m", "ann_keras", "train", "cnn-fast", "--profile", profile, "--data",
               str(Path(data_path).resolve()), "--seed", "42", "--executions", str(executions), "--runs-dir",
               str(runs), "--no-report", "--progress", "none"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    newest = max((runs / "cnn-fast").glob(f"{profile}-train-seed42-*/results.json"), key=lambda p: p.stat().st_mtime)
    return results.load(newest), newest.parent


def seed_histories(stored: results.RunResult) -> list[dict]:
    """Return each seed's per-epoch history (the first seed's is the final model's)."""
    histories = [stored.final["history"]]
    histories += [e["history"] for e in stored.trials[0]["executions"][1:] if "history" in e]
    return histories


FROZEN_NOTE = ", less the first convolution's input gradient once the whitening bias froze"


def training_flops(stored: results.RunResult) -> float:
    """FLOPs of one training image of the run's network, counted from the layers of the model it builds.

    Averaged over the epochs: after whitening_bias_epochs the first
    convolution's gradient with respect to its input is no longer computed.
    """
    from ann_keras import models
    from ann_keras.models import flops

    params = dict(stored.final["params"], augment=False)
    model = models.build(stored.spec["model"], stored.dataset["input_shape"], len(stored.dataset["class_names"]),
                         params)
    epochs, trained = params["epochs"], params.get("whitening_bias_epochs") or 0
    frozen = max(epochs - trained, 0) / epochs if trained else 0.0
    return flops.training_flops(model) - frozen * flops.frozen_front_saving(model)


def profile_rows(profile: str, stored: results.RunResult, peaks: dict, paper: dict | None) -> tuple[list[dict], dict]:
    """The accuracy/time row and the FLOP/s row of one profile's run; and its curve for the figure."""
    goal_accuracy, goal_minutes = PROFILES[profile]
    executions = stored.trials[0]["executions"]
    accuracies = [e["test_accuracy"] for e in executions]
    seconds = [e["duration_s"] for e in executions]
    params = stored.final["params"]
    train_images = stored.dataset["sizes"]["train"]
    # One epoch is every full batch of the training split (the pipeline drops the last, partial one).
    images_per_epoch = train_images // params["batch_size"] * params["batch_size"]
    rates = [len(h["time_s"]) * images_per_epoch / h["time_s"][-1] for h in seed_histories(stored)]
    per_image = training_flops(stored)
    frozen = bool(params.get("whitening_bias_epochs"))
    achieved = per_image * statistics.mean(rates)
    precision = "bfloat16" if stored.environment["hardware"].get("bfloat16") and params["precision"] != "float32" \
        else "float32"
    mean_accuracy, mean_minutes = statistics.mean(accuracies), statistics.mean(seconds) / 60
    met = mean_accuracy >= goal_accuracy and mean_minutes <= goal_minutes
    widths = params.get("widths")
    rows = [{
        "figure": f"{profile_figure(profile)} ({widths}, {params['epochs']} epochs): test accuracy and time per "
                  f"seed, {len(executions)} seed(s)",
        "ours": f"{100 * mean_accuracy:.2f}% in {mean_minutes:.1f} min",
        "baseline": f"{100 * paper['final'][1]:.1f}% in {paper['final'][0]:.0f} min" if paper else "",
        "baseline_is": "the paper's protocol: its 50-epoch final model alone (reports/cnn; its search not counted)",
        "ratio": f"{paper['final'][0] / mean_minutes:.0f}x less time" if paper else "",
        "goal": f">= {100 * goal_accuracy:.0f}% in <= {goal_minutes} min ({'met' if met else 'not met'})",
        "accuracy": accuracies, "seconds": seconds,
        "note": "seeds: " + ", ".join(f"{100 * a:.2f}% in {s / 60:.1f} min" for a, s in zip(accuracies, seconds))
                + "; time = training and evaluation (test-time flips and shifts), data from the decoded cache, "
                  "TensorFlow's start excluded",
    }, {
        "figure": f"{profile_figure(profile)}: achieved FLOP/s of training ({precision})",
        "ours": f"{achieved / 1e9:.0f} GFLOP/s", "baseline": f"{peaks[precision]['peak'] / 1e9:.0f} GFLOP/s",
        "baseline_is": peak_text(peaks[precision], precision),
        "ratio": f"{100 * achieved / peaks[precision]['peak']:.0f}% of peak", "goal": "",
        "flops_per_image": per_image, "images_per_s": rates,
        "note": f"{per_image / 1e9:.3f} GFLOP per training image (convolutions and dense layers, 3 x forward"
                f"{FROZEN_NOTE if frozen else ''}) x "
                f"{statistics.mean(rates):.0f} images/s (per seed: {', '.join(f'{r:.0f}' for r in rates)}); "
                f"float32 peak {peaks['float32']['peak'] / 1e9:.0f}, bfloat16 peak "
                f"{peaks['bfloat16']['peak'] / 1e9:.0f} GFLOP/s",
    }]
    history = stored.final["history"]
    # The legend names the machine: curves kept from earlier runs may come from another one.
    machine = stored.environment["hardware"].get("cpu", "unknown CPU")
    curve = {"label": f"cnn-fast {profile} (seed {stored.seed}; {machine})",
             "minutes": [t / 60 for t in history["time_s"]],
             "accuracy": history["val_accuracy"], "final": (seconds[0] / 60, accuracies[0])}
    return rows, curve


def paper_curve() -> dict | None:
    """The paper's protocol: its 50-epoch final model's validation accuracy against time (reports/cnn)."""
    if not PAPER_RUN.exists():
        return None
    stored = results.load(PAPER_RUN)
    history = stored.final["history"]
    machine = stored.environment["hardware"].get("cpu", "unknown CPU")
    # The star is the final test accuracy measured the paper's way (batch-norm moving averages), as its 76.3%.
    test_accuracy = metrics.papers_way(stored.final["metrics"], "test_accuracy")[0]
    return {"label": f"the paper's protocol: the 50-epoch final model (reports/cnn, after its search; {machine})",
            "minutes": [t / 60 for t in history["time_s"]], "accuracy": history["val_accuracy"],
            "final": (stored.final["duration_s"] / 60, test_accuracy)}


def plot(curves: list[dict], path: Path) -> None:
    """Write the time-to-accuracy figure: validation accuracy per epoch against minutes, final test accuracy marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
    for curve in curves:
        line, = axes.plot(curve["minutes"], [100 * a for a in curve["accuracy"]], marker=".", label=curve["label"])
        minutes, accuracy = curve["final"]
        axes.plot([minutes], [100 * accuracy], marker="*", markersize=12, color=line.get_color())
    for mark, label in ((76.3, "the paper's 76.3%"), (90, "90%"), (94, "94% (airbench)")):
        axes.axhline(mark, color="grey", linestyle=":", linewidth=1)
        # x in the axes' own units (0..1), y in accuracy: the label sits at the left edge whatever the time scale.
        axes.text(0.01, mark + 0.4, label, color="grey", fontsize=8, transform=axes.get_yaxis_transform())
    axes.set_xscale("log")
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100) if t <= max(max(c["minutes"]) for c in curves) * 1.5]
    axes.set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes.minorticks_off()
    axes.set_xlabel("minutes since training started (log scale)")
    axes.set_ylabel("accuracy (%)")
    axes.set_ylim(40, 100)
    axes.set_title("Time to accuracy on CIFAR-10\n(validation per epoch; * = final test accuracy)", fontsize=10)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.png")
    figure.savefig(temporary)
    plt.close(figure)
    os.replace(temporary, path)


def profile_figure(profile: str) -> str:
    """How every row of one profile begins: also how a later run of some profiles finds the rows it replaces."""
    return f"cnn-fast `--profile {profile}`"


def cnn_fast(mode: str, data_path: str | None, out: Path, profiles: list[str] | None = None,
             previous: dict | None = None, stamp: str = "") -> list[dict]:
    """cnn-fast: each profile's accuracy and time per seed, its FLOP/s against this machine's peak.

    `profiles` measures only those (bench/run.py --cnn-profiles); the other profiles' rows and curves are kept
    from `previous` (the last bench.json, whose section line said where they were measured), and each new row's
    note ends with `stamp` (when and where it was measured).
    """
    if not data_path or not Path(data_path).exists():
        return []
    peaks = machine_peak()
    paper = paper_curve()
    kept_curves = {curve["label"]: curve for curve in
                   (files.read_json(out / "time_to_accuracy.json").get("curves", [])
                    if profiles and (out / "time_to_accuracy.json").exists() else [])}
    earlier = (previous or {}).get("measured", {}).get("cnn_fast", "")
    rows, curves = [], []
    for profile in PROFILES:
        if profiles and profile not in profiles:
            # The closing backtick keeps `--profile cpu` from matching `--profile cpu-90`'s rows.
            kept = [row for row in (previous or {}).get("rows", []) if row.get("section") == "cnn_fast"
                    and row["figure"].startswith(profile_figure(profile))]
            rows += [dict(row, note=row["note"] if "measured " in row["note"] else f"{row['note']}; measured {earlier}")
                     for row in kept]
            curves += [c if ";" in label else dict(c, label=f"{label[:-1]}; measured {earlier})")
                       for label, c in kept_curves.items() if label.startswith(f"cnn-fast {profile} (")]
            continue
        stored, _ = train_profile(profile, data_path, 1 if mode == "short" else 3)
        these, curve = profile_rows(profile, stored, peaks, paper)
        if stamp:
            these = [dict(row, note=f"{row['note']}; {stamp}") for row in these]
        rows += these
        curves.append(curve)
    plot(curves + ([paper] if paper else []), out / FIGURE)
    files.write_json(out / "time_to_accuracy.json", {"curves": curves + ([paper] if paper else [])}, within=out)
    return rows
