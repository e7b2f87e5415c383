from ann_keras import experiments
from ann_keras.search import events, progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def loaded(train, validation=0):
    sizes = {"train": train, "validation": validation, "test": 10}
    return events.DataLoaded({"name": "x", "source": "y", "sizes": sizes})


def test_the_estimate_is_the_plan_left_at_the_pace_measured_so_far():
    spec = experiments.load("rnn", "smoke")   # 3 cells x 2 branches, 1 seed, 2 epochs each; final 2 epochs
    heard, clock = [], Clock()
    tracker = progress.Tracker(spec, "tune", heard.append, clock=clock, every_s=0, after_s=600, label="rnn 3/4")
    tracker(loaded(240))
    assert (tracker.planned, tracker.planned_trainings) == (6 * 2 * 240 + 2 * 240, 7)
    tracker(events.TrainingStarted("trial_0000/seed42", {"cell": "simple"}, 2, 240))
    clock.now = 10.0
    tracker(events.EpochEnded("trial_0000/seed42", 1, 2, 240, 8.0))
    estimate = heard[-1]
    assert isinstance(estimate, progress.Estimate)
    # 240 examples in 8 s of epochs: the plan's other 3,120 take 104 s; the 2 s outside the epochs, for each
    # of the 6 trainings still to start, 12 s more.
    assert estimate.run_left_s == 116.0
    assert estimate.stage_left_s == 8.0
    line = estimate.line()
    assert line.startswith("rnn 3/4: trial_0000/seed42 epoch 1/2")
    assert "2 min in this experiment" in line and "12 min in all" in line


def test_estimates_come_at_most_every_interval_and_always_when_the_final_model_ends():
    spec = experiments.load("rnn", "smoke")
    heard, clock = [], Clock()
    tracker = progress.Tracker(spec, "tune", heard.append, clock=clock, every_s=60)
    tracker(loaded(240))
    for second in (10, 20, 70, 80):
        clock.now = second
        tracker(events.EpochEnded("trial_0000/seed42", 1, 2, 240, 1.0))
    estimates = [e for e in heard if isinstance(e, progress.Estimate)]
    assert len(estimates) == 1
    tracker(events.EpochEnded("final", 2, 2, 240, 1.0))
    assert isinstance(heard[-1], progress.Estimate) and heard[-1].stage == "final"
    # Every event reaches the listener, estimates besides.
    assert sum(isinstance(e, events.EpochEnded) for e in heard) == 5


def test_without_a_known_plan_only_the_stage_is_estimated():
    spec = experiments.load("ann", "smoke", ("tuner.name=hyperband",))
    heard = []
    tracker = progress.Tracker(spec, "tune", heard.append, every_s=0)
    tracker(loaded(100))
    tracker(events.EpochEnded("trial_0000/seed42", 1, 4, 100, 2.0))
    assert heard[-1].run_left_s is None
    assert heard[-1].line().endswith("about 6 s left in it")


def test_minutes_reads_as_a_person_would():
    assert progress.minutes(40) == "40 s"
    assert progress.minutes(12 * 60) == "12 min"
    assert progress.minutes(65 * 60) == "1 h 5 min"
