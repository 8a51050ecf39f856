"""Cell libraries for synthesis: the project's generic GE library, and OSU 0.18 µm when fetched."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..designs.errors import UsageError
from .cells import GENERIC_CELLS, write_liberty, write_verilog_models

__all__ = ["CellLibrary", "LIBRARIES", "get_library", "osu018_dir"]

LIBRARIES = ("generic", "osu018")
REPO_ROOT = Path(__file__).resolve().parents[1]
OSU018_SUBDIR = Path("usr/share/qflow/tech/osu018")


@dataclass(frozen=True)
class CellLibrary:
    name: str
    liberty: Path
    models: Path              # Verilog models of the cells, for gate-level simulation
    nand2_area: float         # NAND2 area in library units (GE = area / nand2_area)
    area_unit: str            # "GE" or "um2"
    gate_simulators: tuple    # simulators that run the cell models


def osu018_dir() -> Path | None:
    """Where ``osu018_stdcells.lib`` is: $BAPS_OSU018_DIR, the repo's ``.cache/osu018``
    (``make system-extras`` fetches the Debian package there), or a system install."""
    candidates = [Path(os.environ["BAPS_OSU018_DIR"])] if os.environ.get("BAPS_OSU018_DIR") else []
    candidates += [REPO_ROOT / ".cache" / "osu018" / OSU018_SUBDIR, Path("/") / OSU018_SUBDIR]
    for c in candidates:
        if (c / "osu018_stdcells.lib").exists():
            return c
    return None


def get_library(name: str, workdir: Path) -> CellLibrary:
    """The library called ``name``; the generic one is written into ``workdir``."""
    if name == "generic":
        workdir = Path(workdir)
        nand2 = next(c.area for c in GENERIC_CELLS if c.name == "NAND2")
        return CellLibrary("generic", write_liberty(workdir / "baps_generic.lib"),
                           write_verilog_models(workdir / "baps_generic_cells.v"), nand2, "GE",
                           ("verilator", "icarus"))
    if name == "osu018":
        d = osu018_dir()
        if d is None:
            raise UsageError("cell library 'osu018' is not installed; fetch it with "
                             "`make system-extras` (as root) or set BAPS_OSU018_DIR")
        return CellLibrary("osu018", d / "osu018_stdcells.lib", d / "osu018_stdcells.v", 24.0,
                           "um2", ("icarus",))
    raise UsageError(f"unknown cell library {name!r}; allowed: {', '.join(LIBRARIES)}")
