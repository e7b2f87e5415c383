from ann_keras.search import events


def trial(status="COMPLETED", **hyperparameters):
    executions = [{"seed": 1, "val_accuracy": 0.9, "test_accuracy": 0.8, "duration_s": 1.5},
                  {"seed": 2, "val_accuracy": 0.7, "test_accuracy": 0.6, "duration_s": 2.0}]
    return {"trial_id": "0001", "status": status, "hyperparameters": hyperparameters,
            "executions": executions if status == "COMPLETED" else [], "message": "boom"}


def test_a_trial_line_gives_values_scores_time_and_the_best_so_far():
    line = events.TrialEnded(2, 8, trial(learning_rate=0.1), trial(), worker="worker-1").line()
    assert line == ("trial 2/8 learning_rate=0.1  val 0.800±0.100  test 0.700±0.100  3.5s  on worker-1  "
                    "best so far: trial 0001 val 0.800")
    assert events.TrialEnded(3, None, trial("FAILED"), None).line() == "trial 3 (defaults)  FAILED: boom"


def test_every_event_says_itself_in_one_line():
    said = [
        events.Resumed("runs/ann/x"),
        events.DataLoaded({"name": "digits", "source": "sklearn", "sizes": {"train": 3, "validation": 1, "test": 2}}),
        events.WorkerTrialEnded(trial(), "worker-2"),
        events.WorkerReady("worker-2", "127.0.0.1:8000", "runs/ann/x"),
        events.WorkerDone("worker-2"),
        events.ChiefReady("127.0.0.1:8000", ["worker-1"]),
        events.ChiefReady("127.0.0.1:8000", None),
        events.WorkerLost("worker-1", "killed by signal 9", "0003"),
        events.WorkerOutput("worker-1", "hello"),
        events.PaperRunStarted("baseline", {}),
        events.FinalStarted("0003", {"epochs": 50}, {}),
        events.FinalStarted("0003", {"filters": [48, 96]}, {"filters": [48, 96]}),
        events.TrainingStarted("trial_0003/seed42", {"filters": [48, 96]}, 2, 10_000),
        events.TrainingStarted("final", {}, 20, 1_149, iterations=10_000),
        events.EpochEnded("final", 3, 50, 45_000, 38.2),
    ]
    lines = [event.line() for event in said]
    assert all(line and "\n" not in line for line in lines)
    assert lines[1] == "data: digits (sklearn): 3 train, 1 validation, 2 test"
    assert "goes back to the queue" in lines[7] and lines[8] == "[worker-1] hello"
    assert "instead of best trial 0003" in lines[11]
    assert lines[12] == "trial_0003/seed42: starting filters=[48, 96], 2 epoch(s) of 10,000 examples"
    assert lines[13] == "final: starting, 10,000 iterations"
