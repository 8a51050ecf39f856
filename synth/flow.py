"""The area flow of the command line: synthesize configurations (plus the FP16 baselines), check
each netlist by simulation when asked, write the report, and check the area bounds."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..designs.registry import Config
from ..designs.schedule import run_longest_first
from ..designs.errors import UsageError
from .bounds import check_bounds, load_bounds
from .gate_level import check_netlist, gate_level_simulator
from .libraries import CellLibrary, resolve_library
from .report import write_outputs
from .sta import sta_available
from .stats import AreaResult
from .synthesize import synthesize, with_baselines
from .user_rtl import UserDatapath, UserRtl

__all__ = ["AreaRun", "area_flow", "synthesize_for_period", "check_period"]


def check_period(period_ns, lib: CellLibrary) -> None:
    """``UsageError`` unless ``period_ns`` is a positive number and ``lib`` can be timed."""
    if not isinstance(period_ns, (int, float)) or not 0 < period_ns <= 1000:
        raise UsageError(f"--period {period_ns!r} is not allowed; allowed: a clock period in ns, "
                         "0 < NS ≤ 1000")
    if not lib.timed or lib.timing_driver is None:
        raise UsageError(f"--period needs a library with timing and a buffer cell; {lib.name!r} "
                         f"has {'no buffer' if lib.timed else 'no timing'}; allowed: --lib "
                         "osu018, or --liberty FILE with timing arcs")
    if not sta_available():
        raise UsageError("--period needs OpenSTA (`sta`), which is not installed; "
                         "install it with `make system-extras`")


def synthesize_for_period(config: Config, lib: CellLibrary, outdir: Path,
                          period_ns: float) -> list[AreaResult]:
    """The fewest ``stages`` (from the configuration's own value up) whose synthesis, mapped for
    ``period_ns``, meets it in OpenSTA: that synthesis's rows, or the most stages' rows when
    even those miss it (their ``delay_ns`` says by how much). The fewest and the most stages are
    tried first, then a bisection (assuming that meeting the period is monotonic in ``stages``:
    a cut only splits paths, though ABC's mapping can move a delay by a few percent). A design
    without a ``stages`` parameter is synthesized once."""
    spec = config.design.params.SPEC.get("stages")
    if spec is None or isinstance(config, UserDatapath):   # a user's RTL has its own cuts
        return synthesize(config, lib, outdir, period_ns=period_ns)
    tried: dict[int, list[AreaResult]] = {}

    def meets(stages: int) -> bool:
        if stages not in tried:
            trial = Config(config.design, dataclasses.replace(config.params, stages=stages))
            tried[stages] = synthesize(trial, lib, outdir, period_ns=period_ns)
        [whole] = [r for r in tried[stages] if r.block is None]
        return whole.delay_ns is not None and whole.delay_ns <= period_ns

    lo, hi = getattr(config.params, "stages", 0), spec.hi
    if meets(lo):
        return tried[lo]
    if not meets(hi):
        return tried[hi]
    while lo < hi:                                    # meets(hi) holds; find the first
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid + 1
    return tried[hi]


@dataclass
class AreaRun:
    results: list[AreaResult]
    paths: dict
    bound_problems: list[str]
    netlist_failures: int
    note: str = ""


def area_flow(configs: list[Config], library: str | Path, outdir: Path, *, jobs: int = 2,
              check_netlists: bool = False, period_ns: float | None = None,
              netlist_inputs=None) -> AreaRun:
    """Synthesize ``configs`` and the FP16 baselines with ``library`` (a name in ``LIBRARIES``
    or a user's Liberty file, ``resolve_library``); with ``check_netlists``,
    simulate each whole-design netlist right after its synthesis on its golden stimulus, or on
    ``netlist_inputs(config)`` when given and not None (one job per configuration,
    longest first, so simulations overlap the remaining syntheses). ``period_ns``: every row
    mapped for that period, each design with the fewest stages that meet it
    (``synthesize_for_period``), written under ``outdir/<lib>-<period>ns``."""
    outdir = Path(outdir).resolve()           # jobs may run in other processes (Dask workers)
    lib = resolve_library(library, outdir / "cells")
    if period_ns is not None:
        check_period(period_ns, lib)
    libdir = outdir / (lib.name if period_ns is None else f"{lib.name}-{period_ns:g}ns")
    sim, note = None, ""
    if check_netlists:
        sim = gate_level_simulator(lib)
        if sim is None:
            note = (f"netlist simulation skipped: {lib.name} cell models need "
                    f"{' or '.join(lib.gate_simulators)} (make system-extras)")

    def one(config: Config) -> tuple[list[AreaResult], bool]:
        rows = (synthesize(config, lib, libdir) if period_ns is None
                else synthesize_for_period(config, lib, libdir, period_ns))
        if sim is None or isinstance(config, UserRtl):     # no golden model knows user RTL
            return rows, True
        [whole] = [r for r in rows if r.block is None]
        if whole.stages is not None and whole.stages != getattr(config.params, "stages", None):
            config = Config(config.design, dataclasses.replace(config.params, stages=whole.stages))
        inputs = netlist_inputs(config) if netlist_inputs else None
        run = check_netlist(config, lib, whole, outdir / "gate-level", sim, inputs=inputs)
        whole.gate_level = f"{'pass' if run.passed else 'FAIL'} {run.checked}/{run.vectors} ({sim})"
        return rows, run.passed

    done = run_longest_first(with_baselines(configs), one, jobs)
    results = [r for rows, _ in done for r in rows]
    failures = sum(not passed for _, passed in done)
    paths = write_outputs(results, libdir)
    ours = [r for r in results if r.role != UserRtl.ROLE]        # a user's RTL has no bound
    problems = check_bounds(ours, load_bounds()) if lib.name == "generic" else []
    return AreaRun(results, paths, problems, failures, note)
