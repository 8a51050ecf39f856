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
            jobs: int = 1, log: Callable[[str], None] = print) -> list[RunResult]:
    """Every configuration on every simulator (one build directory each); results in order."""
    for sim in sims:
        check_simulator(sim)
    runs = [(c, sim) for sim in sims for c in configs]

    def one(run):
        r = run_config(run[0], run[1], build_root, seed=seed)
        log(result_line(r))
        return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, runs))
