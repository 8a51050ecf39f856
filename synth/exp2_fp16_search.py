"""Design-space search for the FP16 EXP2 baselines (``golden.exp2_fp16_model``).

    python -m baps_rtl.synth.exp2_fp16_search correct|faithful [--patches N] [--synthesize 8]
                                              [-o FILE] [--write]

(--patches: at most 40 stored results by default for correct, none for faithful.)

A grid over the datapath's widths and choices (fixed-point fraction bits and the small-|x| range,
segments, offset bits, fraction bits of y, C1 width and sharing, dropped partial-product
columns of the truncated multiplier, the carry-in row). Every candidate is fitted exactly
(``golden.exp2_fp16_fit``) and so checked on all 65,536 inputs: the inputs it cannot cover
become its patches (stored results, one comparator each), and a candidate needing more than
``--patches`` is dropped. Candidates are ranked by a transistor estimate (table bits,
partial-product bits, shifter, thresholds, patches); the best ``--synthesize`` are synthesized
with the flow of every other area row (generic library, ``abc -g cmos2`` with the flow's area
script, flip-flops excluded from the logic transistors) and the table of all synthesized
candidates is written as Markdown.
``--write`` stores the candidate with the fewest logic transistors as the registered design
(``golden/exp2_fp16_designs.json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import tempfile
import time
from pathlib import Path

from ..golden import exp2_fp16_model as model
from ..golden.exp2_fp16_fit import fit
from ..designs.files import write_text

__all__ = ["Candidate", "GRIDS", "candidates", "estimate", "search", "synthesize_candidate",
           "write_designs", "main"]


@dataclasses.dataclass
class Candidate:
    design: model.Exp2FP16Design
    estimate: float                 # transistor estimate
    logic_transistors: int | None = None
    ge: float | None = None

    @property
    def patches(self) -> int:
        return len(self.design.patches)


# The axes searched per accuracy: (frac_bits, small_exp) pairs, then every other axis; r_bits
# is given as "frac_bits − seg_bits − r_drop". The registered designs lie on these grids.
GRIDS = {
    "correct": {
        "range": [(15, -5), (16, -6), (17, -7)], "seg_bits": [6, 7], "r_drop": [0],
        "p": [17, 18], "c1_extra": [0, 1], "dropped_columns": [2, 4, 6, 7],
        "c1_shared": [0, 1], "carry_in": [True], "small_one": [False], "rounding": ["even"],
    },
    "faithful": {
        "range": [(11, -10), (12, -11)], "seg_bits": [5, 6, 7], "r_drop": [0, 1],
        "p": [12, 13], "c1_extra": [-1, 0, 1], "dropped_columns": [2, 3, 4, 5],
        "c1_shared": [1, 2], "carry_in": [False, True], "small_one": [True],
        "rounding": ["truncate"],
    },
}


def candidates(accuracy: str, grid: dict | None = None) -> list[model.Exp2FP16Design]:
    """Every valid unfitted design on the grid (c1_bits = p − seg_bits − 1 + c1_extra: the slope
    to the precision a segment's span needs at p fraction bits; r_bits = frac_bits − seg_bits −
    r_drop; c1_index_bits = seg_bits − c1_shared)."""
    g = GRIDS[accuracy] if grid is None else grid
    out = []
    axes = [k for k in g if k != "range"]
    for (fb, small_exp), *values in itertools.product(g["range"], *(g[k] for k in axes)):
        w = dict(zip(axes, values))
        s = w.pop("seg_bits")
        r_bits = fb - s - w.pop("r_drop")
        c1_bits = w["p"] - s - 1 + w.pop("c1_extra")
        c1_index_bits = s - w.pop("c1_shared")
        try:
            out.append(model.Exp2FP16Design(
                accuracy, frac_bits=fb, seg_bits=s, r_bits=r_bits, c1_bits=c1_bits,
                c1_index_bits=c1_index_bits, small_exp=small_exp, **w))
        except ValueError:
            continue                    # an impossible combination (e.g. a negative shift)
    return out


def estimate(d: model.Exp2FP16Design) -> float:
    """A transistor estimate: ~1.4 per table bit, ~50 per partial-product bit (and per bit of
    C0 summed), ~12 per bit and level of the input shifter, ~40 per small-|x| threshold, ~50
    per patch, ~45 per bit of the output's rounding or subnormal shift."""
    table = (1 << d.seg_bits) * (d.p + 1) + (1 << d.c1_index_bits) * d.c1_bits
    pp = sum(max(d.c1_bits - max(d.dropped_columns - j, 0), 0) for j in range(d.r_bits))
    pp += d.c1_bits - d.dropped_columns if d.carry_in else 0
    levels = (4 - d.small_exp).bit_length()
    thresholds = 0 if d.small_one else sum(map(len, model.small_steps(d.small_exp)))
    rounding = (d.p + 2) * (2 if d.rounding == "even" else 1)
    return (1.4 * table + 50 * (pp + d.p + 1) + 12 * (d.frac_bits + 5) * levels
            + 40 * thresholds + 50 * len(d.patches) + 45 * rounding)


