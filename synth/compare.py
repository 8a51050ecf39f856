"""The system comparison: BAPS, the FP16 online-softmax baseline (at equal lanes and at equal
link width) and the other seeds' schemes (Softermax, HCCS, FP8 E4M3 P-cast with S = 256) at
equal lanes, each mapped for one clock period on OSU018 with the fewest pipeline stages that meet
it (a design without stages is mapped once and reports its minimum period); per design its logic
area per block, storage bits, link bits per score, throughput measured in simulation, power and
energy per score from the gate-level activity of a real stream, and, from an ``accuracy.json``
of ``baps-rtl accuracy``, its accuracy on the real model and in the sink sweep.

``baps-rtl compare`` writes ``compare.json``, ``compare.md`` and ``compare.png``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from ..designs.registry import Config, datapaths, study_shape
from ..designs.schedule import run_longest_first
from .flow import check_period, synthesize_for_period
from .libraries import get_library
from .power import POWER_SETUP, power_of_netlist
from .user_rtl import UserDatapath, user_datapath
from ..designs.errors import UsageError
from .sta import STA_SETUP
from ..designs.files import atomic_path, read_json, write_text

__all__ = ["ComparedDesign", "compare_configs", "run_compare", "markdown", "power_stimulus",
           "accuracy_of", "model_figures", "sink_figure", "load_accuracy"]

SINK_DELTA = 8                   # the sink-sweep column: Δ = 8, the longest length, forward order
POWER_CASE = "medium"            # N(0, 2²) scores: the realistic tile of golden.baps_stream
POWER_BLOCKS = 48                # key blocks in the power stream


@dataclass
class ComparedDesign:
    label: str
    comparison: str               # which comparison the row belongs to
    config: Config


def compare_configs(lanes: int) -> list[ComparedDesign]:
    """Every registered datapath's rows (``Datapath.compare_rows``) at the study tile shape
    (``registry.study_shape``) with ``lanes`` BAPS lanes: BAPS first (the reference), the FP16
    baseline at equal lanes (twice the link) and at equal link width (lanes / 2), the other
    schemes at equal lanes."""
    shape = study_shape(lanes)
    items = []
    for design in datapaths():
        role = design.datapath
        for label, comparison, extra in role.compare_rows(lanes):
            config = Config.of(design, {**shape, **role.study_params, **extra})
            items.append(ComparedDesign(label or role.label(config.params), comparison, config))
    return items


def power_stimulus(config: Config, blocks: int) -> list[int]:
    """About ``blocks`` key blocks of ``POWER_CASE`` tiles (seed 1), from the datapath's
    registration."""
    return config.design.datapath.power_stimulus(config.params, POWER_CASE, blocks)


def _row(item: ComparedDesign, period_ns: float, outdir: Path, lib, blocks: int) -> dict:
    rows = synthesize_for_period(item.config, lib, outdir / "synth", period_ns)
    [top] = [r for r in rows if r.block is None]
    by_block = {r.block: r for r in rows if r.block}
    # the configuration that met the period (or the most stages)
    config = item.config
    user = isinstance(config, UserDatapath)
    if top.stages is not None and not user:
        config = Config(config.design, dataclasses.replace(config.params, stages=top.stages))
    p = config.params
    role = config.design.datapath
    beats = power_stimulus(config, blocks)
    scores = len(beats) * p.lanes
    power = power_of_netlist(config, lib, top, period_ns, beats, scores,
                             outdir / "power" / config.module_name)
    code_bits = role.link_bits(p)                                          # bits per score
    names = dict(zip(("matrix", "link", "vector"), role.blocks))
    dff_ge = _dff_ge(lib)
    logic_ge = top.combinational_ge
    return {
        "design": config.module_name, "name": config.name, "label": item.label,
        "scheme": role.scheme(p),
        "comparison": item.comparison,
        "params": p.as_dict(), "lanes": p.lanes, "link_bits": code_bits * p.lanes,
        "stages": None if user else top.stages,
        "scores_per_cycle": round(power.scores_per_cycle, 4),
        "period_ns": period_ns, "delay_ns": top.delay_ns,
        "meets_period": top.delay_ns is not None and top.delay_ns <= period_ns,
        "logic_ge": round(logic_ge, 1), "registers_ge": round(top.sequential_ge, 1),
        "total_ge": round(top.area_ge, 1),
        "blocks_logic_ge": {k: round(by_block[b].combinational_ge, 1) for k, b in names.items()
                            if b in by_block},
        "blocks_total_ge": {k: round(by_block[b].area_ge, 1) for k, b in names.items()
                            if b in by_block},
        "storage_bits": top.storage_bits,
        "storage_ff_ge": round(top.storage_bits * dff_ge, 1),
        "power_mw": round(power.power_mw, 4), "pj_per_score": round(power.pj_per_score, 4),
        "scores_per_cycle_per_kge": round(power.scores_per_cycle / (logic_ge / 1000), 5),
        # at the design's own minimum period: the fair throughput of a design that misses it
        "scores_per_ns_per_kge": (round(power.scores_per_cycle / top.delay_ns / (logic_ge / 1000),
                                        5) if top.delay_ns else None),
        "power": power.as_dict(), "netlist_matches_golden": power.passed,
    }


def _dff_ge(lib) -> float:
    """GE of the library's D flip-flop (OSU018 DFFPOSX1: 96 µm² / 24)."""
    import re
    text = Path(lib.liberty).read_text()
    m = re.search(r"cell\s*\(\s*DFFPOSX1\s*\)\s*\{\s*area\s*:\s*([\d.]+)", text)
    return float(m.group(1)) / lib.nand2_area if m else 0.0


