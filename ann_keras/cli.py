"""The `ann-keras` command line: the only module that prints or exits.

A user's mistake (AnnKerasError or a click usage error) becomes one line on
stderr and exit code 2; Ctrl-C says how to resume and exits with 130.
TensorFlow is imported only by the commands that train, so `report`,
`datasets` and `--help` answer at once.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
from pathlib import Path

import click

from . import __version__, data, experiments, results, specs
from .data import sequences
from .errors import AnnKerasError, DataError
from .search.roles import ROLES, WORKER_OF, DistributedError, Role, role_from

# Execution i uses seed + i, and NumPy's seeds stop at 2**32 - 1: this leaves room for any number of executions.
MAX_SEED = 2**31 - 1
STRATEGIES = ("default", "mirrored")   # devices.STRATEGIES, without importing TensorFlow for --help

# (experiment, profile): None means the spec's default, or its `cpu` profile on a machine without a GPU.
# The paper's experiments and the recurrent networks its section V names; the LSTM grid (10 minutes on two
# cores, beyond the paper) is `ann-keras reproduce lstm`, so that the whole fits in an hour on a CPU.
EXPERIMENTS_TO_REPRODUCE = (("ann", None), ("cnn", None), ("rnn", None), ("rnn", "digits-seq"))


class CLI(click.Group):
    """A click group that reports errors in one line instead of a traceback or usage text."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            click.echo(f"ann-keras: error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except AnnKerasError as error:
            click.echo(f"ann-keras: error: {error}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("\nann-keras: interrupted; run the same command again to resume "
                       "(finished trials are kept)", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=CLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ann-keras")
def cli():
    """Reproduce and extend the experiments of "Training Artificial Neural Networks"."""


# ---------------------------------------------------------------- options shared by tune and train

def _common_options(command):
    options = [
        click.argument("experiment"),
        click.option("--profile", "-p", help="Profile from the spec's [profiles] (default: its default_profile)."),
        click.option("--seed", type=click.IntRange(0, MAX_SEED), default=42, show_default=True,
                     help="Fixes data splits, initialisation and shuffling; execution i uses seed+i."),
        click.option("--executions", type=click.IntRange(min=1), help="Seeds per configuration."),
        click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path),
                     help=f"Read the data set from this file or folder (cifar10: else ${data.CIFAR10_ENV}, "
                          "else Keras's download)."),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override a spec value, e.g. params.learning_rate=0.05 (repeatable)."),
        click.option("--overwrite", is_flag=True, help="Delete this run's folder and start afresh."),
        click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
                     show_default=True, help="Where run folders go."),
        click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
                     show_default=True, help="Where reports go."),
        click.option("--no-report", is_flag=True, help="Do not write the report at the end."),
        click.option("--progress", type=click.Choice(["auto", "bar", "line", "none"]), default="auto",
                     show_default=True, help="Keras's progress output per training run."),
        click.option("--precision", type=click.Choice(["float32", "mixed_bfloat16"]),
                     help="Arithmetic of the layers (default: the spec's precision). mixed_bfloat16 computes in "
                          "bfloat16 with float32 weights: faster on CPUs with AVX512-BF16 or AMX, and on GPUs."),
        click.option("--strategy", type=click.Choice(STRATEGIES), default="default", show_default=True,
                     help="mirrored: train each model across all GPUs at once (tf.distribute.MirroredStrategy); "
                          "without GPUs, across the CPU devices that $ANN_KERAS_CPU_REPLICAS makes."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command(help="Grid-search (or randomly, Bayesian, Hyperband) an experiment's [search] axes.")
@_common_options
@click.option("--tuner", type=click.Choice(specs.TUNERS), help="Search algorithm (default: the spec's).")
@click.option("--max-trials", type=click.IntRange(min=0), help="Stop after this many trials (0 = whole grid).")
@click.option("--workers", type=click.IntRange(min=1, max=256),
              help="Run the trials in N worker processes on this machine (one GPU each where there are GPUs), "
                   "served by this process as the chief.")
@click.option("--role", type=click.Choice(ROLES), help="Several machines: this process's part in the search.")
@click.option("--listen", metavar="HOST:PORT", help="With --role chief: the address workers connect to.")
@click.option("--chief", "chief_address", metavar="HOST:PORT", help="With --role worker: the chief's --listen.")
@click.option("--worker-id", help="With --role worker: a name unique among the workers, e.g. worker-1.")
def tune(experiment, tuner, max_trials, workers, role, listen, chief_address, worker_id, **options):
    extra = []
    if tuner:
        extra.append(f"tuner.name={tuner}")
    if max_trials is not None:
        extra.append(f"tuner.max_trials={max_trials}")
    chosen = role_from(role, listen, chief_address, worker_id, workers)
    if workers is not None and options["strategy"] != "default":
        raise DistributedError("--workers gives each worker its own GPU; --strategy mirrored spreads one trial over "
                               "all of them: choose one (with several machines, --role worker --strategy mirrored "
                               "uses every GPU of that worker's machine)")
    if chosen is not None and chosen.name == "worker":
        if options["overwrite"]:
            raise DistributedError("--overwrite is for the chief: a worker works in the chief's run folder")
        from .search.distributed import follow_chief
        follow_chief()
    _run("tune", experiment, extra, role=chosen, workers=workers, **options)


@cli.command(help="Train the spec's [params] once per seed, without a search.")
@_common_options
def train(experiment, **options):
    _run("train", experiment, [], **options)


@cli.command(help="Run the paper's experiments end to end and write every report (what `make reproduce` runs).")
@click.argument("experiments", nargs=-1)
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=42, show_default=True)
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True)
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True)
def reproduce(experiments, seed, runs_dir, reports_dir):
    entries = [(name, None) for name in experiments] or EXPERIMENTS_TO_REPRODUCE
    _import_runner()
    from .search import devices
    gpu = bool(devices.gpus())
    chosen = []
    for name, profile in entries:
        spec = experiments.load(name, profile)   # every name is checked before any training starts
        if profile is None and "cpu" in spec.profiles and not gpu:
            profile = "cpu"   # the paper's full protocol needs a GPU; this profile is sized for a CPU
        chosen.append((spec, profile or spec.profile))
    for spec, profile in chosen:
        click.echo(f"== {spec.title} [profile {profile}]")
        _run("tune", spec.path, [], profile=profile, seed=seed, executions=None, overrides=(), data_path=None,
             overwrite=False, runs_dir=runs_dir, reports_dir=reports_dir, no_report=False, progress="auto")
    _write_index(reports_dir)