def search(accuracy: str, max_patches: int, grid: dict | None = None, log=print,
           designs: list[model.Exp2FP16Design] | None = None) -> list[Candidate]:
    """Every fitted candidate (of ``designs``, default the grid's) with at most ``max_patches``
    patches, lowest estimate first."""
    found = []
    designs = candidates(accuracy, grid) if designs is None else designs
    for k, d in enumerate(designs, start=1):
        fitted = fit(d)
        if len(fitted.patches) <= max_patches:
            found.append(Candidate(fitted, estimate(fitted)))
        if k % 50 == 0:
            log(f"{k}/{len(designs)} candidates fitted, {len(found)} kept")
    return sorted(found, key=lambda c: c.estimate)


def describe(d: model.Exp2FP16Design) -> str:
    small = "1.0" if d.small_one else f"{sum(map(len, model.small_steps(d.small_exp)))} thresholds"
    return (f"f={d.frac_bits}, {1 << d.seg_bits} segments, r={d.r_bits}, p={d.p}, "
            f"C1 {d.c1_bits} bits × {1 << d.c1_index_bits}, {d.dropped_columns} columns dropped"
            + (", carry-in" if d.carry_in else "") + f", |x| < 2^{d.small_exp}: {small}")


def synthesize_candidate(design: model.Exp2FP16Design, work: Path) -> tuple[int, float]:
    """(logic transistors, total GE) of the candidate's RTL with the flow of every area row."""
    from amaranth.back import verilog

    from ..hdl.exp2_fp16 import Exp2FP16
    from .libraries import get_library
    from .yosys_flow import run_in_subprocess
    lib = get_library("generic", work / "cells")
    work.mkdir(parents=True, exist_ok=True)
    vpath = work / "candidate.v"
    write_text(vpath, verilog.convert(Exp2FP16._with_design(design), name="candidate",
                                      emit_src=False))
    proc = run_in_subprocess(vpath, "candidate", lib.liberty, work)
    if proc.returncode != 0:
        raise RuntimeError(f"synthesis failed; see {work / 'yosys.log'}")
    logic = json.loads((work / "cmos_logic.json").read_text())["design"]
    area = json.loads((work / "area.json").read_text())["design"]
    return (int(str(logic["estimated_num_transistors"]).rstrip("+")),
            float(area["area"]) / lib.nand2_area)


