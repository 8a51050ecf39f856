"""The area report: a Markdown table of every design against the smaller FP16 EXP2 baseline, a
per-block table of hierarchical designs, and JSON, CSV and a bar chart."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

from .sta import STA_SETUP
from .stats import AreaResult, baseline
from ..designs.files import atomic_path, write_text

__all__ = ["markdown_table", "block_table", "write_outputs", "write_library_table"]


def markdown_table(results: list[AreaResult]) -> str:
    results = [r for r in results if r.block is None]
    lib = results[0]
    total_base = baseline(results, "area_ge")
    comb_base = baseline(results, "combinational_ge")
    um2 = lib.area_unit == "um2"
    timing = "delay (ns)" if any(r.delay_ns is not None for r in results) else "depth (cells)"
    gate = any(r.gate_level for r in results)
    storage = any(r.storage_bits for r in results)
    period = lib.period_target_ns
    head = ["design", "role", "total GE"] + (["µm²"] if um2 else []) + [
        "registers GE", "logic GE"] + (["storage bits"] if storage else []) + [
        "× FP16 total", "× FP16 logic", "cells", "transistors", "logic transistors",
        timing] + (["stages", f"meets {period:g} ns"] if period else []) + (
        ["netlist sim"] if gate else [])
    lines = [f"Library {lib.library} ({lib.library_description}). "
             f"Ratios against the smaller FP16 baseline: total {total_base.module}, "
             f"logic {comb_base.module}.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(results, key=lambda r: (not r.baseline, r.module)):
        row = [r.module, r.role, f"{r.area_ge:.1f}"] + ([f"{r.area:.0f}"] if um2 else []) + [
            f"{r.sequential_ge:.1f}", f"{r.combinational_ge:.1f}"] + (
            [str(r.storage_bits)] if storage else []) + [
            f"{r.area_ge / total_base.area_ge:.3f}",
            f"{r.combinational_ge / comb_base.combinational_ge:.3f}",
            str(r.num_cells), str(r.transistors), str(r.logic_transistors),
            f"{r.delay_ns:.3f}" if r.delay_ns is not None else str(r.depth)] + (
            ["" if r.stages is None else str(r.stages),
             "yes" if r.delay_ns is not None and r.delay_ns <= period else "NO"]
            if period else []) + ([r.gate_level or "not run"] if gate else [])
        lines.append("| " + " | ".join(row) + " |")
    if any(r.delay_ns is not None for r in results):
        setup = STA_SETUP.replace("no buffer insertion", "buffers and sizing by ABC") if period \
            else STA_SETUP
        lines += ["", f"Timing: {setup}. Not sign-off figures."]
    else:
        lines += ["", "Depth: cells on the longest path between registers and ports (no STA run). "
                      "Open-library numbers are for comparing designs, not sign-off figures."]
    if period:
        lines += ["", f"Every row mapped for a {period:g} ns period (ABC `-D`, buffering and gate "
                      "sizing, inputs driven by BUFX2, outputs loaded by 0.01 pF) with the fewest "
                      "`stages` that meet it, or the most the design has when none does."]
    if storage:
        lines += ["", "Storage bits: the designs' memories (row buffers, link FIFO), counted "
                      "before synthesis maps them to flip-flops (their flip-flops are in the "
                      "registers column)."]
    return "\n".join(lines)


def _bar_chart(results: list[AreaResult], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rs = sorted((r for r in results if r.block is None), key=lambda r: (not r.baseline, r.module))
    names = [r.module for r in rs]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    logic = [r.combinational_ge for r in rs]
    regs = [r.sequential_ge for r in rs]
    ax.barh(names, logic, label="logic", color="#4477aa")
    ax.barh(names, regs, left=logic, label="registers", color="#ccbb44")
    for i, r in enumerate(rs):
        ax.text(r.area_ge, i, f" {r.area_ge:.0f}", va="center", fontsize=8)
    ax.set_xlabel(f"area (GE, {rs[0].library} library)")
    ax.set_xlim(0, max(r.area_ge for r in rs) * 1.12)
    ax.set_title("Synthesized area")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def write_outputs(results: list[AreaResult], outdir: Path) -> dict[str, Path]:
    """``area.json``, ``area.csv``, ``area.md`` and ``area.png`` in ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {k: outdir / f"area.{k}" for k in ("json", "csv", "md", "png")}
    write_text(paths["json"], json.dumps([asdict(r) for r in results], indent=2) + "\n")
    cols = ["module", "block", "design", "role", "library", "area", "area_unit", "area_ge", "sequential_ge",
            "combinational_ge", "storage_bits", "num_cells", "transistors", "logic_transistors", "depth",
            "delay_ns", "period_target_ns", "stages", "gate_level"]
    with atomic_path(paths["csv"]) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in results:
            w.writerow([getattr(r, c) for c in cols])
    blocks = block_table(results)
    write_text(paths["md"], markdown_table(results) + "\n" + (f"\n{blocks}\n" if blocks else ""))
    _bar_chart(results, paths["png"])
    return paths


