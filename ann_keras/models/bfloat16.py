"""Whether this machine computes bfloat16 in hardware, and so what `precision = "auto"` means here.

Read from /proc/cpuinfo's flags; no TensorFlow. The model builders resolve
`auto` with it, and results.json records it with the hardware.
"""

from __future__ import annotations

from pathlib import Path

# CPU features that compute bfloat16 in hardware (oneDNN uses them); without one, bfloat16 is emulated.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")


def native_bfloat16(gpu: bool = False) -> bool:
    """Return whether this machine computes bfloat16 in hardware: a GPU, or a CPU with AVX512-BF16 or AMX."""
    return gpu or bool(set(BFLOAT16_FLAGS) & _cpu_flags())


def auto_precision(gpu: bool = False) -> str:
    """Return the precision `auto` means here: mixed_bfloat16 where bfloat16 is native, else float32.

    Emulated bfloat16 is slower than float32: the paper's CNN trained 298
    images/s in mixed_bfloat16 against 756 in float32 on a 2-core Intel Xeon
    with AVX-512 but neither AVX512-BF16 nor AMX (bench/cnn_epoch.py).
    """
    return "mixed_bfloat16" if native_bfloat16(gpu) else "float32"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
