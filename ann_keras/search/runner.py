"""What `tune` and `train` do, stage by stage, each stage resumable.

A run folder is named after everything that decides its numbers (profile,
tuner, seed and a hash of the resolved spec), so running the same command
again finds the same folder and picks up where it stopped: Keras Tuner
reloads its finished trials, and the paper's extra settings and the final
model are skipped when their files exist.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np

from ..models import augment
from .. import data, files, models, results
from ..training import devices
from . import events, locks, machine, oracles, tuning
from .execution import train as train_execution
from .run import Run, Stopwatch, now
from ..specs import Spec

FINAL_DIR = "final"
MODEL_FILE = "model.keras"


def load_dataset(spec: Spec, seed: int) -> data.Dataset:
    """Return the spec's data set split with `seed`, checked against the spec's model."""
    dataset = data.load(spec.dataset, seed=seed, **spec.data)
    models.check_input(spec.model, dataset.input_shape)
    return dataset


def tune(run: Run) -> tuple[results.RunResult | None, Path]:
    """Search the spec's grid, measure the paper's settings, retrain the best; write results.json.

    With `run.role` (roles.Role), this process is the chief, which serves
    the search to its workers and then goes on as above, or a worker, which
    runs the trials it is handed and returns (None, run folder).
    """
    spec = run.spec
    if run.worker:
        # The chief made the run folder; a worker adds its trials there.
        run.on_event(events.WorkerReady(run.role.worker_id, run.role.address, str(run.folder)))
    # One process per run folder; workers of a search work in their chief's folder, which it holds.
    with contextlib.nullcontext() if run.worker else locks.hold(_owned(run)):
        dataset, watch = _start(run)
        with watch.stage("search"):
            trials = tuning.search(run, dataset)
        if run.worker:
            run.on_event(events.WorkerDone(run.role.worker_id))
            return None, run.folder
        best = best_trial(trials, spec.tuner["objective"])
        final = None
        # After cross-validation the validation split has done its work (the folds held it): the final
        # model and the refits train on all the training data.
        refit_data = data.whole_training(dataset) if spec.tuner["folds"] > 1 else dataset
        with watch.stage("final"):
            if best is not None:
                overrides = {**best["hyperparameters"], **spec.final}
                # A profile may fix the final configuration (the cpu profile trains the paper's): say so.
                chosen = best["hyperparameters"]
                fixed = {k: v for k, v in spec.final.items() if k in chosen and chosen[k] != v}
                run.on_event(events.FinalStarted(best["trial_id"], overrides, fixed))
                final = train_final(run, refit_data, overrides)
                final["trial_id"] = best["trial_id"]
        if spec.tuner["folds"] > 1:
            with watch.stage("refit"):
                refit(run, refit_data, trials, best, final)
        # After the refits: a cross-validated grid point has test numbers only once it is refit.
        with watch.stage("paper_runs"):
            paper_runs = measure_paper_runs(run, dataset, trials)
        baselines = _baselines(run, dataset, watch)
        distribution = {**devices.describe(run.strategy), "workers": _workers(trials)}
        return _finish(run, dataset, watch, trials, best["trial_id"] if best else None, final, paper_runs,
                       distribution, baselines)


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


def train(run: Run) -> tuple[results.RunResult, Path]:
    """Train [params] once per execution seed (no search); the first seed's model is kept."""
    with locks.hold(_owned(run)):
        dataset, watch = _start(run)
        with watch.stage("final"):
            final = train_final(run, dataset, {})
            executions = [{"seed": run.seed, **final["metrics"], "duration_s": final["duration_s"]}]
            for seed in run.seeds[1:]:
                executions.append(_cached_execution(run, dataset, run.spec.params,
                                                    run.folder / "executions" / f"{seed - run.seed}.json", seed,
                                                    ("executions", f"seed{seed}")))
            trial = results.trial("train", {}, executions,
                                  score=tuning.mean_metrics(executions)[run.spec.tuner["objective"]])
            final["trial_id"] = "train"
            run.on_event(events.TrialEnded(1, 1, trial, trial))
        baselines = _baselines(run, dataset, watch)
        return _finish(run, dataset, watch, [trial], "train", final, [], devices.describe(run.strategy), baselines)


def best_trial(trials: list[dict], objective: str = "val_accuracy") -> dict | None:
    """Return the completed trial with the best score (highest accuracy or lowest loss)."""
    completed = [t for t in trials if results.completed(t)]
    sign = -1 if oracles.objective_direction(objective) == "min" else 1
    return max(completed, key=lambda t: sign * t["score"], default=None)