def block_table(results: list[AreaResult]) -> str:
    """Per-block area of every hierarchical design (GE; share of its top), or "" if none."""
    tops = [r for r in results if r.block is None and any(b.module == r.module and b.block
                                                           for b in results)]
    if not tops:
        return ""
    timing = any(r.delay_ns for r in tops)
    lines = ["Per block (the top synthesized once with its hierarchy kept; each block includes its "
             "submodules):", "",
             "| design | block | total GE | registers GE | logic GE | share of top | cells | "
             "transistors | logic transistors |" + (" delay (ns) |" if timing else ""),
             "|---|---|---|---|---|---|---|---|---|" + ("---|" if timing else "")]
    for top in tops:
        for r in [b for b in results if b.module == top.module and b.block] + [top]:
            lines.append(f"| {r.module} | {r.block or 'top'} | {r.area_ge:.0f} | "
                         f"{r.sequential_ge:.0f} | {r.combinational_ge:.0f} | "
                         f"{100 * r.area_ge / top.area_ge:.1f}% | {r.num_cells} | "
                         f"{r.transistors} | {r.logic_transistors} |"
                         + (f" {r.delay_ns:.3f} |" if timing and r.delay_ns else
                            (" |" if timing else "")))
    return "\n".join(lines)


def write_library_table(runs: list[list[AreaResult]], outdir: Path) -> Path:
    """``libraries.md`` in ``outdir``: every whole design's area in each library of ``runs`` (one
    list of rows per library), in the library's unit and in its NAND2 equivalents."""
    libraries = [rows[0] for rows in runs]
    modules = sorted({r.module: r for rows in runs for r in rows if r.block is None}.values(),
                     key=lambda r: (not r.baseline, r.module))
    head = ["design"] + [f"{lib.library} ({lib.area_unit if lib.area_unit == 'GE' else 'µm²'})"
                         for lib in libraries] + [f"{lib.library} GE" for lib in libraries
                                                  if lib.area_unit != "GE"]
    lines = ["Area by library (same flow and script for every library):", ""]
    lines += [f"- {lib.library}: {lib.library_description}" for lib in libraries]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for module in modules:
        cells = {}
        for rows in runs:
            for r in rows:
                if r.module == module.module and r.block is None:
                    cells[r.library] = r
        row = [module.module] + [f"{cells[lib.library].area:.0f}" if lib.library in cells else ""
                                 for lib in libraries]
        row += [f"{cells[lib.library].area_ge:.0f}" if lib.library in cells else ""
                for lib in libraries if lib.area_unit != "GE"]
        lines.append("| " + " | ".join(row) + " |")
    path = Path(outdir) / "libraries.md"
    write_text(path, "\n".join(lines) + "\n")
    return path
