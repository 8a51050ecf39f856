"""One synthesis run in its own process (Yosys keeps state between designs in one process).

    python -m baps_rtl.synth.yosys_flow VERILOG TOP LIBERTY OUTDIR [--hierarchy] [--period NS]

Writes ``OUTDIR/storage.json`` (``stat -json`` of the design as read: its memories, counted in
bits before they are mapped to flip-flops), ``OUTDIR/area.json`` (``stat -json -liberty``),
``OUTDIR/cmos.json`` (``stat -json -tech cmos`` after ``abc -g cmos2``),
``OUTDIR/cmos_logic.json`` (the same without the flip-flops), ``OUTDIR/netlist.v`` and
``OUTDIR/netlist.json`` (the mapped netlist), ``OUTDIR/script.ys`` (the exact script) and
``OUTDIR/yosys.log``.

The library mapping of every untimed run and every transistor count (timed runs included) use
``AREA_SCRIPT``, for every row alike: ABC's default logic optimization, then ``dc2`` and two ``resyn2`` passes, then
the structural choices (``&dch``) mapped with the delay target relaxed (``&nf -R 1000``: area
first, with more area-flow rounds and cuts). ABC's default script maps for the best delay and
then recovers area; measured on the EXP2 units the area script takes 3–12 % off the FP16
baselines and 2–8 % off the HiF8 units (README, "Area").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from ..designs.files import write_text

__all__ = ["AREA_SCRIPT", "script", "run_in_subprocess", "run_commands"]


_RESYN2 = ("balance;rewrite;refactor;balance;rewrite;rewrite,-z;balance;refactor,-z;rewrite,-z;"
           "balance")
AREA_SCRIPT = ("+strash;&get,-n;&fraig,-x;&put;scorr;dc2;dretime;strash;"   # ABC's default start
               f"{_RESYN2};dc2;{_RESYN2};"
               "&get,-n;&dch,-f;&nf,-R,1000,-F,8,-C,32;&put")              # area-oriented mapping
TIMING_DRIVER = "BUFX2"        # OSU018's cell ABC assumes drives every input when it sizes for a period
TIMING_LOAD_PF = 0.01         # and the load on every output


def _synth(top: str, flatten: bool, fast_arithmetic: bool) -> list[str]:
    """Yosys ``synth``; with ``fast_arithmetic`` multipliers are Booth encoded (``-booth``) and
    carry chains Kogge-Stone prefix adders (``-extra-map +/choices/kogge-stone.v``) instead of
    the default Brent-Kung. (``-arith_tree`` was tried and left out: it made the FP16 EXP2
    slower after ABC, 5.10 against 4.84 ns at three stages.)"""
    return [f"synth {'-flatten ' if flatten else ''}-top {top}"
            + (" -booth -extra-map +/choices/kogge-stone.v" if fast_arithmetic
               else "")]


def script(verilog: Path, top: str, liberty: Path, outdir: Path, flatten: bool = True,
           period_ns: float | None = None, driver: str | None = TIMING_DRIVER) -> list[str]:
    """The exact Yosys commands of the flow (``flatten=False`` keeps the module hierarchy and
    reports every module's area including its submodules; it also writes the mapped netlist
    flattened, ``netlist_flat.json``, for the logic depth). ``period_ns`` (a library with
    timing, OSU018): fast arithmetic (``_synth``), and ABC maps for that delay
    target and buffers and sizes gates (``abc -D -constr``: every input driven by
    ``driver``, every output loaded by ``TIMING_LOAD_PF``); without it the adders are
    Yosys's default and ABC maps for area (``AREA_SCRIPT``) and inserts no buffers."""
    abc = (f"abc -D {round(period_ns * 1000)} -constr {outdir / 'abc.constr'} -liberty {liberty}"
           if period_ns else f"abc -liberty {liberty} -script {AREA_SCRIPT}")
    return [
        f"read_liberty -lib {liberty}",
        f"read_verilog {verilog}",
        f"hierarchy -top {top}",
        f"tee -q -o {outdir / 'storage.json'} stat -json",
        *_synth(top, flatten, fast_arithmetic=bool(period_ns)),
        "design -save synthesized",
        f"dfflibmap -liberty {liberty}",
        abc,
        "opt_clean",
        f"tee -q -o {outdir / 'area.json'} stat -json -liberty {liberty}"
        + ("" if flatten else f" -top {top}"),
        f"write_verilog -noattr {outdir / 'netlist.v'}",
        f"write_json {outdir / 'netlist.json'}",
    ] + ([] if flatten else [
        "flatten",                     # the whole design's logic depth crosses block boundaries
        f"write_json {outdir / 'netlist_flat.json'}",
    ]) + [
        "design -load synthesized",
        "dfflegalize -cell $_DFF_P_ 01",
        f"abc -g cmos2 -script {AREA_SCRIPT}",
        "opt_clean",
        f"tee -q -o {outdir / 'cmos.json'} stat -json -tech cmos",
        "delete t:$_DFF_*",            # what is left: the logic alone (no opt: nothing else goes)
        f"tee -q -o {outdir / 'cmos_logic.json'} stat -json -tech cmos",
    ]


def _run(verilog: Path, top: str, liberty: Path, outdir: Path, flatten: bool,
         period_ns: float | None, driver: str) -> None:
    from pyosys import libyosys as ys
    commands = script(verilog, top, liberty, outdir, flatten, period_ns, driver)
    if period_ns:
        write_text(outdir / "abc.constr", f"set_driving_cell {driver}\n"
                                          f"set_load {TIMING_LOAD_PF}\n")
    write_text(outdir / "script.ys", "\n".join(commands) + "\n")
    design = ys.Design()
    for command in commands:
        ys.run_pass(command, design)


def run_commands(commands: list[str], log: Path, cwd: Path | None = None) -> int:
    """Run Yosys ``commands`` in a fresh process (one design per process), its output in ``log``;
    the exit code (non-zero when a pass fails, e.g. an unproven assertion)."""
    code = ("from pyosys import libyosys as ys\nd = ys.Design()\n"
            f"for c in {commands!r}:\n    ys.run_pass(c, d)\n")
    with open(log, "w") as out:
        return subprocess.run([sys.executable, "-c", code], cwd=cwd, stdout=out,
                              stderr=subprocess.STDOUT).returncode


def run_in_subprocess(verilog: Path, top: str, liberty: Path, outdir: Path,
                      flatten: bool = True, period_ns: float | None = None,
                      driver: str | None = TIMING_DRIVER) -> subprocess.CompletedProcess:
    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / "yosys.log", "w") as log:
        return subprocess.run([sys.executable, "-m", "baps_rtl.synth.yosys_flow", str(verilog), top,
                               str(liberty), str(outdir)] + ([] if flatten else ["--hierarchy"])
                              + ([f"--period={period_ns}", f"--driver={driver}"] if period_ns
                                 else []),
                              stdout=log, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    v, t, lib, out = sys.argv[1:5]
    options = sys.argv[5:]
    period = next((float(o.split("=", 1)[1]) for o in options if o.startswith("--period=")), None)
    drive = next((o.split("=", 1)[1] for o in options if o.startswith("--driver=")), TIMING_DRIVER)
    _run(Path(v).resolve(), t, Path(lib).resolve(), Path(out).resolve(),
         flatten="--hierarchy" not in options, period_ns=period, driver=drive)
