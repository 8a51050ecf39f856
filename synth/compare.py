"""The system comparison: BAPS and the FP16 online-softmax baseline, both mapped for one clock
period on OSU018 with the fewest pipeline stages that meet it, at equal lanes (scores per cycle)
and at equal link width; per design its logic area per block, storage bits, throughput measured
in simulation, and power and energy per score from the gate-level activity of a real stream.

``baps-rtl compare`` writes ``compare.json``, ``compare.md`` and ``compare.png``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from ..designs.baps import tile_stimulus
from ..designs.errors import UsageError
from ..designs.registry import Config
from ..designs.schedule import run_longest_first
from ..golden.formats import get_format
from .flow import check_period, synthesize_for_period
from .libraries import get_library
from .power import POWER_SETUP, power_of_netlist
from .sta import STA_SETUP

__all__ = ["ComparedDesign", "compare_configs", "run_compare", "markdown"]

BLOCKS = {"baps_datapath": {"matrix": "rescale", "link": "link", "vector": "lanes"},
          "fp16_datapath": {"matrix": "cast", "link": "link", "vector": "lanes"}}
POWER_CASE = "medium"            # N(0, 2²) scores: the realistic tile of golden.baps_stream
POWER_BLOCKS = 48                # key blocks in the power stream


@dataclass
class ComparedDesign:
    label: str
    comparison: str               # which comparison the row belongs to
    config: Config


def compare_configs(lanes: int) -> list[ComparedDesign]:
    """BAPS with ``lanes`` lanes; FP16 with ``lanes`` lanes (equal scores per cycle, twice the
    link) and with ``lanes`` / 2 (equal link width). One tile shape: br = 2, bc = 8·lanes (so a
    row's next block end comes 16 beats later, beyond the FP16 l update's depth: no waits), a
    link FIFO of depth 4."""
    if not isinstance(lanes, int) or lanes < 2 or lanes % 2 or lanes > 32:
        raise UsageError(f"--lanes {lanes!r} is not allowed; allowed: even integers 2..32 "
                         "(FP16 at equal link width has lanes / 2)")
    shape = {"br": 2, "bc": 8 * lanes, "link_depth": 4}
    return [
        ComparedDesign("BAPS (HiF8 link)", "reference", Config.of("baps_datapath",
                                                                  {**shape, "lanes": lanes})),
        ComparedDesign("FP16, equal lanes", "equal lanes", Config.of("fp16_datapath",
                                                                     {**shape, "lanes": lanes})),
        ComparedDesign("FP16, equal link width", "equal link width",
                       Config.of("fp16_datapath", {**shape, "lanes": lanes // 2})),
    ]


def _row(item: ComparedDesign, period_ns: float, outdir: Path, lib, blocks: int) -> dict:
    rows = synthesize_for_period(item.config, lib, outdir / "synth", period_ns)
    [top] = [r for r in rows if r.block is None]
    by_block = {r.block: r for r in rows if r.block}
    # the configuration that met the period (or the most stages)
    config = Config(item.config.design, dataclasses.replace(item.config.params, stages=top.stages))
    p = config.params
    beats = tile_stimulus(p, seed=1, cases=(POWER_CASE,), blocks=blocks)
    scores = len(beats) * p.lanes
    power = power_of_netlist(config, lib, top, period_ns, beats, scores,
                             outdir / "power" / config.module_name)
    code_bits = get_format(getattr(p, "score_format", "fp16")).width     # bits per score
    names = BLOCKS[config.name]
    dff_ge = _dff_ge(lib)
    logic_ge = top.combinational_ge
    return {
        "design": config.module_name, "label": item.label, "comparison": item.comparison,
        "params": p.as_dict(), "lanes": p.lanes, "link_bits": code_bits * p.lanes,
        "stages": top.stages, "scores_per_cycle": round(power.scores_per_cycle, 4),
        "period_ns": period_ns, "delay_ns": top.delay_ns,
        "meets_period": top.delay_ns is not None and top.delay_ns <= period_ns,
        "logic_ge": round(logic_ge, 1), "registers_ge": round(top.sequential_ge, 1),
        "total_ge": round(top.area_ge, 1),
        "blocks_logic_ge": {k: round(by_block[b].combinational_ge, 1) for k, b in names.items()},
        "blocks_total_ge": {k: round(by_block[b].area_ge, 1) for k, b in names.items()},
        "storage_bits": top.storage_bits,
        "storage_ff_ge": round(top.storage_bits * dff_ge, 1),
        "power_mw": round(power.power_mw, 4), "pj_per_score": round(power.pj_per_score, 4),
        "scores_per_cycle_per_kge": round(power.scores_per_cycle / (logic_ge / 1000), 5),
        "power": power.as_dict(), "netlist_matches_golden": power.passed,
    }


def _dff_ge(lib) -> float:
    """GE of the library's D flip-flop (OSU018 DFFPOSX1: 96 µm² / 24)."""
    import re
    text = Path(lib.liberty).read_text()
    m = re.search(r"cell\s*\(\s*DFFPOSX1\s*\)\s*\{\s*area\s*:\s*([\d.]+)", text)
    return float(m.group(1)) / lib.nand2_area if m else 0.0


