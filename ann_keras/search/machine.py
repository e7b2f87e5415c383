"""What a run ran on: the hardware, the package versions and the source's git commit.

Recorded in results.json so that every time and accuracy in a report says
where it was measured. No TensorFlow here: the GPUs are passed in.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from ..models.bfloat16 import native_bfloat16

PACKAGES = ("ann-keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch", "keras", "keras-tuner", "numpy",
            "scikit-learn", "pandas", "matplotlib")


def usable_cpus() -> int:
    """Return how many cores this process may run on (its affinity mask, where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def environment(gpus: list[str] | None = None, backend: str = "tensorflow") -> dict:
    """Return the Keras backend, package versions and the hardware, for the report's summary."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {
        "backend": backend,
        "versions": versions,
        "hardware": {
            "machine": platform.machine(),
            "system": f"{platform.system()} {platform.release()}",
            "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": usable_cpus(),
            "memory_gib": _memory_gib(),
            "gpus": list(gpus or []),
            "bfloat16": native_bfloat16(bool(gpus)),
        },
        "argv": list(sys.argv),
        "source": source_revision(),
    }


def source_revision() -> dict:
    """Return the git commit of the ann-keras source that ran, and whether it had local changes.

    Empty when the package is not a git checkout (an installed wheel): the
    version number is then what identifies the code.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return {}
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                  "ann_keras", "tuning"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit, "local_changes": bool(changed)}


def _cpu_model() -> str:
    try:
        named = cpu_name(Path("/proc/cpuinfo").read_text())
    except OSError:
        named = ""
    return named or platform.processor() or "unknown"


def cpu_name(cpuinfo: str) -> str:
    """Return the processor's name from /proc/cpuinfo's text, with its x86 family and model numbers.

    A virtual machine often shows only "AMD EPYC": the family and model
    numbers still tell its generations apart (family 25 is Zen 3 or Zen 4,
    told apart by the model, family 26 Zen 5), and the same recipe's minutes
    per seed differed by a third between two of them.
    """
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name", "")
    if name and fields.get("cpu family") and fields.get("model"):
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None
