"""What `tune` and `train` do, stage by stage, each stage resumable.

A run folder is named after everything that decides its numbers (profile,
tuner, seed and a hash of the resolved spec), so running the same command
again finds the same folder and picks up where it stopped: Keras Tuner
reloads its finished trials, and the paper's extra settings and the final
model are skipped when their files exist.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from ..models import augment
from .. import data, files, models, results
from . import devices, locks, machine, training, tuning
from ..specs import Spec

FINAL_DIR = "final"
MODEL_FILE = "model.keras"


def run_dir_for(spec: Spec, seed: int, runs_root: Path, kind: str = "tune") -> Path:
    """Return the folder a run with these settings writes to."""
    tuner = spec.tuner["name"] if kind == "tune" else "train"
    return Path(runs_root) / spec.name / f"{spec.profile}-{tuner}-seed{seed}-{spec.digest()}"


def load_dataset(spec: Spec, seed: int) -> data.Dataset:
    """Return the spec's data set split with `seed`, checked against the spec's model."""
    dataset = data.load(spec.dataset, seed=seed, **spec.data)
    models.check_input(spec.model, dataset.input_shape)
    return dataset


def tune(spec: Spec, *, seed: int, runs_root: Path, command: str, overwrite: bool = False,
         verbose: int = 0, on_event=lambda kind, info: None, role=None,
         strategy=None) -> tuple[results.RunResult | None, Path]:
    """Search the spec's grid, measure the paper's settings, retrain the best; write results.json.

    With `role` (roles.Role), this process is the chief, which serves
    the search to its workers and then goes on as above, or a worker, which
    runs the trials it is handed and returns (None, run folder).
    """
    worker = role is not None and role.name == "worker"
    run_dir = run_dir_for(spec, seed, runs_root)
    if worker:
        # The chief made the run folder; a worker adds its trials there.
        on_event("worker_ready", {"worker": role.worker_id, "chief": role.address, "run_dir": str(run_dir)})
    # One process per run folder; workers of a search work in their chief's folder, which it holds.
    with contextlib.nullcontext() if worker else locks.hold(run_dir):
        run_dir, dataset, started, clock, timings = _start(
            spec, seed, run_dir, overwrite and not worker,
            (lambda kind, info: kind != "resume" and on_event(kind, info)) if worker else on_event)

        stage = time.perf_counter()
        trials = tuning.search(spec, dataset, run_dir, seed=seed, verbose=verbose, role=role, strategy=strategy,
                               on_trial=lambda info: on_event("worker_trial" if worker else "trial", info),
                               on_event=on_event)
        if worker:
            return None, run_dir
        timings["search_s"] = time.perf_counter() - stage
        best = best_trial(trials, spec.tuner["objective"])

        stage = time.perf_counter()
        paper_runs = measure_paper_runs(spec, dataset, trials, run_dir, seed=seed, on_event=on_event,
                                        strategy=strategy)
        timings["paper_runs_s"] = time.perf_counter() - stage

        stage = time.perf_counter()
        final = None
        if best is not None:
            overrides = {**best["hyperparameters"], **spec.final}
            # A profile may fix the final configuration (the cpu profile trains the paper's); say so, not "retraining".
            chosen = best["hyperparameters"]
            fixed = {k: v for k, v in spec.final.items() if k in chosen and chosen[k] != v}
            on_event("final_begin", {"trial_id": best["trial_id"], "overrides": overrides, "fixed": fixed})
            final = train_final(spec, dataset, overrides, run_dir, seed=seed, verbose=verbose, strategy=strategy)
            final["trial_id"] = best["trial_id"]
        timings["final_s"] = time.perf_counter() - stage
        distribution = {**devices.describe(strategy), "workers": _workers(trials)}
        return _finish("tune", spec, dataset, seed, command, started, clock, timings, trials,
                       best["trial_id"] if best else None, final, paper_runs, run_dir, distribution)


def augmentation_samples(spec: Spec, dataset: data.Dataset, seed: int, count: int = 6) -> dict:
    """Return a few training images with augmented copies (for the report), or {} without augmentation."""
    if not spec.params.get("augment") or len(dataset.input_shape) != 3:
        return {}
    picked = np.random.default_rng(seed).choice(len(dataset.y_train), size=min(count, len(dataset.y_train)),
                                                replace=False)
    grid = augment.samples(spec.augment, dataset.x_train[picked], seed=seed)
    if grid is None:
        return {}
    names = [dataset.class_names[label] for label in dataset.y_train[picked]]
    return {"images": results.encode_images(grid), "labels": names}


def train(spec: Spec, *, seed: int, runs_root: Path, command: str, overwrite: bool = False,
          verbose: int = 0, on_event=lambda kind, info: None, strategy=None) -> tuple[results.RunResult, Path]:
    """Train [params] once per execution seed (no search); the first seed's model is kept."""
    run_dir = run_dir_for(spec, seed, runs_root, "train")
    with locks.hold(run_dir):
        return _train(spec, run_dir, seed=seed, command=command, overwrite=overwrite, verbose=verbose,
                      on_event=on_event, strategy=strategy)


