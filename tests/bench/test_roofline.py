import pytest

from animegan.bench.roofline import cpu_info, gemm_gflops

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
    assert info.has_bf16
    plain = cpu_info(_CPUINFO.replace(" avx512_bf16", "").replace(" amx_bf16", ""))
    assert not plain.has_bf16 and "amx_tile" in plain.features
    assert cpu_info("").features == () and cpu_info("").model == "unknown CPU"


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_gemm_rate_is_a_positive_finite_number(dtype):
    rate = gemm_gflops(dtype, n=128, repeats=1)
    assert 0 < rate < 1e6
