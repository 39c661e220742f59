import pytest

from animegan.bench.roofline import Gemm, cpu_info, fastest, gemm_gflops, onnxruntime_int8_gemm, clock

_CPUINFO = """processor\t: 0
model name\t: Example CPU @ 2.0GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile amx_bf16
processor\t: 1
model name\t: Example CPU @ 2.0GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile amx_bf16
"""


def test_cpu_features_and_bf16_support_are_read_from_cpuinfo():
    info = cpu_info(_CPUINFO)
    assert info.model == "Example CPU @ 2.0GHz" and info.logical_cores == 2
    assert info.features == ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")
    assert info.has_bf16 and not info.has_int8_dot
    plain = cpu_info(_CPUINFO.replace(" avx512_bf16", "").replace(" amx_bf16", ""))
    assert not plain.has_bf16 and "amx_tile" in plain.features
    assert cpu_info(_CPUINFO.replace("fma", "fma avx512_vnni")).has_int8_dot
    assert cpu_info("").features == () and cpu_info("").model == "unknown CPU"


def test_the_roofline_is_the_fastest_library_and_missing_ones_are_noted():
    def not_installed():
        raise ImportError("no torch", name="torch")

    def broken():
        raise RuntimeError("BLAS crashed\nmore")

    gemm = fastest("float32", {"numpy BLAS": lambda: 145.0, "tensorflow": lambda: 83.5, "torch": not_installed, "other": broken})
    assert (gemm.library, gemm.rate) == ("numpy BLAS", 145.0)
    assert gemm.rates == {"numpy BLAS": 145.0, "tensorflow": 83.5}
    assert gemm.missing == {"torch": "not installed (torch)", "other": "BLAS crashed"}
    text = gemm.describe(4096)
    assert text.startswith("float32 GEMM 4096^3: 145.0 GFLOP/s with numpy BLAS") and "tensorflow 83.5" in text
    assert fastest("float32", {"tensorflow": lambda: 50.0, "torch": lambda: 60.0}).library == "torch"
    nothing = fastest("bfloat16", {"torch": not_installed})
    assert nothing.library == "none" and nothing.rate != nothing.rate
    assert "GOP/s" in Gemm("int8", "onnxruntime", 200.0).describe(64)


@pytest.mark.parametrize("kind", ["wall", "cpu"])
def test_every_library_present_measures_a_positive_rate(kind):
    gemm = gemm_gflops("float32", n=128, repeats=1, threads=1, kind=kind)
    assert {"numpy BLAS", "tensorflow"} <= set(gemm.rates) and all(0 < r < 1e6 for r in gemm.rates.values())
    assert gemm.rate == max(gemm.rates.values())
    bf16 = gemm_gflops("bfloat16", n=64, repeats=1, threads=1)
    assert 0 < bf16.rates["tensorflow"] < 1e6


def test_int8_gemm_runs_on_onnxruntime():
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    assert 0 < onnxruntime_int8_gemm(64, 1, clock("wall"), 1) < 1e6