def _train(spec, run_dir, *, seed, command, overwrite, verbose, on_event, strategy):
    run_dir, dataset, started, clock, timings = _start(spec, seed, run_dir, overwrite, on_event)

    stage = time.perf_counter()
    final = train_final(spec, dataset, {}, run_dir, seed=seed, verbose=verbose, strategy=strategy)
    executions = [{"seed": seed, **final["metrics"], "duration_s": final["duration_s"]}]
    for index in range(1, spec.tuner["executions"]):
        executions.append(_cached_execution(spec, dataset, spec.params, run_dir / "executions" / f"{index}.json",
                                            seed=seed + index, verbose=verbose, strategy=strategy))
    trial = results.trial("train", {}, executions,
                          score=tuning.mean_metrics(executions)[spec.tuner["objective"]])
    final["trial_id"] = "train"
    on_event("trial", {"number": 1, "total": 1, "trial": trial, "best": trial})
    timings["final_s"] = time.perf_counter() - stage
    return _finish("train", spec, dataset, seed, command, started, clock, timings, [trial], "train", final, [],
                   run_dir, devices.describe(strategy))


def best_trial(trials: list[dict], objective: str = "val_accuracy") -> dict | None:
    """Return the completed trial with the best score (highest accuracy or lowest loss)."""
    completed = [t for t in trials if results.completed(t)]
    sign = -1 if tuning.objective_direction(objective) == "min" else 1
    return max(completed, key=lambda t: sign * t["score"], default=None)


def measure_paper_runs(spec: Spec, dataset: data.Dataset, trials: list[dict], run_dir: Path, *, seed: int,
                       on_event=lambda kind, info: None, strategy=None) -> list[dict]:
    """Return the paper's settings with our measurements beside them.

    A setting that is also a grid point reuses that trial's executions; the
    others are trained here with the same seeds (when [tuner] paper_runs is
    on) and cached in the run folder.
    """
    by_params = {}
    for trial in trials:
        if results.completed(trial) and trial["budget"] is None:
            by_params[_key(spec.with_params(trial["hyperparameters"], "trial"))] = trial
    measured = []
    for index, run in enumerate(spec.paper["runs"]):
        params = spec.with_params(run["params"], f"paper run {run['name']!r}")
        entry = {key: run[key] for key in run}
        match = by_params.get(_key(params))
        if match is not None:
            entry.update(source=f"trial {match['trial_id']}", executions=match["executions"])
        elif spec.tuner["paper_runs"]:
            on_event("paper_run", {"name": run["name"], "params": run["params"]})
            entry.update(source="trained beside the search", executions=[
                _cached_execution(spec, dataset, params, run_dir / "paper_runs" / f"{index}-{i}.json",
                                  seed=seed + i, strategy=strategy)
                for i in range(spec.tuner["executions"])])
        else:
            entry.update(source="not measured in this profile", executions=[])
        measured.append(entry)
    return measured


