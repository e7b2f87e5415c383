import subprocess
import sys

import pytest

from ann_keras.search import quiet

NOISE = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
         "I0000 00:00:1796398284.434347    7239 port.cc:153] oneDNN custom operations are on. You may see ...")


def test_the_start_up_lines_are_noise_and_nothing_else_is():
    assert all(quiet.is_noise(line) for line in NOISE)
    assert not any(quiet.is_noise(line) for line in (
        "E0000 00:00:1.0 1 cuda_dnn.cc:8579] Unable to register cuDNN factory", "Traceback (most recent call last):",
        "data: digits (sklearn): 192 train", "In I0000 the middle"))


def test_filtered_drops_the_start_up_lines_written_to_the_descriptor_and_keeps_the_rest_in_order():
    code = ("import os, sys\n"
            "from ann_keras.search import quiet\n"
            "print('before', file=sys.stderr, flush=True)\n"
            "with quiet.filtered():\n"
            f"    os.write(2, {(NOISE[0] + chr(10)).encode()!r})\n"
            "    print('a warning of Python', file=sys.stderr, flush=True)\n"
            f"    os.write(2, {NOISE[1].encode()[:30]!r}); os.write(2, {(NOISE[1].encode()[30:] + b'x' * 70000)!r})\n"
            "    os.write(2, b'\\na last line without its newline')\n"
            "print('after', file=sys.stderr, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 0 and not done.stdout
    # A last line left without its newline passes on as written
    assert lines == ["before", "a warning of Python", "a last line without its newlineafter"]


@pytest.mark.slow
def test_the_training_stack_starts_without_tensorflows_start_up_lines():
    code = "from ann_keras import commands\ncommands._import_training_stack()\nprint('ready')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == "ready\n", done.stderr
    assert not any(quiet.is_noise(line) for line in done.stderr.splitlines()), done.stderr
