"""The cocotb regression over any list of configurations and simulators, ``jobs`` at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..designs.registry import Config
from .runner import RunResult, check_simulator, run_config

__all__ = ["regress", "result_line"]


def result_line(r: RunResult) -> str:
    status = "PASS" if r.passed else "FAIL"
    return (f"  {status} {r.module:<36} {r.sim:<9} {r.checked:>6}/{r.vectors} checked, "
            f"{r.mismatches} mismatches, {r.missing} missing, {r.extra} extra, {r.cycles} cycles, "
            f"build {r.build_seconds:.1f} s, run {r.run_seconds:.1f} s"
            + (f" ({r.note})" if r.note else ""))


def regress(configs: list[Config], sims: list[str], build_root: Path, *, seed: int = 1,
            jobs: int = 1, rtl_dir: Path | None = None,
            log: Callable[[str], None] = print) -> list[RunResult]:
    """Every configuration on every simulator (one build directory each); results in the order of
    ``configs`` × ``sims``, run longest first. ``rtl_dir``: Verilog already generated there
    (``<module>.v``) is simulated instead of generating it again."""
    for sim in sims:
        check_simulator(sim)
    runs = [(c, sim) for sim in sims for c in configs]
    ranks = {c.module_name: c.work_rank() for c in configs}
    order = sorted(range(len(runs)), key=lambda k: ranks[runs[k][0].module_name])

    def one(k):
        config, sim = runs[k]
        given = rtl_dir and Path(rtl_dir) / f"{config.module_name}.v"
        r = run_config(config, sim, build_root, seed=seed,
                       sources=[given] if given and given.exists() else None)
        log(result_line(r))
        return k, r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = dict(pool.map(one, order))
    return [done[k] for k in range(len(runs))]
