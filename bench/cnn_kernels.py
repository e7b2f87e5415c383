"""`make bench`'s kernel section: where a cnn-fast training step spends its time, kernel by kernel.

The cnn_fast section compares a whole training step with a matrix product;
this one says which kernels keep the step from that peak. A child process
trains a few steps of a profile's network on synthetic batches with oneDNN's
verbose log on (ONEDNN_VERBOSE=1: one line per kernel call, with its shape,
its implementation and its milliseconds; oneDNN runs TensorFlow's
convolutions, batch normalisation and pooling on the CPU). The lines of the
timed steps are summed by kind, and each convolution's FLOP/s is computed
from its shape. The rest of the step (GELU, the optimizer's update, casts:
TensorFlow's own kernels) is the step's time less that sum: the kernels'
milliseconds as the log timed them, set against a step timed without the
log, whose printing slows the step between kernels. Beside them, the same
machine's peak (bench/cnn_fast.py): a matrix product and a wide 3x3
convolution timed alone in this process.

    python bench/cnn_kernels.py --profile cpu --steps 6    # the child: prints the log and one JSON line
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("cpu", "cpu-94")
# Kinds of oneDNN work in the order a reader meets them in a step.
# One idea changed at a time, to see what the step's time outside oneDNN is made of.
VARIANTS = (("fused_gelu=false", "Keras's GELU (element-wise operations one by one) instead of the compiled one"),
            ("whitening_bias_epochs=1",
             "the whitening layer's bias frozen, as after whitening_bias_epochs (no backward pass below the first "
             "convolution)"),
            ("activation=relu", "ReLU instead of GELU"), ("precision=float32", "float32 instead of bfloat16"))
KINDS = ("convolution forward", "convolution backward data", "convolution backward weights",
         "batch normalisation", "pooling", "layout reorders", "other oneDNN kernels")
DIMENSIONS = re.compile(r"mb(\d+)_(?:g(\d+))?ic(\d+)oc(\d+)_ih\d+oh(\d+)kh(\d+)\w*?_iw\d+ow(\d+)kw(\d+)")


def convolution_flops(shape: str) -> int:
    """Return the FLOPs of one 2-D convolution call from oneDNN's problem text, e.g. mb1024_ic64oc128_ih15oh15kh3...

    Forward, backward-data and backward-weights passes all cost 2 x batch x
    output positions x channels in x channels out x window (per group).
    """
    found = DIMENSIONS.search(shape)
    if not found:
        return 0
    batch, groups, channels_in, channels_out, height, window_h, width, window_w = (
        int(value) if value else 1 for value in found.groups())
    return 2 * batch * height * width * channels_in * channels_out * window_h * window_w // groups


def kind_of(primitive: str, propagation: str) -> str:
    """Return which of KINDS a oneDNN call is, from its primitive and propagation kind."""
    if primitive == "convolution":
        if propagation.startswith("forward"):
            return "convolution forward"
        return "convolution backward weights" if "weights" in propagation else "convolution backward data"
    return {"batch_normalization": "batch normalisation", "pooling": "pooling",
            "reorder": "layout reorders"}.get(primitive, "other oneDNN kernels")


def summarise(log_lines, start_ms: float, end_ms: float) -> dict:
    """Sum the oneDNN calls logged between `start_ms` and `end_ms` (ONEDNN_VERBOSE_TIMESTAMP) by kind.

    Returns {kind: {"ms", "calls", "flops"}} plus {"shapes": {(kind, shape): {"ms", "calls", "flops",
    "implementation"}}} for the convolutions, so that the slowest shapes can be named.
    """
    totals = {kind: {"ms": 0.0, "calls": 0, "flops": 0} for kind in KINDS}
    shapes = defaultdict(lambda: {"ms": 0.0, "calls": 0, "flops": 0, "implementation": ""})
    for line in log_lines:
        # onednn_verbose,v1,TIMESTAMP,primitive,exec,cpu,KIND,IMPLEMENTATION,PROPAGATION,...,SHAPE,MS
        fields = line.strip().split(",")
        if len(fields) < 12 or fields[0] != "onednn_verbose" or fields[3:5] != ["primitive", "exec"]:
            continue
        try:
            stamp, milliseconds = float(fields[2]), float(fields[-1])
        except ValueError:
            continue
        if not start_ms <= stamp <= end_ms:
            continue
        kind = kind_of(fields[6], fields[8])
        flops = convolution_flops(fields[-2]) if kind.startswith("convolution") else 0
        for entry in (totals[kind], *((shapes[(kind, fields[-2])],) if flops else ())):
            entry["ms"] += milliseconds
            entry["calls"] += 1
            entry["flops"] += flops
        if flops:
            shapes[(kind, fields[-2])]["implementation"] = fields[7]
    totals["shapes"] = dict(shapes)
    return totals


def train_steps(profile: str, steps: int, overrides: tuple[str, ...] = (), serial: bool = False) -> dict:
    """The child's work: train `steps` steps of the profile's network on synthetic batches, after two untimed.

    `serial`: one TensorFlow operation at a time, each on all usable cores.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    if serial:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        # Said explicitly: with only the inter-op setting, steps ran on one core (2026-12-03, 2-core Xeon).
        tf.config.threading.set_intra_op_parallelism_threads(len(os.sched_getaffinity(0)))

    from ann_keras import experiments, models
    from ann_keras.models import whitening
    from ann_keras.training import optimizers

    params = dict(experiments.load("cnn-fast", profile, overrides).params, augment=False)
    keras.utils.set_random_seed(42)
    model = models.build("airbench", (32, 32, 3), 10, params)
    if params["whitening_bias_epochs"]:
        whitening.freeze(model)   # as whitening.FreezeBias leaves it after those epochs (no epochs to count here)
    optimizers.compile_model(model, params, total_steps=steps + 2)
    batch = params["batch_size"]
    generator = np.random.default_rng(42)
    images = generator.integers(0, 256, (batch * steps, 32, 32, 3), dtype=np.uint8)
    labels = optimizers.targets(generator.integers(0, 10, batch * steps), params, 10)
    model.fit(images[:2 * batch], labels[:2 * batch], batch_size=batch, epochs=1, verbose=0)  # traced, warmed
    start = time.time()
    model.fit(images, labels, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    end = time.time()
    return {"start_ms": start * 1000, "end_ms": end * 1000, "steps": steps, "batch": batch,
            "precision": models.resolve_precision(params["precision"]), "widths": params["widths"]}


def measure(profile: str, steps: int, verbose: bool, *overrides: str) -> tuple[dict, list[str]]:
    """Run the child for `profile` (params `overrides`); return its JSON summary and oneDNN's log lines if `verbose`."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if verbose:
        environment.update(ONEDNN_VERBOSE="1", ONEDNN_VERBOSE_TIMESTAMP="1")
    done = subprocess.run([sys.executable, __file__, "--profile", profile, "--steps", str(steps),
                           *(f"--set={override}" for override in overrides), *(["--serial"] if verbose else [])],
                          capture_output=True, text=True, env=environment, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"bench/cnn_kernels.py --profile {profile} failed:\n{done.stderr[-2000:]}")
    lines = done.stdout.splitlines()
    summary = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    return summary, lines


def step_ms(profile: str, steps: int, *overrides: str) -> float:
    """Return one training step's milliseconds without the log: the fastest of three children, as a peak is timed.

    On a 2-core virtual Xeon the same child ran a step in either about 0.65 or about 1.3 s, from one process to
    the next, whole processes at a time (2026-12-03); two children were both slow more than once.
    """
    times = []
    for _ in range(3):
        summary, _ = measure(profile, steps, False, *overrides)
        times.append((summary["end_ms"] - summary["start_ms"]) / steps)
    return min(times)


def cnn_kernels(mode: str) -> list[dict]:
    """cnn-fast: where a training step's time goes, kernel by kernel, beside this machine's peak."""
    from cnn_fast import machine_peak, peak_text

    steps = 8 if mode == "full" else 4
    machine = machine_peak()   # once for all profiles: both precisions
    rows = []
    for profile in PROFILES:
        # Without the log (the step's true speed), then once with it (the breakdown; printing slows it a little).
        plain_ms = step_ms(profile, steps)
        # The faster of two logged children: a child that landed in the slow mode (step_ms) would skew every share.
        logged, lines = min((measure(profile, steps, verbose=True) for _ in range(2)),
                            key=lambda run: run[0]["end_ms"] - run[0]["start_ms"])
        precision = "bfloat16" if logged["precision"] == "mixed_bfloat16" else "float32"
        peak = machine[precision]
        logged_ms = (logged["end_ms"] - logged["start_ms"]) / steps
        totals = summarise(lines, logged["start_ms"], logged["end_ms"])
        shapes = totals.pop("shapes")
        label = f"cnn-fast `--profile {profile}` ({logged['widths']}, batch {logged['batch']}, {precision})"
        rows.append({
            "figure": f"{label}: one training step",
            "ours": f"{plain_ms:.0f} ms ({logged['batch'] / plain_ms * 1000:.0f} images/s)",
            "baseline": f"{peak['peak'] / 1e9:.0f} GFLOP/s",
            "baseline_is": peak_text(peak, precision),
            "ratio": "", "goal": "", "seconds": plain_ms / 1000,
            "note": f"synthetic batches, {steps} steps after 2 untimed, the fastest of 3 processes; with oneDNN's "
                    f"log on, one operation at a time (the faster of 2 processes), a step took {logged_ms:.0f} ms, "
                    f"of which oneDNN's kernels {sum(t['ms'] for t in totals.values()) / steps:.0f} ms",
        })
        for kind, total in totals.items():
            if not total["calls"]:
                continue
            share = total["ms"] / steps / plain_ms
            rate = total["flops"] / total["ms"] * 1000 if total["flops"] else 0
            slowest = sorted(((v["ms"], k[1], v) for k, v in shapes.items() if k[0] == kind), reverse=True)[:2]
            rows.append({
                "figure": f"{label}: {kind}",
                "ours": f"{100 * share:.0f}% of the step" + (f", {rate / 1e9:.0f} GFLOP/s" if rate else ""),
                "baseline": f"{peak['peak'] / 1e9:.0f} GFLOP/s" if rate else "",
                "baseline_is": "this machine's peak, as above" if rate else "",
                "ratio": f"{100 * rate / peak['peak']:.0f}% of peak" if rate else "", "goal": "",
                "seconds": total["ms"] / steps / 1000,
                "note": f"{total['ms'] / steps:.0f} ms in {total['calls'] // steps} calls per step"
                        + "".join(f"; {shape.split('_')[0]}_{shape.split('_')[1]}: {ms / steps:.0f} ms per step at "
                                  f"{v['flops'] / ms / 1e6:.0f} GFLOP/s ({v['implementation']})"
                                  for ms, shape, v in slowest),
            })
        # The log's printing falls between kernels, not inside them: the kernels' own milliseconds are set
        # against the step without the log, and what they leave is TensorFlow's own work.
        outside = max(0.0, 1 - sum(t["ms"] for t in totals.values()) / steps / plain_ms)
        rows.append({
            "figure": f"{label}: TensorFlow's own kernels (GELU, the optimizer's update, casts, the data's way in)",
            "ours": f"{100 * outside:.0f}% of the step", "baseline": "", "baseline_is": "", "ratio": "", "goal": "",
            "seconds": outside * plain_ms / 1000,
            "note": "the step without the log less oneDNN's kernels (as the log timed them)",
        })
        for override, meaning in VARIANTS:
            variant_ms = step_ms(profile, steps, override)
            rows.append({
                "figure": f"{label}: one training step with {meaning} (`--set {override}`)",
                "ours": f"{variant_ms:.0f} ms", "baseline": f"{plain_ms:.0f} ms",
                "baseline_is": "the profile's step as shipped (first row of this profile)",
                "ratio": f"{plain_ms / variant_ms:.2f}x the shipped step's speed", "goal": "",
                "seconds": variant_ms / 1000, "baseline_seconds": plain_ms / 1000,
                "note": f"synthetic batches, {steps} steps after 2 untimed, the fastest of 3 processes, no log",
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, required=True)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a params override")
    parser.add_argument("--serial", action="store_true", help="one TensorFlow operation at a time")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(json.dumps(train_steps(args.profile, args.steps, tuple(f"params.{o}" for o in args.set), args.serial)),
          flush=True)


if __name__ == "__main__":
    main()
