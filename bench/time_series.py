"""`make bench`'s time-series sections: the cross-validated RNN searches and every classification set aeon ships.

Each runs the command a user types, in a fresh runs folder, and reads the
numbers back from results.json. MiniRocket (the spec's [baselines]) trains in
the same run, on the same splits and seeds: its fit time is the same-run
baseline of each figure.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ann_keras import results
from ann_keras.data.aeon_sets import shipped_classification


# Where the bench's runs are kept (BENCH_RUNS; default: a temporary folder, removed), so that a report can be
# written from the very run the bench timed: `ann-keras report $BENCH_RUNS/<experiment>/<run>`.
KEEP_RUNS = os.environ.get("BENCH_RUNS")


def run_command(verb: str, experiment: str, *options: str) -> tuple[float, results.RunResult]:
    """Run `ann-keras VERB EXPERIMENT OPTIONS` in a fresh runs folder; return its wall time and its results."""
    with tempfile.TemporaryDirectory(dir=KEEP_RUNS) as folder:
        runs = Path(folder) / "runs"
        command = [sys.executable, "-m", "ann_keras", verb, experiment, "--no-report", "--progress", "none",
                   "--runs-dir", str(runs), *options]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        run_dir = next(runs.glob(f"{experiment}/*/results.json")).parent
        if KEEP_RUNS:
            kept = Path(KEEP_RUNS) / f"{experiment}-{run_dir.name}-{time.strftime('%H%M%S')}"
            shutil.copytree(run_dir, kept)
            run_dir = kept
        return wall, results.load(run_dir)


def tested(trial: dict) -> list[float]:
    return [e["test_accuracy"] for e in trial["executions"] if e.get("test_accuracy") is not None]


def baseline(stored: results.RunResult, name: str) -> dict | None:
    return next((b for b in stored.baselines if b["name"] == name), None)


def _pct(values: list[float]) -> str:
    if not values:
        return "n/a"
    spread = f" ± {100 * statistics.pstdev(values):.1f}" if len(values) > 1 else ""   # as the reports: population
    return f"{100 * statistics.mean(values):.1f}%{spread}"


def _baseline_columns(stored: results.RunResult) -> dict:
    rocket = baseline(stored, "minirocket")
    if rocket is None:
        return {"baseline": "", "baseline_is": "", "ratio": "", "baseline_seconds": None}
    # The median: the first fit on a fresh machine includes numba's compilation of MiniRocket (27.6 s against
    # 0.35 and 0.23 s for the next two seeds, JapaneseVowels), a cost paid once per machine, not per fit.
    fits = [e["duration_s"] for e in rocket["executions"]]
    fit = statistics.median(fits)
    accuracy = _pct([e["test_accuracy"] for e in rocket["executions"]])
    each = f" (median of {', '.join(f'{f:.2f}' for f in fits)})" if len(fits) > 1 else ""
    return {"baseline": f"{fit:.2f} s per seed{each}, {accuracy}", "baseline_seconds": fit,
            "baseline_is": "MiniRocket (aeon) in the same run: fit time and test accuracy, same splits and seeds"}


def rnn_cross_validation(mode: str) -> list[dict]:
    """The cross-validated search of the three cells on JapaneseVowels (goal: the chosen RNN >= 99.0%)."""
    return _searches((("rnn", ">= 99.0% (an RNN chosen by cross-validation)", ()),))


def lstm_grid(mode: str) -> list[dict]:
    """The cross-validated LSTM grid on JapaneseVowels (goal: 5 minutes); a timed row: run it alone."""
    # Two single-threaded workers: one small recurrent step leaves a second core idle.
    return _searches((("lstm", "<= 5 min", ("--workers", "2")),))


def _searches(searches) -> list[dict]:
    rows = []
    for experiment, goal, extra in searches:
        wall, stored = run_command("tune", experiment, "--seed", "42", *extra)
        best = next(t for t in stored.trials if t["trial_id"] == stored.best_trial_id)
        folds = stored.spec["tuner"]["folds"]
        cells = "; ".join(f"{', '.join(f'{k}={v}' for k, v in t['hyperparameters'].items())}: {_pct(tested(t))}"
                          for t in stored.trials if tested(t))
        row = {
            "figure": f"`ann-keras tune {' '.join((experiment, *extra))}`, {len(stored.trials)} trials x "
                      f"{stored.spec['tuner']['executions']} seed(s) x {folds} folds, refit "
                      f"{stored.spec['tuner']['refit']}, TensorFlow start included",
            "ours": f"{wall / 60:.1f} min; chosen: {_pct(tested(best))}",
            "goal": goal, "seconds": wall, "ratio": "",
            "note": f"search {stored.timings.get('search_s', 0):.0f} s, refit {stored.timings.get('refit_s', 0):.0f} s,"
                    f" baselines {stored.timings.get('baselines_s', 0):.0f} s; tested: {cells}",
            **_baseline_columns(stored),
        }
        if row["baseline_seconds"]:
            row["ratio"] = f"{wall / row['baseline_seconds']:.0f}x MiniRocket's fit"
        rows.append(row)
    return rows


# The default settings on every set; FCN left out (its 500 epochs on ACSF1's 1,460 steps would dominate the bench).
AEON_OPTIONS = ("--set", "baselines.fcn=false", "--seed", "42")
# The defaults before the convolutional branch: each set's "before" column.
BEFORE = ("conv_branch=0",)


def aeon_figure(name: str) -> str:
    """The first column of a set's row: also how a later run of some sets finds the rows it replaces."""
    return f"aeon:{name}: `ann-keras train rnn --dataset aeon:{name}`"


