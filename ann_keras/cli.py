"""The `ann-keras` command line: the only module that prints or exits.

A user's mistake (AnnKerasError or a click usage error) becomes one line on
stderr and exit code 2; Ctrl-C says how to resume and exits with 130.
TensorFlow is imported only by the commands that train, so `report`,
`datasets` and `--help` answer at once.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import click

from . import __version__, backend, commands, data, experiments, specs
from .data import aeon_sets
from .data.cifar10 import ENV as CIFAR10_ENV
from .errors import AnnKerasError
from .search import events
from .search.tuners import TUNERS
from .search.roles import ROLES, WORKER_OF, role_from

MAX_SEED = commands.MAX_SEED
ARGV = "ann_keras.argv"   # click's context meta: the arguments this command line was given, as results.json records
STRATEGIES = ("default", "mirrored")   # devices.STRATEGIES, without importing TensorFlow for --help
BACKEND_HELP = ("Keras backend to train on: tensorflow, jax or torch (default: $KERAS_BACKEND, else the first of "
                "those installed). Recorded in results.json; runs on two backends never share a run folder.")


def _backend_option(command):
    return click.option("--backend", type=click.Choice(backend.BACKENDS), help=BACKEND_HELP)(command)


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

    def make_context(self, info_name, args, parent=None, **extra):
        argv = tuple(args)   # before click consumes them
        context = super().make_context(info_name, args, parent, **extra)
        context.meta[ARGV] = argv
        return context


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
        click.option("--dataset", metavar="NAME",
                     help="Run on this data set instead of the profile's, e.g. aeon:BasicMotions, images:PATH, "
                          "ts:PATH, cifar10 (see `ann-keras datasets`); reported on a page of its own."),
        click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path),
                     help=f"Read the data set from this file or folder (cifar10: else ${CIFAR10_ENV}, "
                          "else Keras's download)."),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override a spec value, e.g. params.learning_rate=0.05 (repeatable)."),
        click.option("--overwrite", is_flag=True, help="Delete this run's folder and start afresh."),
        click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
                     show_default=True, help="Where run folders go."),
        click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
                     show_default=True, help="Where reports go."),
        click.option("--no-report", is_flag=True, help="Do not write the report at the end."),
        click.option("--no-tensorboard", is_flag=True, help="Write no TensorBoard event files."),
        click.option("--progress", type=click.Choice(commands.PROGRESS), default="auto",
                     show_default=True, help="Keras's progress output per training run."),
        click.option("--precision", type=click.Choice(["float32", "mixed_bfloat16", "auto"]),
                     help="Arithmetic of the layers (default: the spec's precision). mixed_bfloat16 computes in "
                          "bfloat16 with float32 weights: faster on GPUs and on CPUs with AVX512-BF16 or AMX, slower "
                          "where bfloat16 is emulated; auto picks it where the hardware has it, else float32."),
        click.option("--backend", type=click.Choice(backend.BACKENDS), help=BACKEND_HELP),
        click.option("--strategy", type=click.Choice(STRATEGIES), default="default", show_default=True,
                     help="mirrored: train each model across all GPUs at once (tf.distribute.MirroredStrategy); "
                          "without GPUs, across the CPU devices that $ANN_KERAS_CPU_REPLICAS makes."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command(help="Grid-search (or randomly, Bayesian, Hyperband) an experiment's [search] axes.")
@_common_options
@click.option("--tuner", type=click.Choice(list(TUNERS)), help="Search algorithm (default: the spec's).")
@click.option("--max-trials", type=click.IntRange(min=0), help="Stop after this many trials (0 = whole grid).")
@click.option("--workers", type=click.IntRange(min=1, max=256),
              help="Run the trials in N worker processes on this machine (one GPU each where there are GPUs), "
                   "served by this process as the chief.")
@click.option("--role", type=click.Choice(ROLES), help="Several machines: this process's part in the search.")
@click.option("--listen", metavar="HOST:PORT", help="With --role chief: the address workers connect to.")
@click.option("--chief", "chief_address", metavar="HOST:PORT", help="With --role worker: the chief's --listen.")
@click.option("--worker-id", help="With --role worker: a name unique among the workers, e.g. worker-1.")
def tune(experiment, role, listen, chief_address, worker_id, **options):
    role = role_from(role, listen, chief_address, worker_id, options["workers"])
    _show(commands.tune(experiment, _choices(options, role=role), on_event=_print_event))


@cli.command(help="Train the spec's [params] once per seed, without a search.")
@_common_options
def train(experiment, **options):
    _show(commands.train(experiment, _choices(options), on_event=_print_event))


@cli.command(help="Run the paper's experiments end to end and write every report (what `make reproduce` runs).")
@click.argument("experiments", nargs=-1)
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=42, show_default=True)
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True)
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True)
@_backend_option
def reproduce(experiments, seed, runs_dir, reports_dir, backend):
    for outcome in commands.reproduce(
            experiments, seed=seed, runs_dir=runs_dir, reports_dir=reports_dir, argv=_argv(), on_event=_print_event,
            backend_name=backend,
            on_start=lambda spec, profile: click.echo(f"== {spec.title} [profile {profile}]")):
        _show(outcome)
    _show_index(reports_dir)


@cli.command(help="Write reports/<experiment>/ from run folders (results.json only; no TensorFlow).")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True)
@click.option("--notes-from-spec", is_flag=True,
              help="Take the spec's prose (description, notes, the paper's reasons) from the shipped spec of the "
                   "same experiment and profile as it reads now; every number stays the run's.")
def report(run_dirs, reports_dir, notes_from_spec):
    for page in commands.report(run_dirs, reports_dir, notes_from_spec=notes_from_spec):
        click.echo(f"report: {page}")
    _show_index(reports_dir)


@cli.command(help="Show run folders' training curves and search (HParams) in TensorBoard on 127.0.0.1; Ctrl-C stops.")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), help="The port to serve on (default: any free one).")
def tensorboard(run_dirs, port):
    import signal
    import time

    from .deploy import dashboard
    folders = dashboard.log_folders(run_dirs)
    _, address = dashboard.start(folders, port or 0)
    for name in folders:
        click.echo(f"run: {name}")
    click.echo(f"TensorBoard at {address} (HParams: {address}#hparams); Ctrl-C stops it")
    # Ctrl-C (and a plain `kill`) stop it even when the shell started it with SIGINT ignored, as a
    # non-interactive shell does for a command run in the background with `&`.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nTensorBoard stopped")


@cli.command(help="Classify your own files (images, .ts/.csv sequences, digit text files) with a trained model.")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(1, 1000), default=3, show_default=True, help="Classes shown per input.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout, for programs.")
@_backend_option
def predict(model, inputs, top, as_json, backend):
    import json

    predictions, skipped = commands.predict(model, list(inputs), top, backend)
    for line in skipped:
        click.echo(f"ann-keras: skipped {line}", err=True)
    if as_json:
        click.echo(json.dumps({"predictions": [p.to_dict() for p in predictions], "skipped": skipped}, indent=1))
    else:
        for prediction in predictions:
            shown = ", ".join(f"{name} {probability:.1%}" for name, probability in prediction.top)
            click.echo(f"{_printable(prediction.input)}: {shown}")
    if not predictions:
        raise AnnKerasError(f"none of the {len(inputs)} input(s) could be read; valid: images (PNG, JPEG...) for an "
                            "image model, .ts or .csv files for a sequence model, 64 numbers for a digits model")


@cli.command(help="Write a run's final model as .keras, SavedModel or TFLite, checked on its test split.")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["keras", "savedmodel", "tflite"]), default="savedmodel",
              show_default=True)
@click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path),
              help="Where the run's data is, when it has moved (CIFAR-10 or your image folders).")
def export(run_dir, fmt, data_path):
    done = commands.export(run_dir, fmt, data_path)
    click.echo(f"exported: {done.path}")
    click.echo(f"check: {done.examples} test examples; Keras model {done.keras_accuracy:.4%}, exported "
               f"{done.exported_accuracy:.4%}, same class for {done.agreement:.2%} (tolerance {done.tolerance:.2%})")
    click.echo(f"model card: {done.path.parent.parent / 'final' / 'MODEL_CARD.md'}")


@cli.command(help="Test a run's final model again on its test split, with and without test-time augmentation.")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path),
              help="Where the run's data is, when it has moved (CIFAR-10 or your image folders).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout, for programs.")
@_backend_option
def evaluate(run_dir, data_path, as_json, backend):
    import json

    done = commands.evaluate(run_dir, data_path, backend)
    if as_json:
        click.echo(json.dumps(done.to_dict(), indent=1))
        return
    recorded = f"; the run recorded {done.recorded_accuracy:.2%} for its own setting (*)" \
        if done.recorded_accuracy is not None else ""
    click.echo(f"{done.run_dir}: final model on {done.examples} test examples{recorded}")
    width = max(len(v.name) for v in done.variants)
    for v in done.variants:
        click.echo(f"{'*' if v.as_run else ' '} {v.name:{width}}  test accuracy {v.test_accuracy:.2%}  "
                   f"loss {v.test_loss:.4f}  {v.seconds:.1f} s")


@cli.command(help="List the data sets that can be loaded and where each comes from.")
def datasets():
    for source in data.SOURCES:
        options = f" [data] {', '.join(source.options)}." if source.options else ""
        click.echo(f"{source.pattern:17} {source.kind:9} {source.summary}.{options}")
    try:
        shipped = aeon_sets.shipped_classification()
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


# ---------------------------------------------------------------- printing


def _choices(options: dict, role=None) -> commands.Choices:
    """Return the command line's choices for tune and train, as the library takes them."""
    return commands.Choices(
        profile=options["profile"], seed=options["seed"], executions=options["executions"],
        data_path=options["data_path"], dataset=options["dataset"], overrides=tuple(options["overrides"]),
        overwrite=options["overwrite"],
        runs_dir=options["runs_dir"], reports_dir=options["reports_dir"], report=not options["no_report"],
        tensorboard=not options["no_tensorboard"],
        progress=options["progress"], precision=options["precision"], strategy=options["strategy"],
        backend=options["backend"], tuner=options.get("tuner"), max_trials=options.get("max_trials"),
        workers=options.get("workers"), role=role, argv=_argv())