def accuracy_of(scheme: str, accuracy: dict | None) -> dict | None:
    """A scheme's accuracy figures from an ``accuracy.json`` (None without one): embedding
    cosine (mean), top-10 agreement and attention KL (mean over layers) on the model, and the
    sink-sweep MSE of O at Δ = ``SINK_DELTA``, the longest length, forward order."""
    if accuracy is None:
        return None
    return {"scheme": scheme, **model_figures(accuracy, scheme), **sink_figure(accuracy, scheme)}


def model_figures(accuracy: dict, scheme: str) -> dict:
    """``cos_mean``, ``top10_agreement`` and ``kl_mean`` (mean over layers) of a scheme on the
    model in a loaded ``accuracy.json`` ({} without it)."""
    model = (accuracy.get("model") or {}).get("variants", {}).get(scheme)
    if not model:
        return {}
    return {"cos_mean": model["cos_mean"], "top10_agreement": model["top10_agreement"],
            "kl_mean": sum(x["kl_mean"] for x in model["layers"]) / len(model["layers"])}


def sink_figure(accuracy: dict, scheme: str) -> dict:
    """``sink_length`` and ``sink_mse``: the sink sweep's MSE of O of ``scheme`` at Δ =
    ``SINK_DELTA``, the longest length, forward order ({} without it)."""
    sink = [r for r in accuracy.get("sink", []) if r["method"] == scheme
            and r["order"] == "forward" and r["delta"] == SINK_DELTA]
    if not sink:
        return {}
    longest = max(r["length"] for r in sink)
    return {"sink_length": longest,
            "sink_mse": next(r["mse"] for r in sink if r["length"] == longest)}


_NUMBER = {"type": "number"}
_OBJECT_OR_NULL = ["object", "null"]

ACCURACY_JSON = {
    "title": "the accuracy.json written by `baps-rtl accuracy`",
    "type": "object", "required": ["sink"],
    "properties": {
        "sink": {"type": "array", "items": {
            "type": "object", "required": ["method", "order", "delta", "length", "mse"],
            "properties": {"method": {"type": "string"}, "order": {"type": "string"},
                           "delta": _NUMBER, "length": {"type": "integer"},
                           "mse": {"type": "number", "minimum": 0}}}},
        "model": {"type": _OBJECT_OR_NULL, "properties": {
            "variants": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["cos_mean", "top10_agreement", "layers"],
                "properties": {"cos_mean": _NUMBER, "top10_agreement": _NUMBER,
                               "layers": {"type": "array", "minItems": 1, "items": {
                                   "type": "object", "required": ["kl_mean"],
                                   "properties": {"kl_mean": _NUMBER}}}}}},
            "passages": {"type": _OBJECT_OR_NULL, "required": ["bcs", "variants"], "properties": {
                "bcs": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                "variants": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["bc"], "properties": {
                        "bc": {"type": "object", "additionalProperties": {
                            "type": "object", "required": ["cos_mean", "topk_agreement"],
                            "properties": {"cos_mean": _NUMBER,
                                           "topk_agreement": _NUMBER}}}}}}}}}}},
}
"""What ``compare`` and ``codes`` read of an ``accuracy.json`` (JSON Schema)."""