@cli.command(help="Write reports/<experiment>/ from run folders (results.json only; no TensorFlow).")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True)
def report(run_dirs, reports_dir):
    from . import reports
    for run_dir in run_dirs:
        folder = reports.write_report(results.load(run_dir), reports_dir)
        click.echo(f"report: {folder / 'index.html'}")
    _write_index(reports_dir)


@cli.command(help="List the data sets that can be loaded and where each comes from.")
def datasets():
    for name, text in data.available().items():
        click.echo(f"{name:17} {text}")
    try:
        shipped = sequences.shipped_classification()
        click.echo(f"\naeon:NAME data sets shipped with aeon: {', '.join(shipped)}")
    except AnnKerasError as error:
        click.echo(f"\naeon:NAME: {error}")


@cli.command(name="experiments", help="List the experiments in tuning/ and their profiles.")
def list_experiments():
    for name, path in specs.available().items():
        try:
            spec = experiments.load(str(path))
            click.echo(f"{name:12} {spec.title}  [profiles: {', '.join(spec.profiles)}]  {path}")
        except AnnKerasError as error:
            click.echo(f"{name:12} (invalid: {error})")


# ---------------------------------------------------------------- running


def _run(kind, experiment, extra, *, profile, seed, executions, overrides, data_path, overwrite, runs_dir,
         reports_dir, no_report, progress, strategy="default", role=None, workers=None, precision=None):
    if executions is not None:
        extra.append(f"tuner.executions={executions}")
    if precision is not None:
        extra.append(f"params.precision={precision}")
    settings = tuple(overrides) + tuple(extra)
    spec = experiments.load(experiment, profile, settings)
    if data_path is not None:
        _check_data_option(spec, data_path)
    data_path = data_path or (os.environ.get(data.CIFAR10_ENV) if spec.dataset == "cifar10" else None)
    if data_path and not spec.data["path"]:
        # An absolute path in the spec: the run folder's hash is the same whichever way it was given.
        settings += (f"data.path={json.dumps(str(Path(data_path).resolve()))}",)
        spec = experiments.load(experiment, profile, settings)
    runner = _import_runner()
    from .search import devices
    if workers is not None:
        from .search.distributed import WorkerPool
        gpus = devices.gpu_ids()
        if gpus:
            devices.share_gpus()   # the chief builds a model too; it must not take the workers' GPU memory
        pool = WorkerPool(_worker_command(spec, seed, settings, runs_dir, progress), workers, gpus=gpus,
                          echo=click.echo)
        role = Role("chief", "127.0.0.1", 0, pool=pool)
    verbose = _keras_verbose(progress, spec)
    command = "ann-keras " + shlex.join(sys.argv[1:]) if sys.argv[1:] else f"ann-keras {kind} {spec.name}"
    options = dict(seed=seed, runs_root=runs_dir, command=command, overwrite=overwrite, verbose=verbose,
                   on_event=_print_event, strategy=devices.make_strategy(strategy))
    if kind == "tune":
        result, run_dir = runner.tune(spec, role=role, **options)
    else:
        result, run_dir = runner.train(spec, **options)
    if result is None:
        click.echo(f"{role.worker_id}: no more trials; stopping")
        return
    click.echo(f"results: {run_dir / 'results.json'}")
    _print_summary(result)
    if not no_report:
        from . import reports
        folder = reports.write_report(result, reports_dir)
        click.echo(f"report: {folder / 'index.html'}")


