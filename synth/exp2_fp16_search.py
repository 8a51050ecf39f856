"""Width search for the FP16 EXP2 baselines (``golden.exp2_fp16_model``).

    python -m baps_rtl.synth.exp2_fp16_search correct  [--patches 96] [--synthesize 6] [-o FILE]
    python -m baps_rtl.synth.exp2_fp16_search faithful [--patches 16] [--synthesize 6] [-o FILE]

A beam search over the datapath widths (segments, offset bits, fraction bits of y, coefficient
scales, the square's shift, linear or quadratic), the small-|x| range handled by thresholds, and
for faithful designs truncation with a C0 bias. Every candidate is checked on all 65,536 inputs
by the bit-exact model: the inputs it gets wrong (not correctly rounded, or not faithful) become
its patches (stored results, one comparator each), and a candidate needing more than ``--patches``
is dropped. Candidates are ranked by a transistor estimate of their multipliers, adders, tables
and patches; the best ``--synthesize`` are synthesized with the flow of every other row (generic
library, ``abc -g cmos2``) and the table of all synthesized candidates is written as Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from ..golden import exp2_fp16_model as model
from ..golden.exp2 import exp2_faithful_violations, exp2_reference
from ..golden.formats import FP16

__all__ = ["Candidate", "evaluate", "estimate", "search", "synthesize_candidate", "main"]

CODES = np.arange(1 << 16)
FIELDS = ("seg_bits", "r_bits", "p", "b1", "b2", "q", "small_exp", "truncate")


@dataclasses.dataclass
class Candidate:
    design: model.Exp2FP16Design
    wrong: int                  # inputs the arithmetic gets wrong (the patches)
    max_ulp: int                # largest distance in codes from the correct result, before patching
    estimate: float             # transistor estimate
    logic_transistors: int | None = None
    ge: float | None = None


def _widths(design: model.Exp2FP16Design) -> dict:
    return {f: getattr(design, f) for f in FIELDS}


def _valid(w: dict) -> bool:
    if not (-12 <= w["small_exp"] <= -3 and 3 <= w["seg_bits"] <= 7
            and 4 <= w["r_bits"] <= FP16.man_bits - w["small_exp"] - w["seg_bits"]
            and 12 <= w["p"] <= 30 and 4 <= w["b1"] <= 30):
        return False
    if w["b2"] is None and w["q"] != 0:
        return False                   # q is unused by a linear candidate: one spelling only
    if w["b2"] is not None and not (2 <= w["b2"] <= 24 and 0 <= w["q"] <= 2 * w["r_bits"] - 2):
        return False
    design = model.Exp2FP16Design("candidate", **w)
    return design.s1 >= 0 and (w["b2"] is None or design.s2 >= 0)


def evaluate(design: model.Exp2FP16Design, accuracy: str) -> tuple[np.ndarray, int]:
    """(input codes the arithmetic gets wrong, largest code distance from the correct result)."""
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    got = model.arithmetic(CODES, design).astype(np.int64)
    finite = ~np.isnan(FP16.decode(CODES.astype(np.uint16)))
    max_ulp = int(np.abs(got - ref)[finite].max())
    if accuracy == "correct":
        wrong = np.nonzero(got != ref)[0]
    else:
        wrong = np.asarray(exp2_faithful_violations("fp16", "fp16", got.astype(np.uint16)))
    return wrong, max_ulp


def estimate(design: model.Exp2FP16Design, patches: int) -> float:
    """A transistor estimate: ~26 per partial-product bit of a multiplier, ~26 per adder bit,
    ~6 per table bit, ~50 per patch (a 16-bit constant comparator, shared by ABC), ~45 per
    small-|x| threshold (a constant comparator), ~30 per fraction bit of the input shifter."""
    c = model.coefficients(design)
    w1, w0 = int(c[1].max()).bit_length(), int(c[0].max()).bit_length()
    steps = sum(map(len, model.small_steps(design.small_exp)))
    cost = 26 * design.r_bits * w1 + 26 * (design.p + 2) + 6 * (1 << design.seg_bits) * (w0 + w1)
    if design.b2 is not None:
        w2 = int(np.abs(c[2]).max()).bit_length()
        sq = 2 * design.r_bits - design.q
        cost += 13 * design.r_bits ** 2 + 26 * w2 * sq + 26 * (design.p + 2)
        cost += 6 * (1 << design.seg_bits) * w2
    return cost + 50 * patches + 45 * steps + 30 * design.f_bits


def _candidate(w: dict, accuracy: str, max_patches: int) -> Candidate | None:
    """The candidate of widths ``w``; a truncating one gets the C0 bias (below one result ulp)
    with the fewest wrong inputs."""
    biases = range(1 << (w["p"] - FP16.man_bits)) if w.get("truncate") else [0]
    best = None
    for bias in biases:
        design = model.Exp2FP16Design(accuracy, **w, bias=bias)
        try:
            wrong, max_ulp = evaluate(design, accuracy)
        except (ValueError, OverflowError):
            return None
        if best is None or len(wrong) < len(best[1]):
            best = (design, wrong, max_ulp)
    design, wrong, max_ulp = best
    if len(wrong) > max_patches:
        return None
    design = dataclasses.replace(design, patches=tuple(int(c) for c in wrong))
    return Candidate(design, len(wrong), max_ulp, estimate(design, len(wrong)))


def search(accuracy: str, max_patches: int, beam: int = 6, rounds: int = 40,
           log=print) -> list[Candidate]:
    """Beam search from the current design of ``accuracy``: every width ±1 (and linear ↔
    quadratic), keeping the ``beam`` best estimates; all valid candidates seen, best first."""
    start = _widths(model.DESIGNS[accuracy])
    seen: dict[tuple, Candidate | None] = {}

    def visit(w):
        key = tuple(w[f] for f in FIELDS)
        if key not in seen:
            seen[key] = _candidate(w, accuracy, max_patches) if _valid(w) else None
        return seen[key]

    frontier = [c for c in [visit(start)] if c]
    for r in range(rounds):
        nxt = []
        for cand in frontier:
            w0 = _widths(cand.design)
            moves = []
            if accuracy == "faithful":            # truncating is enough for faithful results
                moves.append({**w0, "truncate": not w0["truncate"]})
            for f in FIELDS:
                if w0[f] is None or f == "truncate":
                    continue
                for d in (-1, 1, -2):
                    moves.append({**w0, f: w0[f] + d})
            for d in (1, 2):                   # more segments, the same offset resolution
                moves.append({**w0, "seg_bits": w0["seg_bits"] + d,
                              "r_bits": w0["r_bits"] - d})
            for k in range(-12, -3):           # small-|x| range, with the offset bits it leaves
                room = FP16.man_bits - k - w0["seg_bits"]
                moves.append({**w0, "small_exp": k, "r_bits": min(w0["r_bits"], room)})
            if w0["b2"] is None:
                moves.append({**w0, "b2": max(2, w0["b1"] - 7), "q": w0["r_bits"]})
            else:
                moves.append({**w0, "b2": None, "q": 0})
            nxt += [c for c in map(visit, moves) if c]
        pool = {id(c): c for c in frontier + nxt}.values()
        best = sorted(pool, key=lambda c: c.estimate)[:beam]
        if [c.estimate for c in best] == [c.estimate for c in frontier]:
            break
        frontier = best
        log(f"round {r + 1}: best estimate {best[0].estimate:.0f} "
            f"({_describe(best[0].design)}, {best[0].wrong} patches)")
    return sorted((c for c in seen.values() if c), key=lambda c: c.estimate)


def _describe(d: model.Exp2FP16Design) -> str:
    kind = "linear" if d.b2 is None else f"quadratic b2={d.b2} q={d.q}"
    pos, neg = model.small_steps(d.small_exp)
    return (f"{1 << d.seg_bits} segments, r={d.r_bits}, p={d.p}, b1={d.b1}, {kind}, "
            f"|x| < 2^{d.small_exp} by {len(pos) + len(neg)} thresholds"
            + (", truncated" if d.truncate else ""))


def synthesize_candidate(design: model.Exp2FP16Design, work: Path) -> tuple[int, float]:
    """(logic transistors, total GE) of the candidate's RTL with the flow of every area row."""
    import json

    from amaranth.back import verilog

    from ..hdl.exp2_fp16 import Exp2FP16
    from .libraries import get_library
    from .yosys_flow import run_in_subprocess
    lib = get_library("generic", work / "cells")
    work.mkdir(parents=True, exist_ok=True)
    vpath = work / "candidate.v"
    vpath.write_text(verilog.convert(Exp2FP16._with_widths(design), name="candidate",
                                     emit_src=False))
    proc = run_in_subprocess(vpath, "candidate", lib.liberty, work)
    if proc.returncode != 0:
        raise RuntimeError(f"synthesis failed; see {work / 'yosys.log'}")
    logic = json.loads((work / "cmos_logic.json").read_text())["design"]
    area = json.loads((work / "area.json").read_text())["design"]
    return (int(str(logic["estimated_num_transistors"]).rstrip("+")),
            float(area["area"]) / lib.nand2_area)


