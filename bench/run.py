"""`make bench`: speed figures, each as a ratio against a baseline measured in the same run.

    python bench/run.py --mode short   # a few minutes: the plain-fit baseline is projected from 500 epochs
    python bench/run.py --mode full    # the plain fit runs all 5000 epochs

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

from ann_keras import reports, results, specs  # noqa: E402


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

    from ann_keras import data, models, training
    tf.get_logger().setLevel("ERROR")
    spec = specs.load("ann")
    params = spec.params
    dataset = data.load("digits", seed=42, **spec.data)
    ours, run = timed(lambda: training.train("mlp", params, dataset, seed=42), repeats=3)

    epochs = params["iterations"] if mode == "full" else 500
    keras.utils.set_random_seed(42)
    model = models.build("mlp", dataset.input_shape, dataset.num_classes, params)
    training.compile_model(model, params)       # same optimizer, loss and XLA setting; one step per call
    y = training.targets(dataset.y_train, params, dataset.num_classes)
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


def ann_grid(mode: str) -> list[dict]:
    """The whole `ann-keras tune ann` grid, as a user types it, TensorFlow start included."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        command = [sys.executable, "-m", "ann_keras", "tune", "ann", "--overwrite", "--no-report",
                   "--runs-dir", str(runs), "--progress", "none"]
        variants = [("grid only (8 configurations x 3 seeds)", ["--set", "tuner.paper_runs=false"])]
        if mode == "full":
            variants.append(("grid + the paper's 3 off-grid settings + final model", []))
        for label, extra in variants:
            wall, _ = timed(lambda: subprocess.run(command + extra, check=True, capture_output=True))
            stored = results.load(next(runs.glob("ann/*")))
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


def report_rebuild(mode: str) -> list[dict]:
    """Rebuilding a report from results.json: in-process and as the `ann-keras report` command."""
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
    }]


SECTIONS = [ann_trainer_vs_plain_fit, ann_grid, report_rebuild]

TEMPLATE = """# Benchmarks

Written by `make bench` (`python bench/run.py --mode {{ mode }}`) on {{ finished }}.
Each figure sits beside a baseline measured in the same run on the same machine.

Hardware: {{ hardware.cpu }}, {{ hardware.usable_cpus }} usable cores, {{ hardware.memory_gib }} GiB,
{{ hardware.gpus | join(', ') if hardware.gpus else 'no GPU' }}.
Versions: {% for k, v in versions.items() %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% endfor %}.

| figure | ours | baseline | baseline is | ratio | goal | note |
| --- | --- | --- | --- | --- | --- | --- |
{% for r in rows %}
| {{ r.figure }} | {{ r.ours }} | {{ r.baseline }} | {{ r.baseline_is }} | {{ r.ratio }} | {{ r.goal }} | {{ r.note }} |
{% endfor %}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["short", "full"], default="short")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    args = parser.parse_args()
    rows = []
    for section in SECTIONS:
        print(f"bench: {section.__doc__.splitlines()[0]}", flush=True)
        rows += section(args.mode)
    environment = results.environment()
    info = {"mode": args.mode, "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "hardware": environment["hardware"], "versions": environment["versions"], "rows": rows}
    text = jinja2.Template(TEMPLATE, trim_blocks=True, lstrip_blocks=True).render(**info)
    results.write_text(args.out / "README.md", text)
    results.write_json(args.out / "bench.json", info)
    print(text)


if __name__ == "__main__":
    main()