def run_compare(outdir: Path, period_ns: float = 5.0, lanes: int = 4, jobs: int = 2,
                blocks: int = POWER_BLOCKS) -> dict:
    """Synthesize, simulate and measure the three designs of ``compare_configs``; write
    ``compare.json``, ``compare.md`` and ``compare.png`` in ``outdir``; return the JSON data.
    ``blocks``: key blocks of the power stream."""
    outdir = Path(outdir)
    lib = get_library("osu018", outdir / "cells")
    check_period(period_ns, lib)
    items = compare_configs(lanes)
    rows = run_longest_first([i.config for i in items],
                             lambda c: _row(next(i for i in items if i.config == c), period_ns,
                                            outdir, lib, blocks), jobs)
    result = {"period_ns": period_ns, "lanes": lanes, "library": lib.name,
              "timing": STA_SETUP.replace("no buffer insertion", "buffers and sizing by ABC"),
              "power": POWER_SETUP,
              "stimulus": f"{blocks} key blocks of `{POWER_CASE}` tiles, seed 1",
              "rows": rows}
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    (outdir / "compare.md").write_text(markdown(result))
    _plot(result, outdir / "compare.png")
    return result


def markdown(result: dict) -> str:
    rows = result["rows"]
    base = rows[0]
    head = ["design", "comparison", "lanes", "link bits", "stages", "delay (ns)",
            "scores/cycle", "logic GE (matrix / link / vector)", "logic GE", "registers GE",
            "storage bits", "mW", "pJ/score", "scores/cycle/kGE", "× BAPS scores/cycle/kGE",
            "× BAPS pJ/score"]
    lines = [f"Both datapaths mapped for {result['period_ns']:g} ns on {result['library']} with "
             "the fewest stages that meet it (or the most they have), "
             f"{result['lanes']} BAPS lanes.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        b = r["blocks_logic_ge"]
        meets = "" if r["meets_period"] else " (misses)"
        lines.append("| " + " | ".join([
            r["design"], r["comparison"], str(r["lanes"]), str(r["link_bits"]),
            str(r["stages"]), f"{r['delay_ns']:.2f}{meets}", f"{r['scores_per_cycle']:.3f}",
            f"{b['matrix']:.0f} / {b['link']:.0f} / {b['vector']:.0f}", f"{r['logic_ge']:.0f}",
            f"{r['registers_ge']:.0f}", str(r["storage_bits"]), f"{r['power_mw']:.2f}",
            f"{r['pj_per_score']:.3f}", f"{r['scores_per_cycle_per_kge']:.4f}",
            f"{r['scores_per_cycle_per_kge'] / base['scores_per_cycle_per_kge']:.3f}",
            f"{r['pj_per_score'] / base['pj_per_score']:.3f}"]) + " |")
    lines += ["", f"Timing: {result['timing']}.", "",
              f"Power: {result['power']}; stimulus: {result['stimulus']}.", "",
              "Logic GE: combinational cells (registers apart); storage bits: the row buffers and "
              "the link FIFO, counted before synthesis maps them to flip-flops (their flip-flops "
              "are in the registers column; `storage_ff_ge` in the JSON). Scores per cycle: "
              "measured in the gate-level simulation, first input to last output, no stalls. "
              "Open-library figures for comparing designs, not sign-off."]
    return "\n".join(lines) + "\n"


def _plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = result["rows"]
    names = [f"{r['label']}\n({r['lanes']} lanes, {r['link_bits']}-bit link)" for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "scores_per_cycle_per_kge", "scores / cycle / kGE logic"),
                           (axes[1], "pj_per_score", "energy per score (pJ)")):
        values = [r[key] for r in rows]
        ax.barh(names, values, color=["#4477aa", "#cc6677", "#ddcc77"][:len(rows)])
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.3g}", va="center", fontsize=8)
        ax.set_xlim(0, max(values) * 1.2)
        ax.set_title(title)
        ax.invert_yaxis()
    fig.suptitle(f"BAPS vs FP16 datapath at {result['period_ns']:g} ns "
                 f"({result['library']}, fewest stages meeting it)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
