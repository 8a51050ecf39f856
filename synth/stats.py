"""Area statistics of one synthesis run: ``AreaResult`` rows read from Yosys ``stat -json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..designs.errors import ToolError
from ..designs.registry import Config
from .depth import logic_depth
from .libraries import CellLibrary
from .user_rtl import UserRtl

__all__ = ["AreaResult", "SynthesisError", "read_flat", "read_hierarchy", "baseline"]


class SynthesisError(ToolError):
    """A design that fails to synthesize, or synthesizes to nothing."""


@dataclass
class AreaResult:
    module: str
    design: str
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
    transistors: int              # CMOS estimate (abc -g cmos2), submodules included
    logic_transistors: int        # the same without the flip-flops
    depth: int | None             # cells on the longest register-to-register path (None: a block)
    delay_ns: float | None        # OpenSTA min clock period (a library with timing)
    yosys: str
    script: list = field(default_factory=list)
    netlist: str = ""
    block: str | None = None      # a submodule of a hierarchical design (None: the whole design)
    baseline: bool = False        # an FP16 EXP2 baseline (the denominator of every ratio)
    gate_level: str | None = None   # outcome of the netlist simulation, when run
    storage_bits: int = 0         # bits of the design's memories (mapped to flip-flops here)
    period_target_ns: float | None = None   # the clock period ABC mapped for (None: area)
    stages: int | None = None     # the design's ``stages`` parameter, when it has one
    library_description: str = ""  # the library and its area source, as the report names it
    reused: bool = False          # the synthesis folder held this very run: not run again


def _row(config: Config, lib: CellLibrary, stat: dict, module: str, **extra) -> AreaResult:
    extra.setdefault("stages", getattr(config.params, "stages", None))
    if stat.get("area", 0) <= 0:
        raise SynthesisError(f"{module} synthesized to zero cells with {lib.name}: the logic was "
                             "optimized away, which is a bug for this design")
    area, seq = float(stat["area"]), float(stat.get("sequential_area", 0.0))
    return AreaResult(
        module=module, design=config.name, params=config.params.as_dict(), role=config.role,
        library=lib.name, area_unit=lib.area_unit, area=area, area_ge=area / lib.nand2_area,
        sequential_ge=seq / lib.nand2_area, combinational_ge=(area - seq) / lib.nand2_area,
        num_cells=int(stat["num_cells"]), cells=dict(stat.get("num_cells_by_type", {})),
        baseline=config.design.baseline, library_description=lib.description, **extra)


def _transistors(stat: dict) -> int:
    return int(str(stat.get("estimated_num_transistors", 0)).rstrip("+"))


def _storage_bits(work: Path) -> dict[tuple, int]:
    """Memory bits per module path (``storage.json``: the design as read, before mapping)."""
    modules = json.loads((work / "storage.json").read_text())["modules"]
    return {tuple(name.lstrip("\\").split(".")): int(s.get("num_memory_bits", 0))
            for name, s in modules.items()}


def _storage_under(storage: dict[tuple, int], path: tuple) -> int:
    return sum(bits for p, bits in storage.items() if p[:len(path)] == path)


def read_flat(config: Config, lib: CellLibrary, work: Path, delay, script) -> AreaResult:
    """The row of a flattened synthesis in ``work`` (area.json, cmos.json, netlist.json)."""
    stat = json.loads((work / "area.json").read_text())
    design = stat["design"]
    cmos = json.loads((work / "cmos.json").read_text())["design"]
    logic = json.loads((work / "cmos_logic.json").read_text())["design"]
    sequential = lib.sequential_cells
    row = _row(config, lib, design, config.module_name, transistors=_transistors(cmos),
               logic_transistors=_transistors(logic), depth=0,
               delay_ns=delay, yosys=stat.get("creator", ""), script=script,
               netlist=str(work / "netlist.v"),
               # a user's design is all its own modules, whatever their names
               storage_bits=_storage_under(_storage_bits(work), () if config.role == UserRtl.ROLE
                                           else (config.module_name,)))
    row.depth = logic_depth(work / "netlist.json", config.module_name, sequential)
    return row


def read_hierarchy(config: Config, lib: CellLibrary, work: Path, delay, script) -> list[AreaResult]:
    """One row per direct submodule (each including its own submodules) and one for the top, from
    a synthesis that kept the hierarchy. Cells and transistors include submodules; the logic depth
    is measured on the flattened netlist for the top only (a block's ports are not registers)."""
    stat = json.loads((work / "area.json").read_text())
    cmos = json.loads((work / "cmos.json").read_text())["modules"]
    logic = json.loads((work / "cmos_logic.json").read_text())["modules"]
    paths = {name: tuple(name.lstrip("\\").split(".")) for name in stat["modules"]}
    modules = {".".join(p) for p in paths.values()}      # instance "cells" of a submodule
    sequential = lib.sequential_cells
    storage = _storage_bits(work)
    rows = []
    for name, path in paths.items():
        if len(path) > 2:
            continue                                  # a block's own submodule (e.g. a FIFO)
        inside = [stat["modules"][n] for n, p in paths.items() if p[:len(path)] == path]
        cells: dict[str, int] = {}
        for s in inside:
            for t, k in s.get("num_cells_by_type", {}).items():
                if t.lstrip("\\") not in modules:
                    cells[t] = cells.get(t, 0) + k
        block = path[1] if len(path) == 2 else None
        totals = dict(stat["modules"][name], num_cells=sum(cells.values()),
                      num_cells_by_type=cells)
        depth = (logic_depth(work / "netlist_flat.json", config.module_name, sequential)
                 if block is None else None)
        rows.append(_row(config, lib, totals, config.module_name,
                         transistors=_transistors(cmos[name]),
                         logic_transistors=_transistors(logic[name]),
                         depth=depth, delay_ns=delay if block is None else None,
                         yosys=stat.get("creator", ""), script=script,
                         netlist=str(work / "netlist.v"), block=block,
                         storage_bits=_storage_under(storage, path)))
    return sorted(rows, key=lambda r: (r.block is None, r.block or ""))


def baseline(results: list[AreaResult], metric: str) -> AreaResult:
    """The smaller FP16 EXP2 baseline by ``metric``."""
    base = [r for r in results if r.baseline and r.block is None]
    return min(base, key=lambda r: getattr(r, metric))
