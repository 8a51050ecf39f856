"""A synthesis sweep over a grid of one design's parameters, libraries and clock periods
(``baps-rtl sweep``): one job per point, submitted through the executor the command chose
(threads, or a Dask cluster: ``designs.schedule``), each cached by content in its own folder
(``synthesize``: a repeated or extended sweep synthesizes only the new points). Writes
``sweep.json``, ``sweep.csv``, ``sweep.md`` and ``sweep.png``."""

from __future__ import annotations

import csv
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..designs.errors import UsageError
from ..designs.files import atomic_path, write_text
from ..designs.registry import Config, get_design, parse_params
from ..designs.schedule import current_executor, run_longest_first
from .flow import check_period, synthesize_for_period
from .libraries import CellLibrary
from .stats import AreaResult
from .synthesize import synthesize

__all__ = ["SweepPoint", "parse_grid", "sweep_points", "run_sweep", "MAX_POINTS"]

MAX_POINTS = 512


@dataclass(frozen=True)
class SweepPoint:
    config: Config
    lib: CellLibrary
    period_ns: float | None


def parse_grid(design_name: str, grid: list[str]) -> dict[str, list[str]]:
    """``["lanes=2,4", "bc=16,32"]`` → {"lanes": ["2", "4"], ...}, checked: the design's own
    parameters, each once, with at least one value (each value is checked by ``sweep_points``)."""
    design = get_design(design_name)
    axes: dict[str, list[str]] = {}
    for item in grid:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise UsageError(f"--grid {item!r} is not of the form NAME=V1,V2,...")
        if key not in design.params.SPEC:
            raise UsageError(f"--grid {item!r}: unknown parameter {key!r} for design "
                             f"{design.name}; allowed: {', '.join(design.params.SPEC)}")
        if key in axes:
            raise UsageError(f"--grid {key!r} is given twice; allowed: one --grid per parameter")
        axes[key] = [v for v in values.split(",") if v]
        if not axes[key]:
            raise UsageError(f"--grid {item!r} has no value; allowed: NAME=V1,V2,...")
    return axes


def sweep_points(design_name: str, axes: dict[str, list[str]], fixed: list[str],
                 libraries: list[CellLibrary], periods: list[float | None]) -> list[SweepPoint]:
    """Every point of the grid: parameter combination × library × period (each combination
    checked by the design's parameters before any job runs)."""
    design = get_design(design_name)
    for period in periods:
        if period is not None:
            for lib in libraries:
                check_period(period, lib)
    combos = list(itertools.product(*[[f"{k}={v}" for v in values] for k, values in axes.items()]))
    total = len(combos) * len(libraries) * len(periods)
    if total > MAX_POINTS:
        raise UsageError(f"the grid has {total} points; allowed: at most {MAX_POINTS} (split it "
                         "into several sweeps: their results are cached and reused)")
    configs = [parse_params(design, list(fixed) + list(combo)) for combo in combos]
    return [SweepPoint(c, lib, period) for c in configs for lib in libraries
            for period in periods]


def _synthesize_point(point: SweepPoint, outdir: Path) -> AreaResult:
    """One point's whole-design row (a job: runs on a thread or a Dask worker)."""
    libdir = Path(outdir) / (point.lib.name if point.period_ns is None
                             else f"{point.lib.name}-{point.period_ns:g}ns")
    rows = (synthesize(point.config, point.lib, libdir) if point.period_ns is None
            else synthesize_for_period(point.config, point.lib, libdir, point.period_ns))
    return next(r for r in rows if r.block is None)


class _PointJob:
    """``_synthesize_point`` with the output folder bound (a picklable callable)."""

    def __init__(self, outdir: Path):
        self.outdir = Path(outdir).resolve()

    def __call__(self, point: SweepPoint) -> AreaResult:
        return _synthesize_point(point, self.outdir)


def run_sweep(design_name: str, axes: dict[str, list[str]], points: list[SweepPoint],
              outdir: Path, jobs: int = 2) -> dict:
    """Synthesize every point (``run_longest_first``: the command's executor); write the table,
    the CSV, the JSON and the plot into ``outdir``; return the JSON data."""
    outdir = Path(outdir)
    t0 = time.monotonic()
    executor = current_executor(jobs)
    rows = run_longest_first(points, _PointJob(outdir), jobs, config_of=lambda p: p.config)
    seconds = time.monotonic() - t0
    table = []
    for point, row in zip(points, rows):
        table.append({**{k: row.params[k] for k in axes}, "library": row.library,
                      "period_ns": point.period_ns, "module": row.module,
                      "area": round(row.area, 2), "area_unit": row.area_unit,
                      "area_ge": round(row.area_ge, 1), "logic_ge": round(row.combinational_ge, 1),
                      "registers_ge": round(row.sequential_ge, 1), "delay_ns": row.delay_ns,
                      "depth": row.depth, "stages": row.stages, "reused": row.reused})
    result = {"design": design_name, "axes": axes, "executor": executor.name,
              "points": len(points), "synthesized": sum(not r["reused"] for r in table),
              "wall_seconds": round(seconds, 1), "rows": table}
    outdir.mkdir(parents=True, exist_ok=True)
    write_text(outdir / "sweep.json", json.dumps(result, indent=2) + "\n")
    with atomic_path(outdir / "sweep.csv") as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    write_text(outdir / "sweep.md", markdown(result))
    _plot(result, outdir / "sweep.png")
    return result


def markdown(result: dict) -> str:
    axes = list(result["axes"])
    timed = any(r["delay_ns"] is not None for r in result["rows"])
    head = axes + ["library", "period (ns)", "module", "area", "total GE", "logic GE",
                   "registers GE", "delay (ns)" if timed else "depth (cells)", "stages", "cached"]
    lines = [f"Sweep of `{result['design']}`: {result['points']} points on {result['executor']}, "
             f"{result['synthesized']} synthesized, the rest reused from the cache; wall "
             f"{result['wall_seconds']:.1f} s.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in result["rows"]:
        timing = r["delay_ns"] if timed else r["depth"]
        lines.append("| " + " | ".join(
            [str(r[a]) for a in axes] + [r["library"], "" if r["period_ns"] is None else
                                         f"{r['period_ns']:g}", r["module"],
                                         f"{r['area']:.0f} {r['area_unit']}",
                                         f"{r['area_ge']:.0f}", f"{r['logic_ge']:.0f}",
                                         f"{r['registers_ge']:.0f}",
                                         "" if timing is None else
                                         (f"{timing:.3f}" if timed else str(timing)),
                                         "" if r["stages"] is None else str(r["stages"]),
                                         "yes" if r["reused"] else "no"]) + " |")
    return "\n".join(lines) + "\n"


def _plot(result: dict, path: Path) -> None:
    """Total GE against the first grid axis, one line per value of the other axes, library and
    period (at most 12 lines)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    axes = list(result["axes"])
    x_axis = axes[0] if axes else None
    lines: dict[str, list] = {}
    for r in result["rows"]:
        label = ", ".join([f"{a}={r[a]}" for a in axes[1:]] + [r["library"]] +
                          ([f"{r['period_ns']:g} ns"] if r["period_ns"] is not None else []))
        lines.setdefault(label, []).append((r[x_axis] if x_axis else 0, r["area_ge"]))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, points in list(lines.items())[:12]:
        xs = [str(x) for x, _ in points]
        ax.plot(xs, [y for _, y in points], marker="o", label=label)
    ax.set_xlabel(x_axis or "")
    ax.set_ylabel("total area (GE)")
    ax.set_title(f"Sweep of {result['design']}" + (" (first 12 lines)" if len(lines) > 12 else ""))
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
