"""Every training of a run writes TensorBoard event files; the search writes the HParams dashboard's data.

Read back with TensorBoard's own reader (EventAccumulator) and its HParams
plugin's protocol buffers, as TensorBoard itself reads them.
"""

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata

from ann_keras.training import tensorboard_logs


def accumulate(folder: Path) -> EventAccumulator:
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return events


def scalars(folder: Path, tag: str) -> list[float]:
    """A per-epoch scalar Keras wrote (TF2 summaries are tensors)."""
    import tensorflow as tf
    return [float(tf.make_ndarray(e.tensor_proto)) for e in accumulate(folder).Tensors(tag)]


def hparams_content(folder: Path) -> bytes:
    plugin = accumulate(folder).PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    assert plugin, f"no HParams data in {folder}"
    return next(iter(plugin.values()))


def test_each_trial_and_seed_writes_per_epoch_loss_and_accuracy(smoke_run):
    result, run_dir = smoke_run
    board = run_dir / tensorboard_logs.LOG_DIR
    for trial in result.trials:
        for execution in trial["executions"]:
            seed_dir = board / f"trial_{trial['trial_id']}" / f"seed{execution['seed']}"
            logged = len(execution["history"]["loss"])
            assert scalars(seed_dir / "train", "epoch_loss") == pytest.approx(execution["history"]["loss"], rel=1e-5)
            assert len(scalars(seed_dir / "train", "epoch_accuracy")) == logged
            assert scalars(seed_dir / "validation", "epoch_accuracy") == pytest.approx(
                execution["history"]["val_accuracy"], rel=1e-5)
    assert scalars(board / "final" / "validation", "epoch_loss")   # the final model too


def test_the_hparams_experiment_names_every_axis_and_each_trial_its_values_and_objective(smoke_run):
    result, run_dir = smoke_run
    board = run_dir / tensorboard_logs.LOG_DIR
    experiment = hparams_metadata.parse_experiment_plugin_data(
        hparams_content(board))
    declared = {info.name: [v for v in info.domain_discrete.values] for info in experiment.hparam_infos}
    assert set(declared) == set(result.spec["search"])
    assert {m.name.tag for m in experiment.metric_infos} >= {"val_accuracy", "val_loss", "test_accuracy"}
    for trial in result.trials:
        session = hparams_metadata.parse_session_start_info_plugin_data(
            hparams_content(board / f"trial_{trial['trial_id']}"))
        values = {name: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind"))
                  for name, value in session.hparams.items()}
        assert values == pytest.approx(trial["hyperparameters"])
        objective = scalars(board / f"trial_{trial['trial_id']}", result.spec["tuner"]["objective"])
        assert objective == pytest.approx([trial["score"]], rel=1e-6)


def test_a_resumed_search_declares_its_experiment_once(tmp_path):
    search = {"units": [4, 8], "bidirectional": [False, True], "learning_rate": [1, 0.5]}
    tensorboard_logs.write_experiment(tmp_path, search, "val_loss")
    tensorboard_logs.write_experiment(tmp_path, search, "val_loss")
    assert len(list((tmp_path / tensorboard_logs.LOG_DIR).glob("events.out.tfevents.*"))) == 1
    experiment = hparams_metadata.parse_experiment_plugin_data(hparams_content(tmp_path / tensorboard_logs.LOG_DIR))
    rates = next(i for i in experiment.hparam_infos if i.name == "learning_rate")
    assert list(rates.domain_discrete.values) and all(v.HasField("number_value") for v in rates.domain_discrete.values)


def test_no_tensorboard_writes_no_event_files(tmp_path):
    from ann_keras import experiments
    from ann_keras.search import runner
    from ann_keras.search.run import Run
    spec = experiments.load("ann", "smoke", ("search.hidden_units=[4]",))
    _, run_dir = runner.tune(Run(spec, "tune", 1, tmp_path, tensorboard=False))
    assert (run_dir / "results.json").exists() and not (run_dir / tensorboard_logs.LOG_DIR).exists()
