"""Power per score: the switching activity of a gate-level simulation of a real tile stream,
annotated into OpenSTA's ``report_power`` at the clock period.

Debian's OpenSTA has no ``read_vcd`` or ``read_saif`` (and its ``set_power_activity -pins`` is
broken), so the activity is computed here: Icarus simulates the OSU018 netlist on the stream
(no idle cycles, no stalls) and dumps a VCD; ``vcd_activity`` counts every signal bit's 0↔1
transitions and the fraction of time it is 1; every cell output pin (the cell models' ports are
in the VCD) gets activity = transitions per clock cycle and duty = that fraction
(``sta::set_power_pin_activity``); the top's inputs get their measured mean. Power is internal + switching + leakage at the typical corner; energy per
score = power × period × cycles / scores (every simulated cycle, reset and the testbench's
drain included: a stream of many blocks keeps that overhead small).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ..designs.registry import Config
from ..sim.runner import run_config
from .libraries import CellLibrary
from .sta import design_commands
from .stats import AreaResult
from ..designs.files import write_text

__all__ = ["PowerResult", "vcd_activity", "output_pins", "power_of_netlist", "POWER_SETUP"]

POWER_SETUP = ("OpenSTA report_power, typical corner, per-pin activity from an Icarus gate-level "
               "simulation of the netlist (VCD: transitions per clock cycle and duty of every "
               "net bit), top inputs at their measured mean, no idle input cycles or stalls")


@dataclass
class PowerResult:
    module: str
    period_ns: float
    cycles: int                    # clock cycles of the simulation (reset and drain included)
    scores: int                    # scores that entered the design
    scores_per_cycle: float        # scores / cycles from the first input to the last output
    internal_mw: float
    switching_mw: float
    leakage_mw: float
    power_mw: float
    pj_per_score: float
    annotated_pins: int            # driver pins given a measured activity
    input_activity: float          # mean transitions per cycle of the top's input bits
    passed: bool                   # the simulated netlist matched the golden model
    setup: str = POWER_SETUP

    def as_dict(self) -> dict:
        return asdict(self)


def vcd_activity(path: Path) -> tuple[dict[str, tuple[int, float]], int]:
    """({net bit: (0↔1 transitions, fraction of time at 1)}, clock cycles) of a VCD whose top
    scope is the design: names are hierarchical with ``/`` below the top (``lanes/_123_``),
    vector bits ``name[i]``; the cycles are the rising edges of the top's ``clk``."""
    ids: dict[str, list[tuple[str, ...]]] = {}        # id → [(bit names, msb first)]
    scope: list[str] = []
    state: dict[str, str] = {}
    toggles: dict[str, list[int]] = {}
    high: dict[str, list[int]] = {}
    since: dict[str, int] = {}
    now = 0
    clk_id, rises = None, 0
    with open(path) as fh:
        for line in fh:
            if line.startswith("$enddefinitions"):
                break
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                scope.append(words[2])
            elif words[0] == "$upscope":
                scope.pop()
            elif words[0] == "$var":
                width, code, name = int(words[2]), words[3], words[4]
                rng = words[5] if len(words) > 6 and words[5].startswith("[") else ""
                prefix = "/".join(scope[1:] + [name])
                if width == 1:
                    bits = (prefix + (rng if rng and ":" not in rng else ""),)
                else:
                    msb, lsb = (int(v) for v in rng.strip("[]").split(":"))
                    step = -1 if msb >= lsb else 1
                    bits = tuple(f"{prefix}[{i}]" for i in range(msb, lsb + step, step))
                ids.setdefault(code, []).append(bits)
                if len(scope) == 1 and name == "clk":
                    clk_id = code
        for code, variants in ids.items():
            n = len(variants[0])
            state[code] = "x" * n
            toggles[code] = [0] * n
            high[code] = [0] * n
            since[code] = 0
        for line in fh:
            c = line[0]
            if c == "#":
                now = int(line[1:])
                continue
            if c in "01xzXZ":
                code, value = line[1:].strip(), c.lower()
            elif c in "bB":
                value, code = line[1:].split()
                value = value.lower()
            else:
                continue                                 # $dumpvars, $end, comments
            if code not in state:
                continue
            old = state[code]
            n = len(old)
            value = value.rjust(n, "0" if value[0] in "01" else value[0])[-n:]
            span = now - since[code]
            t, h = toggles[code], high[code]
            for k in range(n):
                a, b = old[k], value[k]
                if a == "1":
                    h[k] += span
                if a != b and a in "01" and b in "01":
                    t[k] += 1
            state[code], since[code] = value, now
            if code == clk_id and value == "1" and old == "0":
                rises += 1
    result = {}
    total = max(now, 1)
    for code, variants in ids.items():
        old, span = state[code], now - since[code]
        for k in range(len(old)):
            on = high[code][k] + (span if old[k] == "1" else 0)
            for bits in variants:
                result[bits[k]] = (toggles[code][k], on / total)
    return result, rises


