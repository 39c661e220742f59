"""What this CPU can do: its features from /proc/cpuinfo and the measured rate of large GEMMs.

The fp32 roofline is the fastest GEMM any library present reaches on the benchmark's threads: numpy's
BLAS (OpenBLAS or MKL, timed in a child process so that its thread count can be set), TensorFlow's
matmul (oneDNN) and, where it is importable, torch. Each backend's GFLOP/s then reads as a fraction of
what this machine's best GEMM does in the same run, not of a datasheet number, and not of a slow
library's GEMM (TensorFlow's reached 56% of OpenBLAS's on a 2-core Zen 3). The int8 GEMM is ONNX Runtime's
``MatMulInteger`` (uint8 x int8, MLAS: the kernels of int8 ONNX models); bf16 is measured where the CPU
has AVX512-BF16 or AMX.

Times come from a ``Clock``: wall time, or the process's CPU time (with one thread on a machine that
others load, the CPU time is what one image costs; wall time is then mostly waiting).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_INTERESTING = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve",
)  # fmt: skip

CLOCKS = ("wall", "cpu")


@dataclass(frozen=True)
class CpuInfo:
    model: str
    logical_cores: int
    features: tuple[str, ...]  # the interesting ones present, in _INTERESTING order

    @property
    def has_bf16(self) -> bool:
        return "avx512_bf16" in self.features or "amx_bf16" in self.features

    @property
    def has_int8_dot(self) -> bool:
        """VNNI or AMX-INT8: int8 dot products without the int16 intermediate of AVX2's vpmaddubsw."""
        return any(f in self.features for f in ("avx512_vnni", "avx_vnni", "amx_int8"))


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


def clock(kind: str = "wall") -> Callable[[], float]:
    """``time.perf_counter`` or ``time.process_time`` (CPU seconds of every thread of this process)."""
    return time.process_time if kind == "cpu" else time.perf_counter


def _best_of(run: Callable[[], object], repeats: int, now: Callable[[], float]) -> float:
    run()  # warm-up: thread pools, primitive creation, packing
    best = float("inf")
    for _ in range(repeats):
        start = now()
        run()
        best = min(best, now() - start)
    return best


def tensorflow_gemm(dtype: str, n: int, repeats: int, now: Callable[[], float]) -> float:
    import tensorflow as tf

    tf_dtype = {"float32": tf.float32, "bfloat16": tf.bfloat16}[dtype]
    a = tf.cast(tf.random.stateless_uniform((n, n), seed=(1, 2)), tf_dtype)
    b = tf.cast(tf.random.stateless_uniform((n, n), seed=(3, 4)), tf_dtype)
    return 2.0 * n**3 / _best_of(lambda: tf.linalg.matmul(a, b).numpy(), repeats, now) / 1e9


def torch_gemm(dtype: str, n: int, repeats: int, now: Callable[[], float], threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    a = torch.rand(n, n, dtype=getattr(torch, dtype))
    b = torch.rand(n, n, dtype=getattr(torch, dtype))
    return 2.0 * n**3 / _best_of(lambda: torch.mm(a, b), repeats, now) / 1e9


_NUMPY_CHILD = """
import json, sys, time
import numpy as np
n, repeats, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
now = time.process_time if kind == "cpu" else time.perf_counter
rng = np.random.default_rng(0)
a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
a @ b
best = float("inf")
for _ in range(repeats):
    start = now(); a @ b; best = min(best, now() - start)
print(json.dumps(2.0 * n ** 3 / best / 1e9))
"""


def numpy_gemm(n: int, repeats: int, kind: str, threads: int) -> float:
    """numpy's BLAS in a child process whose BLAS threads are set by the usual variables."""
    variables = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
    env = {**os.environ, **{v: str(threads) for v in variables}}
    done = subprocess.run([sys.executable, "-c", _NUMPY_CHILD, str(n), str(repeats), kind], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "numpy GEMM failed")
    return float(json.loads(done.stdout))


def onnxruntime_int8_gemm(n: int, repeats: int, now: Callable[[], float], threads: int) -> float:
    """GOP/s of an n^3 uint8 x int8 -> int32 ``MatMulInteger`` on ONNX Runtime (2 ops per multiply-add)."""
    import numpy as np
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.integers(-64, 64, (n, n), dtype=np.int8), "b")
    node = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
    graph = helper.make_graph(
        [node], "gemm", [helper.make_tensor_value_info("a", TensorProto.UINT8, [n, n])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [n, n])], [weight],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    a = rng.integers(0, 256, (n, n), dtype=np.uint8)
    return 2.0 * n**3 / _best_of(lambda: session.run(None, {"a": a}), repeats, now) / 1e9


@dataclass(frozen=True)
class Gemm:
    """The fastest library's rate for one precision, and every library's rate (or why it was left out)."""

    precision: str
    library: str
    rate: float  # GFLOP/s (GOP/s for int8)
    rates: dict[str, float] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def describe(self, n: int) -> str:
        others = ", ".join(f"{name} {rate:.1f}" for name, rate in self.rates.items())
        gone = "".join(f"; {name}: {why}" for name, why in self.missing.items())
        unit = "GOP/s" if self.precision == "int8" else "GFLOP/s"
        return f"{self.precision} GEMM {n}^3: {self.rate:.1f} {unit} with {self.library} (fastest of: {others}{gone})"


def fastest(precision: str, candidates: dict[str, Callable[[], float]]) -> Gemm:
    """Runs every candidate measurement; the fastest wins. One that cannot run is noted, not fatal."""
    rates, missing = {}, {}
    for name, measure in candidates.items():
        try:
            rates[name] = float(measure())
        except ImportError as error:
            missing[name] = f"not installed ({error.name or error})"
        except (RuntimeError, OSError, ValueError) as error:
            missing[name] = str(error).splitlines()[0] if str(error) else type(error).__name__
    if not rates:
        return Gemm(precision, "none", float("nan"), rates, missing)
    library = max(rates, key=rates.get)
    return Gemm(precision, library, rates[library], rates, missing)


def gemm_candidates(precision: str, n: int, repeats: int, kind: str, threads: int) -> dict[str, Callable[[], float]]:
    """The libraries that can measure a GEMM of ``precision`` ("float32", "bfloat16", "int8")."""
    now = clock(kind)
    if precision == "int8":
        return {"onnxruntime MatMulInteger u8s8": lambda: onnxruntime_int8_gemm(n, repeats, now, threads)}
    candidates = {}
    if precision == "float32":
        candidates["numpy BLAS"] = lambda: numpy_gemm(n, repeats, kind, threads)
    candidates["tensorflow"] = lambda: tensorflow_gemm(precision, n, repeats, now)
    candidates["torch"] = lambda: torch_gemm(precision, n, repeats, now, threads)
    return candidates


def gemm_gflops(dtype: str = "float32", n: int = 4096, repeats: int = 3, threads: int | None = None, kind: str = "wall") -> Gemm:
    """The fastest GEMM of ``dtype`` that the libraries present reach (2 n^3 operations per product)."""
    return fastest(dtype, gemm_candidates(dtype, n, repeats, kind, threads or os.cpu_count() or 1))
