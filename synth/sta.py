"""Worst path delay with OpenSTA (Debian ``opensta``) on an OSU018-mapped netlist.

Setup, stated for every figure: ideal clock, inputs arriving at the clock edge, outputs required
at the next edge, zero output load, no wire-load model (the library defines none), typical corner,
the synchronous reset input excluded (a false path: this flow builds no reset tree, and one
unbuffered inverter driving every flip-flop's reset would dominate the larger designs). The flow
inserts no buffers, so other high-fanout nets still make delays pessimistic.
The reported delay is the minimum clock period (100 ns minus the worst slack at a 100 ns period):
a comparison between designs, not a sign-off figure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from ..designs.files import write_text

__all__ = ["sta_available", "critical_path_ns", "design_commands", "STA_SETUP"]

STA_SETUP = ("OpenSTA, ideal clock, input delay 0, output delay 0, zero output load, "
             "no wire load, typical corner, reset input a false path, no buffer insertion; "
             "delay = min clock period")
PERIOD = 100.0


def sta_available() -> bool:
    return shutil.which("sta") is not None


def design_commands(netlist: Path, top: str, liberty: Path, period_ns: float) -> list[str]:
    """The OpenSTA commands that load ``netlist`` (top ``top``) on ``liberty`` with a clock of
    ``period_ns`` on ``clk`` (shared by the timing and the power scripts)."""
    return [f"read_liberty {liberty}", f"read_verilog {netlist}", f"link_design {top}",
            f"create_clock -name clk -period {period_ns} [get_ports clk]"]


def critical_path_ns(netlist: Path, top: str, liberty: Path, workdir: Path) -> float:
    tcl = workdir / "sta.tcl"
    write_text(tcl, "\n".join([
        *design_commands(netlist, top, liberty, PERIOD),
        "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]",
        "set_output_delay 0 -clock clk [all_outputs]",
        "set_load 0 [all_outputs]",
        "set_false_path -from [get_ports rst]",
        "report_checks -path_delay max -digits 4",
        "exit",
    ]) + "\n")
    out = subprocess.run(["sta", str(tcl)],
                         capture_output=True, text=True, cwd=workdir)
    write_text(workdir / "sta.log", out.stdout + out.stderr)
    m = re.search(r"(-?[\d.]+)\s+slack \((MET|VIOLATED)\)", out.stdout)
    if not m:
        raise RuntimeError(f"OpenSTA reported no slack for {top}; see {workdir / 'sta.log'}")
    return PERIOD - float(m.group(1))