def _check_data_option(spec, data_path) -> None:
    """Refuse --data where it would be ignored: a data set that reads no files, or a spec that names its own."""
    if not data.reads_path(spec.dataset):
        raise DataError(f"--data {data_path}: data set {spec.dataset!r} (profile {spec.profile}) reads no files; "
                        "--data applies to: cifar10, images, aeon")
    if spec.data["path"]:
        raise DataError(f"--data {data_path}: the spec already reads [data] path = {spec.data['path']!r}; "
                        "give one of the two")


def _worker_command(spec, seed, settings, runs_dir, progress) -> list[str]:
    """Return the command line of a worker of this chief: the same spec, seed, overrides and runs folder."""
    command = [sys.executable, "-m", "ann_keras", "tune", str(spec.path), "--profile", spec.profile,
               "--seed", str(seed), "--runs-dir", str(Path(runs_dir).resolve()), "--progress", progress]
    for setting in settings:
        command += ["--set", setting]
    return command


def _import_runner():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")   # Keras Tuner imports gRPC; see distributed.py
    try:
        import tensorflow as tf

        from .search import devices, runner
        devices.configure()
        # Each trial builds new models, so tf.function retracing is expected, not a bug.
        tf.get_logger().setLevel("ERROR")
    except ImportError as error:
        raise AnnKerasError(f"cannot import the training stack ({error}); install it with "
                            "`pip install 'ann-keras[cpu]'` or `pip install 'ann-keras[gpu]'`") from None
    return runner


def _keras_verbose(progress, spec) -> int:
    if progress != "auto":
        return {"bar": 1, "line": 2, "none": 0}[progress]
    if spec.counted_in == "iterations":
        return 0   # a few seconds per run: the per-trial line says enough
    return 1 if sys.stdout.isatty() else 2


