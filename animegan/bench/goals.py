"""The goals of issue 16, each as a ratio measured in this run, and whether it is met.

1. end to end >= 3x the faster peer on a folder of 512x512 photos (and >= 95% of model-only throughput);
2. int8 >= 1.5x the best float32, at PSNR >= 30 dB against float32;
3. the best float32 >= 75% of the machine's best fp32 GEMM at 512x512;
4. a true roofline: the fastest GEMM library present, every backend against it, the share outside convs.
"""

from __future__ import annotations

from collections.abc import Callable

END_TO_END_SPEEDUP = 3.0
HIDDEN_IO = 0.95
INT8_SPEEDUP = 1.5
INT8_PSNR = 30.0
FLOAT_OF_GEMM = 0.75


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report_goals(results, sizes, gflops, roofs, target, report: Callable[[str], None]) -> dict[int, bool]:
    """Prints goals 2-4 from the backend results; returns {goal: met}."""
    at = f"{target[0]}x{target[1]}"
    met = {}
    floats = [r for r in results if r.precision == "float32"]
    fp32 = roofs["float32"]
    best = min(floats, key=lambda r: r.seconds[target]) if floats else None
    int8s = [r for r in results if r.precision == "int8"]
    if best and int8s:
        lines = []
        for r in int8s:
            speedup = best.seconds[target] / r.seconds[target]
            lines.append((speedup >= INT8_SPEEDUP and r.psnr >= INT8_PSNR, f"{r.name} {speedup:.2f}x at {r.psnr:.1f} dB"))
        met[2] = any(ok for ok, _ in lines)
        report(f"goal 2 (int8 >= {INT8_SPEEDUP}x the best float32 at >= {INT8_PSNR:g} dB, {at}, vs {best.name}): "
               + ", ".join(text for _, text in lines) + f": {verdict(met[2])}")  # fmt: skip
    if best:
        rate = gflops[target] / best.seconds[target]
        met[3] = rate >= FLOAT_OF_GEMM * fp32.rate
        report(f"goal 3 (best float32 >= {FLOAT_OF_GEMM:.0%} of the best fp32 GEMM at {at}): {best.name} {rate:.1f} GFLOP/s "
               f"= {rate / fp32.rate:.0%} of {fp32.rate:.1f} ({fp32.library}): {verdict(met[3])}")  # fmt: skip
    shares = [r for r in results if r.outside_conv == r.outside_conv]
    met[4] = fp32.rate == fp32.rate and len(fp32.rates) >= 1 and len(shares) == len(results)
    libraries = "; ".join(f"{g.precision} from {g.library}" for g in roofs.values())
    report(f"goal 4 (true roofline): {libraries}; every backend against its precision's GEMM; share outside convs "
           f"for {len(shares)} of {len(results)} backends: {verdict(met[4])}")  # fmt: skip
    return met


def report_end_to_end(runs, count: int, model_only_seconds: float | None, report: Callable[[str], None], clock: str = "wall") -> bool:
    """Prints every end-to-end run and goal 1; returns whether it is met.

    ``model_only_seconds`` was timed with ``clock``; it is compared with the end-to-end time of the same
    clock (CPU seconds of the child process for "cpu").
    """
    for run in runs:
        if run.ok:
            report(f"end to end, {count} photos 512x512: {run.name}: {run.wall:.1f} s wall ({count / run.wall:.2f} img/s), {run.cpu:.1f} CPU s")
        else:
            report(f"end to end: {run.name}: {run.detail}")
    ours, peers = runs[0], [r for r in runs[1:] if r.ok]
    if not ours.ok or not peers:
        report("goal 1 (end to end >= 3x the faster peer): not measured")
        return False
    faster = min(peers, key=lambda r: r.wall)
    speedup, cpu_speedup = faster.wall / ours.wall, min(r.cpu for r in peers) / ours.cpu
    hidden = ""
    if model_only_seconds:
        share = (count * model_only_seconds) / (ours.cpu if clock == "cpu" else ours.wall)
        hidden = (f"; end to end = {share:.0%} of the int8 model-only throughput by {'CPU seconds' if clock == 'cpu' else 'wall time'} "
                  f"(goal {HIDDEN_IO:.0%}: {verdict(share >= HIDDEN_IO)})")  # fmt: skip
    met = speedup >= END_TO_END_SPEEDUP
    report(f"goal 1 (end to end >= {END_TO_END_SPEEDUP:g}x the faster peer): {speedup:.2f}x {faster.name} by wall time, "
           f"{cpu_speedup:.2f}x by CPU seconds{hidden}: {verdict(met)}")  # fmt: skip
    return met
