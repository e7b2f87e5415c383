"""bench/cnn_kernels.py: reading oneDNN's verbose log into time and FLOP/s per kind of kernel."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import cnn_kernels  # noqa: E402

SHAPE = "mb1024_ic128oc128_ih7oh7kh3sh1dh0ph1_iw7ow7kw3sw1dw0pw1"


def line(stamp, kind, implementation, propagation, shape, milliseconds):
    return (f"onednn_verbose,v1,{stamp},primitive,exec,cpu,{kind},{implementation},{propagation},"
            f"src:bf16::blocked:acdb::f0,,alg:convolution_direct,{shape},{milliseconds}")


def test_convolution_flops_are_counted_from_the_problem_text():
    assert cnn_kernels.convolution_flops(SHAPE) == 2 * 1024 * 7 * 7 * 128 * 128 * 9
    # Grouped and non-square: channels per group, width and height apart.
    grouped = "mb2_g4ic8oc8_ih5oh5kh3sh1dh0ph1_iw6ow4kw1sw1dw0pw0"
    assert cnn_kernels.convolution_flops(grouped) == 2 * 2 * 5 * 4 * 8 * 8 * 3 // 4
    assert cnn_kernels.convolution_flops("4x4x3x3") == 0


def test_summary_sums_by_kind_within_the_timed_window_only():
    log = [
        line(100.0, "convolution", "brg_conv_fwd:avx10_1_512_amx", "forward_training", SHAPE, 50.0),  # warm-up
        line(1000.0, "convolution", "brg_conv_fwd:avx10_1_512_amx", "forward_training", SHAPE, 10.0),
        line(1001.0, "convolution", "brg_conv_bwd_w:avx10_1_512_amx", "backward_weights", SHAPE, 30.0),
        line(1002.0, "convolution", "brg_conv_bwd_d:avx10_1_512_amx", "backward_data", SHAPE, 20.0),
        line(1003.0, "batch_normalization", "bnorm_jit:avx512_core_bf16", "backward", "mb1024ic128ih7iw7", 4.0),
        line(1004.0, "reorder", "jit:uni", "undef", "128x128x3x3", 1.0),
        "onednn_verbose,v1,primitive,info,template:timestamp,operation,engine",
        "a line of TensorFlow's own",
    ]
    totals = cnn_kernels.summarise(log, 500.0, 2000.0)
    shapes = totals.pop("shapes")
    assert totals["convolution forward"] == {"ms": 10.0, "calls": 1, "flops": cnn_kernels.convolution_flops(SHAPE)}
    assert totals["convolution backward weights"]["ms"] == 30.0
    assert totals["convolution backward data"]["ms"] == 20.0
    assert totals["batch normalisation"]["calls"] == 1 and totals["batch normalisation"]["flops"] == 0
    assert totals["layout reorders"]["ms"] == 1.0
    assert sum(t["ms"] for t in totals.values()) == pytest.approx(65.0)
    assert shapes[("convolution backward weights", SHAPE)]["implementation"] == "brg_conv_bwd_w:avx10_1_512_amx"