def train_final(spec: Spec, dataset: data.Dataset, overrides: dict, run_dir: Path, *, seed: int,
                verbose: int = 0, strategy=None) -> dict:
    """Train [params] + `overrides` + nothing else; save the model; return its record (cached)."""
    folder = run_dir / FINAL_DIR
    record_path = folder / "final.json"
    if record_path.exists() and (folder / MODEL_FILE).exists():
        return files.read_json(record_path)
    params = spec.with_params(overrides, "final")
    folder.mkdir(parents=True, exist_ok=True)
    execution = training.train(spec.model, params, dataset, seed=seed, augment=spec.augment, verbose=verbose,
                               resume_dir=folder, strategy=strategy)
    # Keras insists on the .keras suffix, so the temporary name keeps it.
    temporary = folder / f".{MODEL_FILE}.tmp.keras"
    execution.model.save(temporary)
    os.replace(temporary, folder / MODEL_FILE)
    record = {
        "overrides": overrides, "params": params, "seed": seed, "metrics": execution.metrics,
        "history": execution.history, "y_true": dataset.y_test.tolist(), "y_pred": execution.y_pred.tolist(),
        "duration_s": round(execution.duration_s, 3), "model_file": f"{FINAL_DIR}/{MODEL_FILE}",
    }
    files.write_json(record_path, record)
    keras.backend.clear_session(free_memory=True)
    return record


def _cached_execution(spec, dataset, params, path: Path, *, seed: int, verbose: int = 0, strategy=None) -> dict:
    if path.exists():
        return files.read_json(path)
    execution = training.train(spec.model, params, dataset, seed=seed, augment=spec.augment, verbose=verbose,
                               strategy=strategy)
    summary = execution.summary()
    files.write_json(path, summary)
    keras.backend.clear_session(free_memory=True)
    return summary


def _workers(trials: list[dict]) -> list[str]:
    """Return the worker processes that ran the trials' executions ([] for a single process)."""
    return sorted({e["worker"] for t in trials for e in t["executions"] if e.get("worker")})


def _key(params: dict) -> str:
    return repr(sorted(params.items()))


def _start(spec: Spec, seed: int, run_dir: Path, overwrite: bool, on_event):
    """Prepare the run folder (wiped with `overwrite`) and load the data; the first stage of tune and train."""
    if overwrite and run_dir.exists():
        shutil.rmtree(run_dir)
    if (run_dir / "tuner").exists() or (run_dir / FINAL_DIR).exists():
        on_event("resume", {"run_dir": str(run_dir)})
    run_dir.mkdir(parents=True, exist_ok=True)
    started, clock = _now(), time.perf_counter()
    dataset = load_dataset(spec, seed)
    timings = {"data_s": time.perf_counter() - clock}
    on_event("data", dataset.describe())
    return run_dir, dataset, started, clock, timings


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _finish(kind, spec, dataset, seed, command, started, clock, timings, trials, best_id, final, paper_runs,
            run_dir, distribution) -> tuple[results.RunResult, Path]:
    result = results.RunResult(
        kind=kind, experiment=spec.name, title=spec.title, command=command, seed=seed, spec=spec.to_dict(),
        dataset=dataset.describe(), environment={**machine.environment(devices.gpus()), "distribution": distribution},
        started=started, finished=_now(),
        wall_time_s=round(time.perf_counter() - clock, 3),
        timings={key: round(value, 3) for key, value in timings.items()},
        trials=trials, best_trial_id=best_id, final=final or {}, paper_runs=paper_runs,
        augmentation=augmentation_samples(spec, dataset, seed),
    )
    results.save(result, run_dir)
    return result, run_dir