def _argv() -> tuple[str, ...]:
    """Return the arguments after `ann-keras` as given (sys.argv, or CliRunner's), for the record of the run."""
    return click.get_current_context().meta.get(ARGV, ())


def _print_event(event: events.Event) -> None:
    if isinstance(event, events.WorkerTrialEnded) and WORKER_OF in os.environ:
        return   # a worker of a local chief (--workers N): the chief prints every trial itself
    if events.printed(event):
        click.echo(event.line())


def _show(outcome: commands.Outcome) -> None:
    """Print where a run's results and report are, and its summary tables."""
    if outcome.result is None:
        return
    click.echo(f"results: {outcome.run_dir / 'results.json'}")
    _print_summary(outcome.result)
    if outcome.report is not None:
        click.echo(f"report: {outcome.report}")


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
        for published, rows in paper.groupby("published", sort=False):
            reference = "published" if published else "paper"
            click.echo(f"\nThe {reference} numbers and ours (ours = mean ± std over seeds, measured the paper's way)")
            columns = ["setting", "measure", reference, "ours", "difference", "noise (95%)", "verdict", "our finding"]
            click.echo(_format(paper_display(rows, reference)[columns]))
    if result.final:
        m = result.final["metrics"]
        accuracy, recomputed = metrics.papers_way(m, "test_accuracy")
        loss = metrics.papers_way(m, "test_loss")[0]
        extension = f"; {recomputed:.4f} with recomputed batch-norm statistics" if recomputed is not None else ""
        click.echo(f"\nfinal model: test accuracy {accuracy:.4f}, test loss {loss:.4f}{extension} "
                   f"({result.final['model_file']})")


def _printable(text: str) -> str:
    """A file name as one printed line: control characters (a newline in a name) escaped."""
    return text if text.isprintable() else ascii(text)[1:-1]


def _format(table) -> str:
    def number(value):
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.3f}"
        return str(value)
    return table.to_string(index=False, formatters={c: number for c in table.columns})


def _show_index(reports_dir):
    path, skipped = commands.index(reports_dir)
    for line in skipped:
        click.echo(f"index: skipped {line}", err=True)
    click.echo(f"index: {path}")


def main():
    cli(prog_name="ann-keras")
