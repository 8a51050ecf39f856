"""The area flow of the command line: synthesize configurations (plus the FP16 baselines), check
each netlist by simulation when asked, write the report, and check the area bounds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..designs.registry import Config
from .bounds import check_bounds, load_bounds
from .gate_level import check_netlist, gate_level_simulator
from .libraries import get_library
from .report import write_outputs
from .stats import AreaResult
from .synthesize import synthesize_all, with_baselines

__all__ = ["AreaRun", "area_flow"]


@dataclass
class AreaRun:
    results: list[AreaResult]
    paths: dict
    bound_problems: list[str]
    netlist_failures: int
    note: str = ""


def area_flow(configs: list[Config], lib_name: str, outdir: Path, *, jobs: int = 2,
              check_netlists: bool = False) -> AreaRun:
    outdir = Path(outdir)
    lib = get_library(lib_name, outdir / "cells")
    results = synthesize_all(configs, lib, outdir / lib.name, jobs)
    failures, note = 0, ""
    if check_netlists:
        sim = gate_level_simulator(lib)
        if sim is None:
            note = (f"netlist simulation skipped: {lib.name} cell models need "
                    f"{' or '.join(lib.gate_simulators)} (make system-extras)")
        else:
            by_module = {c.module_name: c for c in with_baselines(configs)}
            whole = sorted((r for r in results if r.block is None and r.module in by_module),
                           key=lambda r: by_module[r.module].work_rank())     # longest first

            def gate(r):
                run = check_netlist(by_module[r.module], lib, r, outdir / "gate-level", sim)
                r.gate_level = (f"{'pass' if run.passed else 'FAIL'} {run.checked}/{run.vectors} "
                                f"({sim})")
                return run.passed
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                failures = sum(not ok for ok in pool.map(gate, whole))
    paths = write_outputs(results, outdir / lib.name)
    problems = check_bounds(results, load_bounds()) if lib.name == "generic" else []
    return AreaRun(results, paths, problems, failures, note)