def measure_paper_runs(run: Run, dataset: data.Dataset, trials: list[dict]) -> list[dict]:
    """Return the paper's settings with our measurements beside them.

    A setting that is also a grid point reuses that trial's executions; the
    others are trained here with the same seeds (when [tuner] paper_runs is
    on) and cached in the run folder.
    """
    spec = run.spec
    by_params = {}
    for trial in trials:
        tested = all("test_accuracy" in e for e in trial["executions"])
        if results.completed(trial) and trial["budget"] is None and tested:
            by_params[_key(spec.with_params(trial["hyperparameters"], "trial"))] = trial
    measured = []
    for index, paper_run in enumerate(spec.paper["runs"]):
        params = spec.with_params(paper_run["params"], f"paper run {paper_run['name']!r}")
        entry = dict(paper_run)
        match = by_params.get(_key(params))
        if match is not None:
            entry.update(source=f"trial {match['trial_id']}", executions=match["executions"])
        elif spec.tuner["paper_runs"]:
            run.on_event(events.PaperRunStarted(paper_run["name"], paper_run["params"]))
            entry.update(source="trained beside the search", executions=[
                _cached_execution(run, dataset, params, run.folder / "paper_runs" / f"{index}-{seed - run.seed}.json",
                                  seed, ("paper_runs", f"{index}-seed{seed}"))
                for seed in run.seeds])
        else:
            entry.update(source="not measured in this profile", executions=[])
        measured.append(entry)
    return measured


def refit(run: Run, dataset: data.Dataset, trials: list[dict], best: dict | None, final: dict | None) -> None:
    """Train trials of a cross-validated search again on `dataset`, once per seed, and test them.

    `dataset` is the whole training split, its validation part included
    (data.whole_training), as the final model's.

    [tuner] refit says which: the best trial, or all (so every trial is
    compared on test). The search chose from its folds alone; these numbers
    come after it. Each execution gets the refit's test accuracy and loss
    beside its folds' means, and every number of the refit under "refit".
    The final model is the best trial's refit for the run's seed: it is not
    trained twice.
    """
    chosen = [t for t in trials if results.completed(t) and t["budget"] is None
              and (run.spec.tuner["refit"] == "all" or (best is not None and t["trial_id"] == best["trial_id"]))]
    if chosen:
        run.on_event(events.RefitStarted(len(chosen), len(run.seeds)))
    for trial in chosen:
        params = run.spec.with_params(trial["hyperparameters"], "trial")
        for execution in trial["executions"]:
            seed = execution["seed"]
            if final and final["params"] == params and seed == run.seed:
                refitted = dict(final["metrics"])   # its time is the final model's, counted there
            else:
                path = run.folder / "refit" / f"{trial['trial_id']}-{seed - run.seed}.json"
                refitted = _cached_execution(run, dataset, params, path, seed,
                                             ("refit", f"trial_{trial['trial_id']}-seed{seed}"))
            execution["refit"] = {k: v for k, v in refitted.items() if k not in ("seed", "history")}
            execution.update({k: refitted[k] for k in ("test_accuracy", "test_loss") if k in refitted})


def measure_baselines(run: Run, dataset: data.Dataset) -> list[dict]:
    """Train and test the spec's [baselines] (aeon classifiers) on the run's splits, once per seed (cached).

    They train on the training split our models train on and are tested on
    the same test split; their fit time is measured the same way as ours
    (training only, data already in memory).
    """
    from .. import backend
    from ..models import aeon_classifiers
    measured = []
    for name, options in run.spec.baselines.items():
        classifier = aeon_classifiers.CLASSIFIERS[name]
        if classifier.deep and not backend.is_tensorflow():
            # aeon's deep classifiers build tf.keras networks: without TensorFlow as the backend they cannot run.
            measured.append({"name": name, "label": classifier.label, "summary": classifier.summary,
                             "options": options, "executions": [],
                             "skipped": f"aeon's deep classifiers need TensorFlow, and this run trained on "
                                        f"{backend.name()}"})
            continue
        executions = []
        for seed in run.seeds:
            path = run.folder / "baselines" / f"{name}-{seed - run.seed}.json"
            if path.exists():
                record = files.read_json(path)
            else:
                run.on_event(events.BaselineStarted(classifier.label, seed))
                record = aeon_classifiers.fit_and_test(name, options, dataset, seed, run.folder / "baselines")
                files.write_json(path, record, within=run.folder)
            executions.append({k: v for k, v in record.items() if k != "y_pred"})
            run.on_event(events.BaselineEnded(classifier.label, executions[-1]))
        measured.append({"name": name, "label": classifier.label, "summary": classifier.summary,
                         "options": options, "executions": executions})
    return measured


