"""This process's peak resident memory, in MB, for bench/run.py's child processes.

Read from /proc/self/status (VmHWM), not getrusage: ru_maxrss survives
fork and exec, so a child started by bench/run.py would report the parent's
peak whenever that is higher; VmHWM belongs to the program the child runs.
"""

from pathlib import Path


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)   # kB
    raise RuntimeError("no VmHWM in /proc/self/status")
