"""Area (and timing) report of every unit against the FP16 EXP2 baselines.

For each configuration: generate Verilog, synthesize it in its own process (``yosys_flow``), and
read area, sequential area, cells by type, the CMOS transistor estimate, logic depth, and, with
OSU018 and OpenSTA, the critical path. Every 8-bit design is shown beside the smaller of the two
FP16 baselines (correctly rounded and faithful ``Exp2FP16``), with ratios of total and of
combinational area (pipeline registers are reported separately).
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..generate import generate
from ..units import UNITS, Config
from .depth import logic_depth
from .libraries import CellLibrary
from .sta import STA_SETUP, critical_path_ns, sta_available
from .yosys_flow import run_in_subprocess, script

__all__ = ["AreaResult", "SynthesisError", "synthesize", "area_report", "baseline_configs",
           "markdown_table", "write_outputs", "synthesize_datapath", "datapath_table"]


class SynthesisError(UsageError):
    """A unit that fails to synthesize, or synthesizes to nothing."""


@dataclass
class AreaResult:
    module: str
    unit: str
    params: dict
    role: str
    library: str
    area_unit: str
    area: float                   # in ``area_unit``
    area_ge: float                # area / NAND2 area
    sequential_ge: float
    combinational_ge: float
    num_cells: int
    cells: dict
    transistors: int
    depth: int                    # cells on the longest register-to-register path
    delay_ns: float | None        # OpenSTA min clock period (osu018 only)
    yosys: str
    script: list = field(default_factory=list)
    netlist: str = ""
    gate_level: str | None = None   # outcome of the netlist simulation, when run


def role(config: Config) -> str:
    if config.unit.name == "exp2_fp16":
        return f"FP16 baseline ({config.params['accuracy']})"
    if config.params.get("impl") == "table":
        return "truth-table floor"
    return "structured"


def baseline_configs() -> list[Config]:
    return UNITS["exp2_fp16"].configs()


def synthesize(config: Config, lib: CellLibrary, outdir: Path) -> AreaResult:
    """Synthesize one configuration into ``outdir/<module>``."""
    work = Path(outdir).resolve() / config.module_name
    vpath, _ = generate(config, work)
    proc = run_in_subprocess(vpath, config.module_name, lib.liberty, work)
    area_json = work / "area.json"
    if proc.returncode != 0 or not area_json.exists():
        raise SynthesisError(f"{config.module_name} failed to synthesize with {lib.name} "
                             f"(exit {proc.returncode}); see {work / 'yosys.log'}")
    stat = json.loads(area_json.read_text())
    design = stat["design"]
    cmos = json.loads((work / "cmos.json").read_text())["design"]
    if design["num_cells"] == 0 or design.get("area", 0) <= 0:
        raise SynthesisError(f"{config.module_name} synthesized to zero cells with {lib.name}: "
                             "the logic was optimized away, which is a bug for this unit")
    sequential_cells = {t for t in design["num_cells_by_type"] if t.startswith(("DFF", "LATCH"))}
    area, seq = float(design["area"]), float(design.get("sequential_area", 0.0))
    transistors = str(cmos["estimated_num_transistors"])
    delay = None
    if lib.name == "osu018" and sta_available():
        delay = critical_path_ns(work / "netlist.v", config.module_name, lib.liberty, work)
    return AreaResult(
        module=config.module_name, unit=config.unit.name, params=config.params, role=role(config),
        library=lib.name, area_unit=lib.area_unit, area=area, area_ge=area / lib.nand2_area,
        sequential_ge=seq / lib.nand2_area, combinational_ge=(area - seq) / lib.nand2_area,
        num_cells=int(design["num_cells"]), cells=dict(design["num_cells_by_type"]),
        transistors=int(transistors.rstrip("+")),
        depth=logic_depth(work / "netlist.json", config.module_name, sequential_cells),
        delay_ns=delay, yosys=stat.get("creator", ""),
        script=script(vpath, config.module_name, lib.liberty, work),
        netlist=str(work / "netlist.v"))


def area_report(configs: list[Config], lib: CellLibrary, outdir: Path, jobs: int = 2) -> list[AreaResult]:
    """Synthesize ``configs`` plus the FP16 baselines (each once), ``jobs`` at a time."""
    names = {c.module_name for c in configs}
    todo = [c for c in baseline_configs() if c.module_name not in names] + list(configs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda c: synthesize(c, lib, outdir), todo))


def _baseline(results: list[AreaResult], metric: str) -> AreaResult:
    base = [r for r in results if r.unit == "exp2_fp16"]
    return min(base, key=lambda r: getattr(r, metric))


def markdown_table(results: list[AreaResult]) -> str:
    lib = results[0]
    total_base = _baseline(results, "area_ge")
    comb_base = _baseline(results, "combinational_ge")
    um2 = lib.area_unit == "um2"
    timing = "delay (ns)" if any(r.delay_ns is not None for r in results) else "depth (cells)"
    gate = any(r.gate_level for r in results)
    head = ["design", "role", "total GE"] + (["µm²"] if um2 else []) + [
        "registers GE", "logic GE", "× FP16 total", "× FP16 logic", "cells", "transistors",
        timing] + (["netlist sim"] if gate else [])
    lines = [f"Library {lib.library} ({'OSU 0.18 µm, GE = µm² / 24' if um2 else 'generic, areas in NAND2 equivalents'}). "
             f"Ratios against the smaller FP16 baseline: total {total_base.module}, "
             f"logic {comb_base.module}.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(results, key=lambda r: (r.unit != "exp2_fp16", r.module)):
        row = [r.module, r.role, f"{r.area_ge:.1f}"] + ([f"{r.area:.0f}"] if um2 else []) + [
            f"{r.sequential_ge:.1f}", f"{r.combinational_ge:.1f}",
            f"{r.area_ge / total_base.area_ge:.3f}",
            f"{r.combinational_ge / comb_base.combinational_ge:.3f}",
            str(r.num_cells), str(r.transistors),
            f"{r.delay_ns:.3f}" if r.delay_ns is not None else str(r.depth)] + (
            [r.gate_level or "not run"] if gate else [])
        lines.append("| " + " | ".join(row) + " |")
    if any(r.delay_ns is not None for r in results):
        lines += ["", f"Timing: {STA_SETUP}. Not sign-off figures."]
    else:
        lines += ["", "Depth: cells on the longest path between registers and ports (no STA run). "
                      "Open-library numbers are for comparing designs, not sign-off figures."]
    return "\n".join(lines)


def _bar_chart(results: list[AreaResult], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rs = sorted(results, key=lambda r: (r.unit != "exp2_fp16", r.module))
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
    ax.set_title("EXP2 units: synthesized area")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(results: list[AreaResult], outdir: Path) -> dict[str, Path]:
    """``area.json``, ``area.csv``, ``area.md`` and ``area.png`` in ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {k: outdir / f"area.{k}" for k in ("json", "csv", "md", "png")}
    paths["json"].write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    cols = ["module", "unit", "role", "library", "area", "area_unit", "area_ge", "sequential_ge",
            "combinational_ge", "num_cells", "transistors", "depth", "delay_ns", "gate_level"]
    with open(paths["csv"], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in results:
            w.writerow([getattr(r, c) for c in cols])
    paths["md"].write_text(markdown_table(results) + "\n")
    _bar_chart(results, paths["png"])
    return paths


def synthesize_datapath(size: str, lib: CellLibrary, outdir: Path) -> list[AreaResult]:
    """The BapsDatapath top at ``size``, synthesized once with its hierarchy kept: one row per
    block (Rescale, link, SoftmaxLanes; each including its submodules) and one for the top."""
    from ..units import datapath_blocks
    top = next(b for b in datapath_blocks(size) if b.unit.name == "baps_datapath")
    work = Path(outdir).resolve() / top.module_name
    vpath, _ = generate(top, work)
    proc = run_in_subprocess(vpath, top.module_name, lib.liberty, work, flatten=False)
    if proc.returncode != 0 or not (work / "area.json").exists():
        raise SynthesisError(f"{top.module_name} failed to synthesize with {lib.name} "
                             f"(exit {proc.returncode}); see {work / 'yosys.log'}")
    modules = json.loads((work / "area.json").read_text())["modules"]
    delay = None
    if lib.name == "osu018" and sta_available():
        delay = critical_path_ns(work / "netlist.v", top.module_name, lib.liberty, work)
    rows = []
    for name, stat in modules.items():
        block = name.lstrip("\\").split(".")
        if len(block) > 2:
            continue                                  # a block's own submodule (the FIFO)
        block_name = block[1] if len(block) == 2 else "baps_datapath"
        if stat.get("area", 0) <= 0:
            raise SynthesisError(f"{name} synthesized to zero cells with {lib.name}")
        area, seq = float(stat["area"]), float(stat.get("sequential_area", 0.0))
        rows.append(AreaResult(
            module=f"{block_name}_{size}", unit=block_name, params=top.params,
            role=f"BAPS datapath block ({size})", library=lib.name, area_unit=lib.area_unit,
            area=area, area_ge=area / lib.nand2_area, sequential_ge=seq / lib.nand2_area,
            combinational_ge=(area - seq) / lib.nand2_area, num_cells=int(stat["num_cells"]),
            cells=dict(stat.get("num_cells_by_type", {})), transistors=0, depth=0,
            delay_ns=delay if block_name == "baps_datapath" else None,
            yosys=json.loads((work / "area.json").read_text()).get("creator", ""),
            script=script(vpath, top.module_name, lib.liberty, work, flatten=False),
            netlist=str(work / "netlist.v")))
    order = {"rescale": 0, "link": 1, "lanes": 2, "baps_datapath": 3}
    return sorted(rows, key=lambda r: order.get(r.unit, 9))


def datapath_table(rows: list[AreaResult]) -> str:
    """Per-block breakdown of the datapath sizes (GE; share of the top)."""
    lines = ["| size | block | total GE | registers GE | logic GE | share of top |"
             + (" delay (ns) |" if any(r.delay_ns for r in rows) else ""),
             "|---|---|---|---|---|---|" + ("---|" if any(r.delay_ns for r in rows) else "")]
    for r in rows:
        size = r.module.rsplit("_", 1)[1]
        top = next(t for t in rows if t.unit == "baps_datapath" and t.module.endswith(size))
        lines.append(f"| {size} ({r.params['br']}×{r.params['bc']}, {r.params['lanes']} lanes) | "
                     f"{r.unit} | {r.area_ge:.0f} | {r.sequential_ge:.0f} | {r.combinational_ge:.0f}"
                     f" | {100 * r.area_ge / top.area_ge:.1f}% |"
                     + (f" {r.delay_ns:.3f} |" if r.delay_ns else (" |" if any(x.delay_ns for x in rows) else "")))
    return "\n".join(lines)