def markdown(accuracy: str, rows: list[Candidate], fitted: int, seconds: float,
             synthesize: int) -> str:
    lines = [f"# FP16 EXP2 design search: {accuracy}", "",
             f"`python -m baps_rtl.synth.exp2_fp16_search {accuracy} --synthesize {synthesize}` "
             f"({seconds:.0f} s): "
             f"{fitted} candidates fitted exactly (each checked on all 65,536 inputs; "
             "\"patches\" are the inputs whose results it stores), the best by the estimate "
             "synthesized. Logic transistors: Yosys `abc -g cmos2` with the flow's area script "
             "(`synth.yosys_flow.AREA_SCRIPT`), flip-flops excluded; GE: generic library, "
             "flip-flops included.", "",
             "| candidate | patches | estimate | logic transistors | GE |", "|---|---|---|---|---|"]
    registered = model.DESIGNS[accuracy]
    for c in sorted(rows, key=lambda c: c.logic_transistors):
        mark = " (registered)" if c.design == registered else ""
        cell = describe(c.design).replace("|", "\\|")           # |x| inside a Markdown cell
        lines.append(f"| {cell}{mark} | {c.patches} | {c.estimate:.0f} | "
                     f"{c.logic_transistors} | {c.ge:.1f} |")
    best = min(rows, key=lambda c: c.logic_transistors)
    lines += ["", f"Fewest logic transistors: {describe(best.design)}. The registered design is "
                  f"`golden.exp2_fp16_model.{accuracy.upper()}` (golden/exp2_fp16_designs.json)."]
    return "\n".join(lines) + "\n"


def write_designs(designs: dict[str, model.Exp2FP16Design], path: Path) -> None:
    """The registered designs as JSON: widths and choices, then the fitted tables and patches."""
    parts = []
    for name, d in designs.items():
        fields = {**d.widths(), "c0": list(d.c0), "c1": list(d.c1), "patches": list(d.patches)}
        body = ",\n".join(f'    "{k}": {json.dumps(v)}' for k, v in fields.items())
        parts.append(f'  "{name}": {{\n{body}\n  }}')
    write_text(path, "{\n" + ",\n".join(parts) + "\n}\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m baps_rtl.synth.exp2_fp16_search")
    ap.add_argument("accuracy", choices=tuple(model.DESIGNS))
    ap.add_argument("--patches", type=int, default=None,
                    help="most stored results per candidate (default: 40 correct, 0 faithful)")
    ap.add_argument("--synthesize", type=int, default=8, help="candidates to synthesize")
    ap.add_argument("-o", "--output", type=Path, default=None, help="Markdown table")
    ap.add_argument("--write", action="store_true",
                    help="register the candidate with the fewest logic transistors")
    args = ap.parse_args(argv)
    if args.synthesize < 1 or (args.patches is not None and args.patches < 0):
        ap.error("--synthesize: 1 or more; --patches: 0 or more")
    t0 = time.monotonic()
    max_patches = args.patches if args.patches is not None else (
        40 if args.accuracy == "correct" else 0)
    designs = candidates(args.accuracy)
    found = search(args.accuracy, max_patches, designs=designs)
    if not found:
        ap.exit(1, f"no candidate with at most {max_patches} patches\n")
    rows = found[:args.synthesize]
    registered = model.DESIGNS[args.accuracy]
    if all(c.design != registered for c in rows):     # the registered design is always a row
        rows += [c for c in found if c.design == registered][:1]
    with tempfile.TemporaryDirectory() as tmp:
        for k, c in enumerate(rows):
            c.logic_transistors, c.ge = synthesize_candidate(c.design, Path(tmp) / str(k))
            print(f"{describe(c.design)}: {c.patches} patches, estimate {c.estimate:.0f}, "
                  f"{c.logic_transistors} logic transistors, {c.ge:.1f} GE", flush=True)
    text = markdown(args.accuracy, rows, len(designs), time.monotonic() - t0, args.synthesize)
    if args.output:
        write_text(args.output, text)
    print(text)
    if args.write:
        best = min(rows, key=lambda c: c.logic_transistors).design
        path = Path(model.__file__).with_name("exp2_fp16_designs.json")
        write_designs({**model.DESIGNS, args.accuracy: best}, path)
        print(f"registered in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
