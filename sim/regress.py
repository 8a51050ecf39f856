"""The cocotb regression over any list of configurations and simulators, ``jobs`` at a time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from ..designs.generate import generate
from ..designs.registry import Config
from ..designs.schedule import run_longest_first
from .runner import RunResult, check_simulator, run_axis, run_config, verilator_runtime_cached

__all__ = ["regress", "result_line"]


def result_line(r: RunResult) -> str:
    status = "PASS" if r.passed else "FAIL"
    return (f"  {status} {r.module:<36} {r.sim:<9} {r.checked:>6}/{r.vectors} checked, "
            f"{r.mismatches} mismatches, {r.missing} missing, {r.extra} extra, {r.cycles} cycles, "
            f"build {r.build_seconds:.1f} s, run {r.run_seconds:.1f} s"
            + (f" ({r.note})" if r.note else ""))


class _RegressJob:
    """One (configuration, simulator) run: a picklable job for any executor."""

    def __init__(self, build_root: Path, seed: int, coverage: bool, axis: bool, log,
                 sources: Callable[[Config], list[Path]] | None = None):
        self.build_root, self.seed, self.coverage, self.axis = build_root, seed, coverage, axis
        self.log, self.sources = log, sources     # sources: the Verilog shared by simulators

    def __call__(self, run) -> RunResult:
        config, sim = run
        r = (run_axis(config, sim, self.build_root, seed=self.seed) if self.axis else
             run_config(config, sim, self.build_root, seed=self.seed,
                        sources=self.sources(config) if self.sources else None,
                        coverage=self.coverage and sim == "verilator"))
        self.log(result_line(r))
        return r


def regress(configs: list[Config], sims: list[str], build_root: Path, *, seed: int = 1,
            jobs: int = 1, rtl_dir: Path | None = None, coverage: bool = False,
            axis: bool = False, log: Callable[[str], None] = print) -> list[RunResult]:
    """Every configuration on every simulator (one build directory each); results in the order of
    ``configs`` × ``sims``, run longest first. ``rtl_dir``: generate each configuration's Verilog
    and sidecar there, once, inside the jobs (so elaboration overlaps other jobs' C++ builds), and
    simulate that file on every simulator. ``coverage``: the Verilator runs are instrumented for
    line and toggle coverage (``RunResult.coverage_file``; Icarus runs are unchanged).
    ``axis``: every configuration (a datapath) through its AXI4-Stream top and cocotbext-axi
    (``runner.run_axis``) instead."""
    for sim in sims:
        check_simulator(sim)
    runs = [(c, sim) for sim in sims for c in configs]
    sources = None                            # each job generates into its build directory
    if rtl_dir is not None:
        if axis:
            raise ValueError("AXI4-Stream runs generate their own tops; rtl_dir is not for them")
        locks = {c.module_name: threading.Lock() for c in configs}
        generated: dict[str, Path] = {}

        def sources(config: Config):          # a closure with locks: threads only
            with locks[config.module_name]:
                if config.module_name not in generated:
                    generated[config.module_name] = generate(config, Path(rtl_dir))[0]
            return [generated[config.module_name]]

    one = _RegressJob(Path(build_root).resolve(), seed, coverage, axis, log, sources)

    first = []
    if "verilator" in sims and jobs > 1 and not verilator_runtime_cached(coverage):
        # the smallest Verilator build alone first: it compiles the runtime objects that every
        # other build then takes from the cache (instead of each parallel build compiling them)
        small = max((r for r in runs if r[1] == "verilator"), key=lambda r: r[0].work_rank())
        first = [(runs.index(small), one(small))]
        runs_left = [r for r in runs if r is not small]
    else:
        runs_left = runs
    rest = iter(run_longest_first(runs_left, one, jobs, config_of=lambda run: run[0]))
    done = dict(first)
    return [done[k] if k in done else next(rest) for k in range(len(runs))]
