from ann_keras.models import bfloat16


def test_auto_precision_is_bfloat16_only_where_the_hardware_computes_it(monkeypatch):
    monkeypatch.setattr(bfloat16, "_cpu_flags", lambda: {"avx512f", "avx512_bf16"})
    assert bfloat16.native_bfloat16() and bfloat16.auto_precision() == "mixed_bfloat16"
    monkeypatch.setattr(bfloat16, "_cpu_flags", lambda: {"avx512f", "amx_tile"})
    assert not bfloat16.native_bfloat16() and bfloat16.auto_precision() == "float32"   # emulated: slower
    assert bfloat16.auto_precision(gpu=True) == "mixed_bfloat16"
