"""The area flow of the command line: synthesize configurations (plus the FP16 baselines), check
each netlist by simulation when asked, write the report, and check the area bounds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..designs.registry import Config
from ..designs.schedule import run_longest_first
from .bounds import check_bounds, load_bounds
from .gate_level import check_netlist, gate_level_simulator
from .libraries import get_library
from .report import write_outputs
from .stats import AreaResult
from .synthesize import synthesize, with_baselines

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
    """Synthesize ``configs`` and the FP16 baselines with ``lib_name``; with ``check_netlists``,
    simulate each whole-design netlist right after its synthesis (one job per configuration,
    longest first, so simulations overlap the remaining syntheses)."""
    outdir = Path(outdir)
    lib = get_library(lib_name, outdir / "cells")
    sim, note = None, ""
    if check_netlists:
        sim = gate_level_simulator(lib)
        if sim is None:
            note = (f"netlist simulation skipped: {lib.name} cell models need "
                    f"{' or '.join(lib.gate_simulators)} (make system-extras)")

    def one(config: Config) -> tuple[list[AreaResult], bool]:
        rows = synthesize(config, lib, outdir / lib.name)
        if sim is None:
            return rows, True
        [whole] = [r for r in rows if r.block is None]
        run = check_netlist(config, lib, whole, outdir / "gate-level", sim)
        whole.gate_level = f"{'pass' if run.passed else 'FAIL'} {run.checked}/{run.vectors} ({sim})"
        return rows, run.passed

    done = run_longest_first(with_baselines(configs), one, jobs)
    results = [r for rows, _ in done for r in rows]
    failures = sum(not passed for _, passed in done)
    paths = write_outputs(results, outdir / lib.name)
    problems = check_bounds(results, load_bounds()) if lib.name == "generic" else []
    return AreaRun(results, paths, problems, failures, note)