def _baselines(run: Run, dataset: data.Dataset, watch: Stopwatch) -> list[dict]:
    if not run.spec.baselines:
        return []
    with watch.stage("baselines"):
        return measure_baselines(run, dataset)


def train_final(run: Run, dataset: data.Dataset, overrides: dict) -> dict:
    """Train [params] + `overrides` + nothing else with the run's seed; save the model; return its record (cached)."""
    folder = run.folder / FINAL_DIR
    record_path = folder / "final.json"
    if record_path.exists() and (folder / MODEL_FILE).exists():
        return files.read_json(record_path)
    params = run.spec.with_params(overrides, "final")
    folder.mkdir(parents=True, exist_ok=True)
    with train_execution(run, params, dataset, run.seed, log=(FINAL_DIR,), resume_dir=folder) as execution:
        # Keras insists on the .keras suffix, so the temporary name keeps it.
        temporary = folder / f".{MODEL_FILE}.tmp.keras"
        execution.model.save(temporary)
        os.replace(temporary, folder / MODEL_FILE)
        record = {
            "overrides": overrides, "params": params, "seed": run.seed, "metrics": execution.metrics,
            "history": execution.history, "y_true": dataset.y_test.tolist(), "y_pred": execution.y_pred.tolist(),
            "duration_s": round(execution.duration_s, 3), "model_file": f"{FINAL_DIR}/{MODEL_FILE}",
        }
        if execution.y_pred_running_bn is not None:
            record["y_pred_running_bn"] = execution.y_pred_running_bn.tolist()
    files.write_json(record_path, record, within=run.folder)
    return record


def _cached_execution(run: Run, dataset, params, path: Path, seed: int, log: tuple[str, ...]) -> dict:
    if path.exists():
        return files.read_json(path)
    with train_execution(run, params, dataset, seed, log=log) as execution:
        summary = execution.summary()
    files.write_json(path, summary, within=run.folder)
    return summary


def _workers(trials: list[dict]) -> list[str]:
    """Return the worker processes that ran the trials' executions ([] for a single process)."""
    return sorted({e["worker"] for t in trials for e in t["executions"] if e.get("worker")})


def _key(params: dict) -> str:
    return repr(sorted(params.items()))


def _owned(run: Run) -> Path:
    """Return the run folder once no part of it below --runs-dir is a link (PathError naming the link otherwise).

    --runs-dir itself may be a link (runs/ on another disk); the experiment's
    folder and the run folder below it must be real: a run folder linked
    elsewhere would have the run, its lock and --overwrite write and delete there.
    """
    return files.inside(run.runs_root, run.folder.relative_to(run.runs_root))


def _start(run: Run) -> tuple[data.Dataset, Stopwatch]:
    """Load the data, then prepare the run folder (wiped with `overwrite`); the first stage of tune and train.

    The data first: data that cannot be loaded (a bad path, an image tree
    without a class) stops the command before the run folder is made, or
    wiped, so it leaves no empty folder behind and `--overwrite` destroys
    nothing it cannot replace.
    """
    folder = _owned(run)
    wipe = run.overwrite and not run.worker
    if not run.worker and not wipe and ((folder / "tuner").exists() or (folder / FINAL_DIR).exists()):
        run.on_event(events.Resumed(str(folder)))
    watch = Stopwatch()
    with watch.stage("data"):
        dataset = load_dataset(run.spec, run.seed)
    if wipe and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files.refuse_links(folder)
    run.on_event(events.DataLoaded(dataset.describe()))
    return dataset, watch


def _finish(run: Run, dataset, watch: Stopwatch, trials, best_id, final, paper_runs,
            distribution, baselines=()) -> tuple[results.RunResult, Path]:
    spec = run.spec
    result = results.RunResult(
        kind=run.kind, experiment=spec.name, title=spec.title, command=run.command, seed=run.seed,
        spec=spec.to_dict(), dataset=dataset.describe(),
        environment={**machine.environment(devices.gpus(), run.backend), "distribution": distribution},
        started=watch.started, finished=now(), wall_time_s=round(watch.elapsed(), 3),
        timings={key: round(value, 3) for key, value in watch.timings.items()},
        trials=trials, best_trial_id=best_id, final=final or {}, paper_runs=paper_runs,
        augmentation=augmentation_samples(spec, dataset, run.seed), baselines=list(baselines),
    )
    results.save(result, run.folder)
    return result, run.folder
