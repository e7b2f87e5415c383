"""`make bench`'s ablations of the fast CIFAR-10 recipe: what each of its ideas is worth, one at a time.

The cpu profile of cnn-fast combines ideas with a record elsewhere (airbench,
hlb-CIFAR10). Each row here trains the profile once with one idea turned off
(or, for a frozen parameter, turned on), seed 42, and puts its test accuracy
and time per seed beside the profile as shipped, seed 42, from the same runs
folder. Test-time augmentation needs no training: the shipped profile's saved
model is tested again under each variant (`ann-keras evaluate`).

One seed each: the profile's seeds spread by 0.1 to 0.2 points, so smaller
differences say nothing. Run it in the background; each training takes the
profile's time (about 10 minutes on the AVX512-BF16 EPYC, 45 on a Zen 3 one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ann_keras import results

from cnn_fast import ROOT, train_profile

PROFILE = "cpu"
# One change each to the profile: the --set that makes it, and what it takes away.
ABLATIONS = (
    ("whitening=0", "no patch-whitening first layer: a plain convolution, trained from a random start"),
    ("lookahead=0", "no lookahead: the weights are not pulled towards their moving average every 5 steps"),
    ("augment.alternating_flip=false", "random flips instead of alternating ones (each image mirrored every "
                                       "other epoch)"),
    ("offset_rate_scale=1", "batch normalisation's offsets learn at the same rate as the other weights"),
    ("bn_scale=true", "batch normalisation's scale is learnt instead of fixed at 1"),
    ("label_smoothing=0", "plain cross-entropy instead of label smoothing"),
)


def _train(data_path: str, runs: Path, change: str) -> Path:
    """`ann-keras train cnn-fast --profile cpu --set CHANGE`, seed 42, one execution; return its run folder.

    A finished run of the same command is read back, not trained again (the run folder's name fixes it).
    """
    command = [sys.executable, "-m", "ann_keras", "train", "cnn-fast", "--profile", PROFILE, "--data", data_path,
               "--seed", "42", "--executions", "1", "--runs-dir", str(runs), "--no-report", "--progress", "none",
               "--no-tensorboard", "--set", change]
    printed = next(line for line in _checked(command).splitlines() if line.startswith("results: "))
    return Path(printed.removeprefix("results: ")).parent


def _seed42(stored: results.RunResult) -> tuple[float, float]:
    execution = stored.trials[0]["executions"][0]
    return execution["test_accuracy"], execution["duration_s"]


def _tta(run_dir: Path, data_path: str) -> dict:
    return json.loads(_checked([sys.executable, "-m", "ann_keras", "evaluate", str(run_dir), "--data", data_path,
                                "--json"]))


def _checked(command: list[str]) -> str:
    """Run `command`; return its standard output, or raise with the end of its errors."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def cnn_ablations(mode: str, data_path: str | None) -> list[dict]:
    """cnn-fast's cpu profile with one idea changed at a time, and its model under each test-time augmentation."""
    if mode != "full" or not data_path or not Path(data_path).exists():
        return []
    data_path = str(Path(data_path).resolve())
    shipped, shipped_dir = train_profile(PROFILE, data_path, 1)
    base_accuracy, base_seconds = _seed42(shipped)
    baseline = {"baseline": f"{100 * base_accuracy:.2f}% in {base_seconds / 60:.1f} min",
                "baseline_is": f"the {PROFILE} profile as shipped, seed 42, same runs folder"}
    runs = Path(os.environ.get("BENCH_RUNS") or ROOT / "runs") / "ablations"
    rows = []
    for change, meaning in ABLATIONS:
        accuracy, seconds = _seed42(results.load(_train(data_path, runs, change)))
        rows.append({
            "figure": f"cnn-fast `--profile {PROFILE} --set {change}`, seed 42", **baseline,
            "ours": f"{100 * accuracy:.2f}% in {seconds / 60:.1f} min",
            "ratio": f"{100 * (accuracy - base_accuracy):+.2f} pts, {seconds / base_seconds:.2f}x time",
            "goal": "", "accuracy": accuracy, "seconds": seconds,
            "note": f"{meaning}; one seed: differences under 0.2 points are within the seeds' spread",
        })
    tested = _tta(shipped_dir, data_path)
    own = next(v for v in tested["variants"] if v["as_run"])
    for variant in tested["variants"]:
        rows.append({
            "figure": f"cnn-fast `--profile {PROFILE}`, seed 42's model tested with test-time augmentation "
                      f"`{variant['name']}`",
            "ours": f"{100 * variant['test_accuracy']:.2f}%, {variant['seconds']:.0f} s for the test split",
            "baseline": f"{100 * own['test_accuracy']:.2f}%, {own['seconds']:.0f} s",
            "baseline_is": f"the profile's own setting, `{own['name']}` (the run recorded "
                           f"{100 * tested['recorded_accuracy']:.2f}%)",
            "ratio": f"{100 * (variant['test_accuracy'] - own['test_accuracy']):+.2f} pts", "goal": "",
            "accuracy": variant["test_accuracy"],
            "note": "`ann-keras evaluate` on the saved model: the same weights, only the test differs",
        })
    return rows