def markdown(accuracy: str, rows: list[Candidate], seconds: float) -> str:
    lines = [f"# FP16 EXP2 width search: {accuracy}", "",
             f"`python -m baps_rtl.synth.exp2_fp16_search {accuracy}` ({seconds:.0f} s). Each "
             "candidate was checked on all 65,536 inputs by the bit-exact model; \"patches\" are "
             "the inputs whose results it stores; \"max error\" is the largest distance in FP16 "
             "codes from the correctly rounded result before patching. Logic transistors: Yosys "
             "`abc -g cmos2`, flip-flops excluded; GE: generic library, flip-flops included.", "",
             "| candidate | patches | max error (codes) | estimate | logic transistors | GE |",
             "|---|---|---|---|---|---|"]
    registered = model.DESIGNS[accuracy]
    for c in rows:
        mark = " (registered)" if c.design == registered else ""
        lines.append(f"| {_describe(c.design)}{mark} | {c.wrong} | {c.max_ulp} | {c.estimate:.0f} | "
                     f"{c.logic_transistors} | {c.ge:.1f} |")
    best = min(rows, key=lambda c: c.logic_transistors)
    lines += ["", f"Fewest logic transistors: {_describe(best.design)}, patches "
                  f"{list(best.design.patches)}. The registered design is "
                  f"`golden.exp2_fp16_model.{accuracy.upper()}`."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m baps_rtl.synth.exp2_fp16_search")
    ap.add_argument("accuracy", choices=tuple(model.DESIGNS))
    ap.add_argument("--patches", type=int, default=None,
                    help="most stored results per candidate (default: 96 correct, 16 faithful)")
    ap.add_argument("--synthesize", type=int, default=6, help="candidates to synthesize")
    ap.add_argument("--beam", type=int, default=12)
    ap.add_argument("-o", "--output", type=Path, default=None, help="Markdown table")
    args = ap.parse_args(argv)
    if args.synthesize < 1 or args.beam < 1 or (args.patches is not None and args.patches < 0):
        ap.error("--synthesize and --beam: 1 or more; --patches: 0 or more")
    t0 = time.monotonic()
    max_patches = args.patches if args.patches is not None else (
        96 if args.accuracy == "correct" else 16)
    found = search(args.accuracy, max_patches, beam=args.beam)
    rows = found[:args.synthesize]
    with tempfile.TemporaryDirectory() as tmp:
        for k, c in enumerate(rows):
            c.logic_transistors, c.ge = synthesize_candidate(c.design, Path(tmp) / str(k))
            print(f"{_describe(c.design)}: {c.wrong} patches, estimate {c.estimate:.0f}, "
                  f"{c.logic_transistors} logic transistors, {c.ge:.1f} GE", flush=True)
    text = markdown(args.accuracy, rows, time.monotonic() - t0)
    if args.output:
        args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
