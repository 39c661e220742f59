"""What this CPU can do: its features from /proc/cpuinfo and the measured rate of a large GEMM.

The GEMM runs through TensorFlow's matmul (oneDNN, the library Keras' convolutions use) on the
thread count the benchmark uses, so each backend's GFLOP/s reads as a fraction of a rate measured on
the same machine in the same run, not of a datasheet number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

_INTERESTING = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve",
)  # fmt: skip


@dataclass(frozen=True)
class CpuInfo:
    model: str
    logical_cores: int
    features: tuple[str, ...]  # the interesting ones present, in _INTERESTING order

    @property
    def has_bf16(self) -> bool:
        return "avx512_bf16" in self.features or "amx_bf16" in self.features


def cpu_info(cpuinfo: str | None = None) -> CpuInfo:
    """Parses /proc/cpuinfo (or the given text); empty features where it is unavailable."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    model, flags, cores = "unknown CPU", set(), 0
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            cores += 1
        elif key in ("model name", "Model") and model == "unknown CPU":
            model = value.strip()
        elif key in ("flags", "Features"):
            flags.update(value.split())
    return CpuInfo(model, cores, tuple(f for f in _INTERESTING if f in flags))


def gemm_gflops(dtype: str = "float32", n: int = 4096, repeats: int = 3) -> float:
    """Best GFLOP/s of an n x n x n matmul (2 n^3 FLOPs) over ``repeats`` timed runs after a warm-up."""
    import tensorflow as tf

    tf_dtype = {"float32": tf.float32, "bfloat16": tf.bfloat16}[dtype]
    a = tf.cast(tf.random.stateless_uniform((n, n), seed=(1, 2)), tf_dtype)
    b = tf.cast(tf.random.stateless_uniform((n, n), seed=(3, 4)), tf_dtype)
    tf.linalg.matmul(a, b).numpy()  # warm-up: thread pools, oneDNN primitive creation
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best / 1e9