def output_pins(liberty: Path) -> set[str]:
    """The output pin names of the library's cells (OSU018: Y, Q, YC, YS)."""
    text = Path(liberty).read_text()
    return set(re.findall(r"pin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{\s*direction\s*:\s*output", text))


def _sta_power(netlist: Path, top: str, liberty: Path, period_ns: float, activity: dict,
               cycles: int, input_activity: float, work: Path) -> tuple[dict, int]:
    """(report_power totals in mW, annotated pins). The cell models are simulated with their
    ports, so the VCD names every cell's output pin (``lanes/_123_/Y``): each gets its own
    activity (looking pins up by exact name is fast; by net it is quadratic in OpenSTA)."""
    outputs = output_pins(liberty)
    lines = [f"{{{name}}} {t / cycles:.6g} {duty:.6g}" for name, (t, duty) in activity.items()
             if name.count("/") and name.rsplit("/", 1)[1] in outputs]
    write_text(work / "activity.tcl", "set activity {\n" + "\n".join(lines) + "\n}\n")
    tcl = work / "power.tcl"
    write_text(tcl, "\n".join([
        *design_commands(netlist, top, liberty, period_ns),
        f"set_power_activity -input -activity {input_activity:.6g} -duty 0.5",
        f"source {work / 'activity.tcl'}",
        "set annotated 0",
        "foreach {name act duty} $activity {",
        "  set pin [get_pins -quiet $name]",
        "  if {$pin == \"\"} continue",
        "  sta::set_power_pin_activity $pin $act $duty",
        "  incr annotated",
        "}",
        "puts \"annotated $annotated of [llength $activity]\"",
        "report_power -digits 8",
        "exit",
    ]) + "\n")
    out = subprocess.run(["sta", str(tcl)], capture_output=True, text=True, cwd=work)
    write_text(work / "power.log", out.stdout + out.stderr)
    m = re.search(r"^Total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out.stdout, re.M)
    a = re.search(r"annotated (\d+) of (\d+)", out.stdout)
    if not m or not a:
        raise RuntimeError(f"OpenSTA reported no power for {top}; see {work / 'power.log'}")
    if int(a.group(1)) == 0:
        raise RuntimeError(f"no cell output pin of {top} matched the VCD; see {work / 'power.log'}")
    internal, switching, leakage, total = (float(v) * 1e3 for v in m.groups())   # W → mW
    return ({"internal_mw": internal, "switching_mw": switching, "leakage_mw": leakage,
             "power_mw": total}, int(a.group(1)))


def power_of_netlist(config: Config, lib: CellLibrary, result: AreaResult, period_ns: float,
                     inputs: list[int], scores: int, work: Path) -> PowerResult:
    """Simulate ``result.netlist`` (OSU018) on ``inputs`` (packed beats carrying ``scores``
    scores) with Icarus at full rate, and report its power at ``period_ns``."""
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    vcd = work / "activity.vcd"
    run = run_config(config, "icarus", work, netlist=(lib.models, Path(result.netlist)),
                     variant="power", inputs=inputs, idle=0.0, stall=0.0, vcd=vcd)
    activity, cycles = vcd_activity(vcd)
    if cycles == 0:
        raise RuntimeError(f"no clock cycles in {vcd}")
    ins = [t for name, (t, _) in activity.items() if name.startswith("i__")]
    input_activity = sum(ins) / max(len(ins), 1) / cycles
    totals, annotated = _sta_power(Path(result.netlist), config.module_name, lib.liberty,
                                   period_ns, activity, cycles, input_activity, work)
    vcd.unlink()                                      # large; the counts are in activity.tcl
    energy_pj = totals["power_mw"] * 1e-3 * period_ns * 1e-9 * cycles * 1e12
    return PowerResult(module=config.module_name, period_ns=period_ns, cycles=cycles,
                       scores=scores, scores_per_cycle=scores / max(run.span_cycles, 1),
                       **totals,
                       pj_per_score=energy_pj / scores, annotated_pins=annotated,
                       input_activity=input_activity, passed=run.passed)