def aeon_sets(mode: str, names: list[str] | None = None) -> list[dict]:
    """`ann-keras train rnn --dataset aeon:NAME` with the default settings on every classification set aeon ships.

    `names` measures only those sets (bench/run.py --aeon-sets), in that order.
    """
    if mode != "full":
        return []
    from ann_keras import experiments
    references = experiments.load("rnn").paper.get("references", [])
    rows = []
    for name in names or shipped_classification():
        wall, stored = run_command("train", "rnn", "--dataset", f"aeon:{name}", *AEON_OPTIONS)
        ours = tested(stored.trials[0])
        # What the defaults did before the convolutional branch: the cells alone (one seed, no baselines).
        plain_wall, plain = run_command("train", "rnn", "--dataset", f"aeon:{name}", *AEON_OPTIONS,
                                        "--set", "baselines.minirocket=false",
                                        *(f"--set={item}" for item in BEFORE), "--executions", "1")
        before = (f"; before ({' '.join(BEFORE)}, seed 42 only): {_pct(tested(plain.trials[0]))} "
                  f"in {plain_wall / 60:.1f} min; now: {_pct(ours)}")
        published = [r for r in references if r.get("dataset") == f"aeon:{name}"]
        sizes = stored.dataset["sizes"]
        rows.append({
            "figure": aeon_figure(name),
            "ours": _pct(ours), "goal": "far above chance", "seconds": wall, "ratio": "",
            "accuracy": statistics.mean(ours) if ours else None,
            "note": f"{sizes['train']} train, {sizes['validation']} validation, {sizes['test']} test; chance "
                    f"{100 * _chance(stored):.0f}%; {stored.wall_time_s / 60:.1f} min in all; published: "
                    + ("; ".join(f"{r['name']} {100 * r['test_accuracy']:.1f}% ({r['source']})" for r in published)
                       or "none listed") + before,
            **_baseline_columns(stored),
        })
    return rows


def _chance(stored: results.RunResult) -> float:
    """The test accuracy of always answering the test split's most common class."""
    truth = stored.final.get("y_true") or []
    if truth:
        return max(truth.count(label) for label in set(truth)) / len(truth)
    return 1 / len(stored.dataset["class_names"])


def tensorboard(mode: str) -> list[dict]:
    """What writing TensorBoard event files costs a search: the same search with and without them, same command."""
    # The cells on digits read as sequences: 9 trainings of 30 short epochs, where a per-epoch cost shows most.
    options = ("--profile", "digits-seq", "--seed", "42", "--set", "baselines.minirocket=false",
               "--set", "baselines.fcn=false")
    if mode != "full":
        options += ("--set", "epochs=5", "--set", "tuner.executions=1")
    timings = {}
    for label, extra in (("without", ("--no-tensorboard",)), ("with", ()), ("without again", ("--no-tensorboard",))):
        _, stored = run_command("tune", "rnn", *options, *extra)
        timings[label] = stored.timings["search_s"]
    baseline = (timings["without"] + timings["without again"]) / 2
    return [{
        "figure": "`ann-keras tune rnn --profile digits-seq` search time with TensorBoard event files "
                  "(every trial's per-epoch scalars and the HParams data)",
        "ours": f"{timings['with']:.1f} s", "goal": "no measurable slowdown", "seconds": timings["with"],
        "baseline": f"{baseline:.1f} s without (--no-tensorboard; runs before and after: "
                    f"{timings['without']:.1f} s, {timings['without again']:.1f} s)",
        "baseline_seconds": baseline, "baseline_is": "the same search with --no-tensorboard, in the same command",
        "ratio": f"{timings['with'] / baseline:.3f}x",
        "note": "search stage only (results.json timings.search_s); the two runs without bracket the one with, "
                "so a drift of the machine shows as their difference",
    }]