def load_accuracy(path: Path | None) -> dict | None:
    """``accuracy.json`` at ``path`` (None: no accuracy columns); ``UsageError`` naming a file
    that cannot be read or is not one (``ACCURACY_JSON``)."""
    if path is None:
        return None
    return read_json(path, ACCURACY_JSON, f"--accuracy {path}")


def run_compare(outdir: Path, period_ns: float = 5.0, lanes: int = 4, jobs: int = 2,
                blocks: int = POWER_BLOCKS, accuracy: dict | None = None,
                accuracy_source: str = "", designs: tuple | None = None,
                user: tuple | None = None) -> dict:
    """Synthesize, simulate and measure the designs of ``compare_configs``; write
    ``compare.json``, ``compare.md`` and ``compare.png`` in ``outdir``; return the JSON data.
    ``blocks``: key blocks of the power stream; ``accuracy``: a loaded ``accuracy.json``;
    ``designs``: only the rows of these registered designs (default: every row); ``user``: a
    user's RTL and the registered datapath whose stream it speaks (``user_rtl.UserRtl``, design
    name), one more row after that datapath's first (its golden model checks the netlist; its
    accuracy columns only when the netlist matched it)."""
    outdir = Path(outdir).resolve()           # jobs may run in other processes (Dask workers)
    lib = get_library("osu018", outdir / "cells")
    check_period(period_ns, lib)
    items = [i for i in compare_configs(lanes) if designs is None or i.config.name in designs]
    if user is not None:
        rtl, like_name = user
        like = next((i for i in compare_configs(lanes) if i.config.name == like_name), None)
        if like is None:
            raise UsageError(f"--as {like_name!r} is not a compared datapath; allowed: "
                             f"{', '.join(sorted({i.config.name for i in compare_configs(lanes)}))}")
        mine = user_datapath(rtl, like.config, outdir / "user")
        items.append(ComparedDesign(f"user RTL {rtl.top}", f"user RTL, {like.label}'s stream",
                                    mine))
    rows = run_longest_first([i.config for i in items],
                             lambda c: _row(next(i for i in items if i.config == c), period_ns,
                                            outdir, lib, blocks), jobs)
    for r in rows:
        r["accuracy"] = (accuracy_of(r["scheme"], accuracy) if r["netlist_matches_golden"]
                         else None)
    result = {"period_ns": period_ns, "lanes": lanes, "library": lib.name,
              "timing": STA_SETUP.replace("no buffer insertion", "buffers and sizing by ABC"),
              "power": POWER_SETUP,
              "stimulus": f"{blocks} key blocks of `{POWER_CASE}` tiles, seed 1",
              "accuracy_source": accuracy_source,
              "rows": rows}
    outdir.mkdir(parents=True, exist_ok=True)
    write_text(outdir / "compare.json", json.dumps(result, indent=2) + "\n")
    write_text(outdir / "compare.md", markdown(result))
    _plot(result, outdir / "compare.png")
    return result


