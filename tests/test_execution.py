"""search/execution.py: one seeded execution of a run trains, reports its start and each logged point, and
logs for TensorBoard inside the run folder only when the run asks."""

import pytest

from ann_keras import experiments
from ann_keras.search import events, runner
from ann_keras.search.execution import train
from ann_keras.search.run import Run


@pytest.mark.parametrize("tensorboard", [True, False])
def test_an_execution_reports_its_start_and_every_logged_point_and_logs_where_asked(tmp_path, tensorboard):
    spec = experiments.load("ann", "smoke", ("params.iterations=200", "params.log_every=100"))
    heard = []
    run = Run(spec, "train", 5, tmp_path, tensorboard=tensorboard, on_event=heard.append)
    dataset = runner.load_dataset(spec, 5)
    with train(run, spec.params, dataset, 5, log=("trial_0001", "seed5")) as done:
        assert done.seed == 5 and len(done.y_pred) == len(dataset.y_test)
    started = [e for e in heard if isinstance(e, events.TrainingStarted)]
    ended = [e for e in heard if isinstance(e, events.EpochEnded)]
    assert [(e.stage, e.epochs, e.iterations) for e in started] == [("trial_0001/seed5", 2, 200)]
    assert [(e.epoch, e.epochs) for e in ended] == [(1, 2), (2, 2)]
    logs = run.folder / "tensorboard" / "trial_0001" / "seed5"
    assert logs.is_dir() == tensorboard
