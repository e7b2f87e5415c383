import os
import signal
import subprocess
import sys

import pytest

from ann_keras.search import locks

HOLDER = """
import sys, time
from ann_keras.search import locks
with locks.hold(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/runs/exp/run."""
    run_dir = tmp_path / "runs" / "exp" / "run"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    yield run_dir, process
    process.kill()
    process.wait()


def test_a_second_process_is_refused_with_the_holders_pid(holder):
    run_dir, process = holder
    with pytest.raises(locks.RunFolderBusy, match=f"is in use by process {process.pid} "):
        with locks.hold(run_dir):
            pass


def test_a_killed_holder_never_blocks_the_next_run(holder):
    run_dir, process = holder
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with locks.hold(run_dir):
        assert locks.lock_path(run_dir).exists()   # the file stays; the lock went with the process


def test_the_lock_lives_beside_the_folder_and_is_released_after_the_block(tmp_path):
    run_dir = tmp_path / "exp" / "run"
    with locks.hold(run_dir):
        assert locks.lock_path(run_dir) == tmp_path / "exp" / ".run.lock"
        assert not run_dir.exists()               # --overwrite may delete the folder while holding the lock
    with locks.hold(run_dir):                     # released: the same process takes it again
        pass


def test_a_link_at_the_locks_name_is_refused_and_its_target_left_alone(tmp_path):
    from ann_keras.errors import PathError
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    run_dir = tmp_path / "runs" / "ann" / "x"
    run_dir.parent.mkdir(parents=True)
    locks.lock_path(run_dir).symlink_to(target)
    with pytest.raises(PathError, match="is a link"):
        with locks.hold(run_dir):
            pass
    assert target.read_text() == "keep me"