def markdown(result: dict) -> str:
    rows = result["rows"]
    base = rows[0]
    head = ["design", "comparison", "lanes", "link bits", "link bits per score", "stages",
            "min period (ns)", "scores/cycle", "logic GE (matrix / link / vector)", "logic GE",
            "registers GE", "storage bits", "mW", "pJ/score", "scores/cycle/kGE",
            "× BAPS scores/cycle/kGE", "scores/ns/kGE at min period", "× BAPS pJ/score"]
    lines = [f"Every datapath mapped for {result['period_ns']:g} ns on {result['library']} with "
             "the fewest stages that meet it (or the most it has; E4M3 P-cast is mapped with all "
             f"its cuts at once), {result['lanes']} BAPS lanes.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        b = r["blocks_logic_ge"]
        blocks = (f"{b['matrix']:.0f} / {b['link']:.0f} / {b['vector']:.0f}" if b
                  else "– (user RTL)")
        meets = "" if r["meets_period"] else " (misses)"
        per_ns = r.get("scores_per_ns_per_kge")
        lines.append("| " + " | ".join([
            r["design"], r["comparison"], str(r["lanes"]), str(r["link_bits"]),
            str(r["link_bits"] // r["lanes"]), str(r["stages"] if r["stages"] is not None else "–"),
            f"{r['delay_ns']:.2f}{meets}", f"{r['scores_per_cycle']:.3f}",
            blocks, f"{r['logic_ge']:.0f}",
            f"{r['registers_ge']:.0f}", str(r["storage_bits"]), f"{r['power_mw']:.2f}",
            f"{r['pj_per_score']:.3f}", f"{r['scores_per_cycle_per_kge']:.4f}",
            f"{r['scores_per_cycle_per_kge'] / base['scores_per_cycle_per_kge']:.3f}",
            f"{per_ns:.5f}" if per_ns else "–",
            f"{r['pj_per_score'] / base['pj_per_score']:.3f}"]) + " |")
    lines += ["", f"Timing: {result['timing']}.", "",
              f"Power: {result['power']}; stimulus: {result['stimulus']}.", "",
              "Logic GE: combinational cells (registers apart); storage bits: the row and tile "
              "buffers and the link FIFO, counted before synthesis maps them to flip-flops (their "
              "flip-flops are in the registers column; `storage_ff_ge` in the JSON). Scores per "
              "cycle: measured in the gate-level simulation, first input to last output, no "
              "stalls. Scores/ns/kGE: at the design's own minimum period (the fair figure for a "
              "design that misses the target). Open-library figures for comparing designs, not "
              "sign-off."]
    acc = [r for r in rows if r.get("accuracy")]
    if acc:
        lines += ["", f"Accuracy ({result.get('accuracy_source', 'accuracy.json')}): the "
                  "design's variant on the real model (embedding cosine and top-10 agreement "
                  "against the FP32 model, attention KL mean over layers) and the sink sweep's "
                  f"MSE of O (Δ = {SINK_DELTA}, the longest length, forward order).", "",
                  "| design | scheme | link bits per score | embedding cos (mean) | "
                  "top-10 agreement | attention KL | sink MSE of O |",
                  "|---|---|---|---|---|---|---|"]
        for r in acc:
            a = r["accuracy"]
            cos = f"{a['cos_mean']:.6f}" if "cos_mean" in a else "–"
            top = f"{100 * a['top10_agreement']:.1f}%" if "top10_agreement" in a else "–"
            kl = f"{a['kl_mean']:.3g}" if "kl_mean" in a else "–"
            mse = f"{a['sink_mse']:.3g}" if "sink_mse" in a else "–"
            lines.append(f"| {r['design']} | {a['scheme']} | {r['link_bits'] // r['lanes']} | "
                         f"{cos} | {top} | {kl} | {mse} |")
    return "\n".join(lines) + "\n"


def _plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = result["rows"]
    names = [f"{r['label']}\n({r['lanes']} lanes, {r['link_bits']}-bit link)" for r in rows]
    acc = [r for r in rows if (r.get("accuracy") or {}).get("cos_mean") is not None]
    fig, axes = plt.subplots(1, 3 if acc else 2, figsize=(16 if acc else 11, 4.6))
    colors = ["#4477aa", "#cc6677", "#ddcc77", "#117733", "#882255", "#44aa99", "#999933"]
    for ax, key, title in ((axes[0], "scores_per_cycle_per_kge", "scores / cycle / kGE logic"),
                           (axes[1], "pj_per_score", "energy per score (pJ)")):
        values = [r[key] for r in rows]
        ax.barh(names, values, color=colors[:len(rows)])
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.3g}", va="center", fontsize=8)
        ax.set_xlim(0, max(values) * 1.2)
        ax.set_title(title)
        ax.invert_yaxis()
    if acc:
        ax = axes[2]
        for r in acc:
            x = r.get("scores_per_ns_per_kge") or 0
            y = max(1 - r["accuracy"]["cos_mean"], 1e-9)
            ax.scatter(x, y, s=40, color=colors[rows.index(r) % len(colors)])
            ax.annotate(f"{r['label']} ({r['link_bits'] // r['lanes']} b)", (x, y), fontsize=7,
                        xytext=(4, 2), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xlabel("scores / ns / kGE logic (own minimum period)")
        ax.set_ylabel("1 − embedding cosine (real model)")
        ax.set_title("throughput per area vs accuracy")
    fig.suptitle(f"Softmax datapaths at {result['period_ns']:g} ns "
                 f"({result['library']}, fewest stages meeting it)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