def _print_event(kind, info):
    if kind == "resume":
        click.echo(f"resuming in {info['run_dir']}")
    elif kind == "data":
        sizes = info["sizes"]
        click.echo(f"data: {info['name']} ({info['source']}): {sizes['train']} train, "
                   f"{sizes['validation']} validation, {sizes['test']} test")
    elif kind == "trial":
        click.echo(_trial_line(info))
    elif kind == "worker_ready":
        click.echo(f"{info['worker']}: asking the chief at {info['chief']} for trials; run folder {info['run_dir']}")
    elif kind == "worker_trial":
        if WORKER_OF not in os.environ:   # a local chief (--workers N) prints every trial itself
            trial = info["trial"]
            click.echo(f"trial {trial['trial_id']} {_values(trial['hyperparameters'])}  {_scores(trial)}")
    elif kind == "chief_ready":
        if info["workers"]:
            click.echo(f"chief: serving the search at {info['address']} to {', '.join(info['workers'])}")
        else:
            click.echo(f"chief: serving the search at {info['address']}; start each worker with the same "
                       f"experiment and options plus --role worker --chief {info['address']} --worker-id ID")
    elif kind == "worker_died":
        fate = (f"its trial {info['trial_id']} goes back to the queue" if info["trial_id"]
                else "it held no trial")
        click.echo(f"chief: {info['worker']} stopped ({info['how']}); {fate}")
    elif kind == "paper_run":
        click.echo(f"paper setting {info['name']!r}: training beside the search")
    elif kind == "final_begin":
        if info.get("fixed"):
            click.echo(f"final: the spec's [final] sets {_values(info['fixed'])} instead of best trial "
                       f"{info['trial_id']}'s values; training with {_values(info['overrides'])}")
        else:
            click.echo(f"final: retraining trial {info['trial_id']} with {_values(info['overrides'])}")


def _trial_line(info) -> str:
    from .reports.metrics import mean_std
    trial, best = info["trial"], info["best"]
    total = f"/{info['total']}" if info.get("total") else ""
    line = f"trial {info['number']}{total} {_values(trial['hyperparameters'])}  {_scores(trial)}"
    if info.get("worker"):
        line += f"  on {info['worker']}"
    if results.completed(trial) and best:
        line += f"  best so far: trial {best['trial_id']} val {mean_std(best['executions'], 'val_accuracy')[0]:.3f}"
    return line


def _scores(trial) -> str:
    from .reports.metrics import mean_std
    if trial["status"] != results.Status.COMPLETED:
        return f"FAILED: {trial['message']}"
    val, val_std = mean_std(trial["executions"], "val_accuracy")
    test, test_std = mean_std(trial["executions"], "test_accuracy")
    seconds = sum(e["duration_s"] for e in trial["executions"])
    return f"val {val:.3f}±{val_std:.3f}  test {test:.3f}±{test_std:.3f}  {seconds:.1f}s"


def _values(values: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items()) or "(defaults)"


def _print_summary(result):
    from .reports import metrics
    trials = metrics.trials_table(result)
    if not trials.empty:
        click.echo(f"\n{result.title}: {len(trials)} trial(s), {result.spec['tuner']['executions']} "
                   f"execution(s) each, sorted by {result.spec['tuner']['objective']} (* = best)")
        click.echo(_format(trials.drop(columns=["message", "status"]).assign(
            best=trials["best"].map({True: "*", False: ""}))))
    paper = metrics.paper_table(result)
    if not paper.empty:
        from .reports import paper_display
        click.echo("\nThe paper and us (ours = mean ± std over seeds)")
        click.echo(_format(paper_display(paper)[["setting", "measure", "paper", "ours", "difference", "verdict",
                                                 "our finding"]]))
    if result.final:
        m = result.final["metrics"]
        click.echo(f"\nfinal model: test accuracy {m['test_accuracy']:.4f}, test loss {m['test_loss']:.4f} "
                   f"({result.final['model_file']})")


def _format(table) -> str:
    def number(value):
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.3f}"
        return str(value)
    return table.to_string(index=False, formatters={c: number for c in table.columns})


def _write_index(reports_dir):
    from . import reports
    path, skipped = reports.write_index(reports_dir)
    for line in skipped:
        click.echo(f"index: skipped {line}", err=True)
    click.echo(f"index: {path}")


def main():
    cli(prog_name="ann-keras")
