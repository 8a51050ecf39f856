"""The score-code × P-format table and its Pareto view.

One row per variant of every registered datapath (``Datapath.variants``: BAPS with every score
code and P format of ``golden.schemes.BAPS_CODES``, the FP16 online-softmax baseline, Softermax,
HCCS, E4M3 P-cast): each datapath synthesized with the same untimed area script and library at the
study tile shape (``registry.study_shape``: Br 2, ``lanes`` lanes, Bc = 8·lanes, a link FIFO of
depth 4, no pipeline stages), and for BAPS its EXP2 unit alone (table and structured, logic GE:
the unit without its registers). Per row: link bits per score, the vector-side area per lane (the datapath's ``lanes`` block, EXP2 units plus the row sums, divided by
the lanes), the matrix-side block, and from an ``accuracy.json`` of ``baps-rtl accuracy`` the
accuracy on the real model (embedding cosine, top-10 agreement, attention KL), on the passages at
the smallest Bc, and in the sink sweep (MSE of O at Δ = 8, and the worst ratio to E4M3 P-cast with
S = 256 over Δ = 4…12, every length and order).

``baps-rtl codes`` writes ``codes.json``, ``codes.md`` and ``codes.png``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..designs.errors import UsageError
from ..designs.registry import Config, datapaths, study_shape
from ..designs.schedule import run_longest_first
from .compare import model_figures, sink_figure
from .libraries import get_library
from .synthesize import synthesize
from ..designs.files import atomic_path, read_json, write_text

__all__ = ["CodeRow", "code_rows", "accuracy_columns", "pareto", "goals", "run_codes", "markdown"]

SINK_GOAL_DELTAS = range(4, 13)      # the issue's goal: no worse than E4M3 S = 256 for Δ = 4…12
SINK_REFERENCE = "e4m3_s256"
BAPS_HIF8 = "baps_hif8_hif8"


@dataclass(frozen=True)
class CodeRow:
    label: str
    family: str                       # "BAPS, <code kind>", "baseline" or "other scheme"
    config: Config                    # the datapath
    scheme: str                       # golden.schemes name (accuracy.json's variant and method)
    link_bits: int                    # per score
    score_format: str | None = None   # BAPS only
    p_format: str | None = None


def code_rows(lanes: int = 4) -> list[CodeRow]:
    """One row per variant of every registered datapath (``Datapath.variants``: BAPS with every
    score code and P format of ``golden.schemes.BAPS_CODES``, HiF8/HiF8 first), all at the study
    tile shape (``registry.study_shape``) with ``lanes`` lanes."""
    shape = study_shape(lanes)
    rows = []
    for design in datapaths():
        role = design.datapath
        for variant in role.variants:
            config = Config.of(design, {**shape, **role.study_params, **variant})
            p = config.params
            rows.append(CodeRow(role.label(p), role.family(p), config, role.scheme(p),
                                role.link_bits(p), getattr(p, "score_format", None),
                                getattr(p, "p_format", None)))
    return rows


def _identity(row: CodeRow) -> dict:
    """The columns of a row that come from the registry, not from synthesis."""
    return {"label": row.label, "family": row.family, "design": row.config.module_name,
            "name": row.config.name, "scheme": row.scheme, "score_format": row.score_format,
            "p_format": row.p_format, "link_bits": row.link_bits, "lanes": row.config.params.lanes,
            "params": row.config.params.as_dict()}


def _synthesize_row(row: CodeRow, lib, outdir: Path) -> dict:
    results = synthesize(row.config, lib, outdir / "synth")
    [top] = [r for r in results if r.block is None]
    blocks = {r.block: r for r in results if r.block}
    names = dict(zip(("matrix", "link", "vector"), row.config.design.datapath.blocks))
    lanes = row.config.params.lanes
    out = {**_identity(row),
           "total_ge": round(top.area_ge, 1),
           "matrix_ge": round(blocks[names["matrix"]].area_ge, 1),
           "link_ge": round(blocks[names["link"]].area_ge, 1),
           "vector_ge": round(blocks[names["vector"]].area_ge, 1),
           "vector_ge_per_lane": round(blocks[names["vector"]].area_ge / lanes, 1),
           "exp2_ge": None}
    if row.score_format is not None:
        out["exp2_ge"] = {}
        for impl in ("table", "split"):
            unit = Config.of("exp2_code", {"in_format": row.score_format,
                                           "out_format": row.p_format, "impl": impl})
            [r] = synthesize(unit, lib, outdir / "synth")
            out["exp2_ge"][impl] = round(r.combinational_ge, 1)
    return out


def accuracy_columns(scheme: str, accuracy: dict) -> dict:
    """The accuracy figures of one row from a loaded ``accuracy.json`` (a key is absent when the
    file lacks that section): ``cos_mean``, ``top10_agreement``, ``kl_mean`` (mean over layers),
    ``passage_cos_mean`` / ``passage_topk`` at the smallest passage Bc, ``sink_length`` and
    ``sink_mse`` (``compare.sink_figure``: Δ = 8, the longest length, forward) and ``sink_worst_ratio``: the largest MSE ratio
    to E4M3 S = 256 over Δ = 4…12, every length and order."""
    out = {**model_figures(accuracy, scheme), **sink_figure(accuracy, scheme)}
    passages = (accuracy.get("model") or {}).get("passages") or {}
    pv = passages.get("variants", {}).get(scheme)
    bc = str(min(passages["bcs"])) if pv else None
    if pv and bc in pv["bc"]:
        out.update(passage_bc=int(bc), passage_cos_mean=pv["bc"][bc]["cos_mean"],
                   passage_topk=pv["bc"][bc]["topk_agreement"])
    sink = accuracy.get("sink", [])
    mine = {(r["delta"], r["length"], r["order"]): r["mse"] for r in sink
            if r["method"] == scheme}
    if mine:
        ref = {(r["delta"], r["length"], r["order"]): r["mse"] for r in sink
               if r["method"] == SINK_REFERENCE}
        ratios = [mine[k] / ref[k] if ref[k] else (1.0 if mine[k] == 0 else float("inf"))
                  for k in mine if k[0] in SINK_GOAL_DELTAS and k in ref]
        if ratios:
            out["sink_worst_ratio"] = max(ratios)
            out["sink_cells"] = len(ratios)
    return out


METRICS = (("1 − cos", lambda a: 1 - a["cos_mean"] if "cos_mean" in a else None),
           ("1 − top-10", lambda a: 1 - a["top10_agreement"] if "top10_agreement" in a else None),
           ("attention KL", lambda a: a.get("kl_mean")),
           ("sink MSE / E4M3 S256", lambda a: a.get("sink_worst_ratio")))
"""The Pareto view's error metrics (lower is better), from a row's accuracy columns."""


def pareto(points: list[tuple]) -> list[bool]:
    """For each point (costs..., error), whether no other point is at most as costly and as
    wrong in every coordinate and better in one (None coordinates: not on the front)."""
    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))
    ok = [p for p in points if None not in p]
    return [None not in p and not any(dominates(q, p) for q in ok) for p in points]


def goals(rows: list[dict]) -> dict:
    """The issue's two goals, checked on the measured rows: the 8-bit goal (at most 8 link bits
    per score, cosine and top-10 at E4M3 P-cast's level, ≥ 0.99998 and ≥ 99.5 %, sink MSE no
    worse than E4M3 S = 256 for Δ = 4…12, vector-side area per lane no larger than BAPS-HiF8's)
    and the 6-bit goal (at most 6 bits, cosine and top-10 no worse than BAPS-HiF8's). Each: the
    rows that meet it, smallest vector area first, and for every BAPS row which criteria fail."""
    hif8 = next((r for r in rows if r["scheme"] == BAPS_HIF8), None)
    if hif8 is None or "cos_mean" not in hif8["accuracy"]:
        return {}
    ref = hif8["accuracy"]
    eight = {"≤ 8 bits": lambda r, a: r["link_bits"] <= 8,
             "cos ≥ 0.99998": lambda r, a: a.get("cos_mean", 0) >= 0.99998,
             "top-10 ≥ 99.5 %": lambda r, a: a.get("top10_agreement", 0) >= 0.995,
             "sink ≤ E4M3 S256": lambda r, a: a.get("sink_worst_ratio", float("inf")) <= 1.0,
             "vector area ≤ BAPS-HiF8": lambda r, a: (r["vector_ge_per_lane"]
                                                      <= hif8["vector_ge_per_lane"])}
    six = {"≤ 6 bits": lambda r, a: r["link_bits"] <= 6,
           "cos ≥ BAPS-HiF8": lambda r, a: a.get("cos_mean", 0) >= ref["cos_mean"],
           "top-10 ≥ BAPS-HiF8": lambda r, a: (a.get("top10_agreement", 0)
                                               >= ref["top10_agreement"])}
    out = {}
    for name, tests in (("8-bit", eight), ("6-bit", six)):
        fails = {r["scheme"]: [k for k, t in tests.items() if not t(r, r["accuracy"])]
                 for r in rows}
        met = sorted((r for r in rows if not fails[r["scheme"]]),
                     key=lambda r: r["vector_ge_per_lane"])
        out[name] = {"criteria": list(tests), "met": [r["scheme"] for r in met],
                     "fails": {k: v for k, v in fails.items() if v}}
    return out


_GE = {"type": "number", "minimum": 0}

CODES_JSON = {
    "title": "the codes.json written by `baps-rtl codes`",
    "type": "object", "required": ["library", "lanes", "rows"],
    "properties": {
        "library": {"type": "string"}, "lanes": {"type": "integer"},
        "rows": {"type": "array", "items": {
            "type": "object",
            "required": ["design", "total_ge", "matrix_ge", "link_ge", "vector_ge",
                         "vector_ge_per_lane", "exp2_ge"],
            "properties": {
                "design": {"type": "string"}, "total_ge": _GE, "matrix_ge": _GE, "link_ge": _GE,
                "vector_ge": _GE, "vector_ge_per_lane": _GE,
                "exp2_ge": {"oneOf": [{"type": "null"}, {
                    "type": "object", "required": ["table", "split"],
                    "properties": {"table": _GE, "split": _GE}}]}}}}},
}
"""What ``--areas-from`` reads of a ``codes.json`` (JSON Schema): the synthesized areas."""
_AREA_FIELDS = ("total_ge", "matrix_ge", "link_ge", "vector_ge", "vector_ge_per_lane", "exp2_ge")


def _reused_areas(path: Path, library: str, lanes: int, items: list[CodeRow]) -> list[dict]:
    """The rows of ``items`` with their synthesized areas from an earlier ``codes.json`` (the
    other columns from the registry); ``UsageError`` when it is not one, or was made with another
    library, lane count or without one of the rows."""
    what = f"--areas-from {path}"
    old = read_json(path, CODES_JSON, what)
    rows = {r["design"]: r for r in old["rows"]}
    missing = [i.config.module_name for i in items if i.config.module_name not in rows]
    same = (old["library"], old["lanes"]) == (library, lanes)
    if not same or missing:
        raise UsageError(f"{what}: made with library {old['library']}, {old['lanes']} lanes"
                         + (f", without {', '.join(missing)}" if same else "")
                         + f"; allowed: a codes.json of {library}, {lanes} lanes with every row")
    return [{**_identity(i), **{k: rows[i.config.module_name][k] for k in _AREA_FIELDS}}
            for i in items]


def run_codes(outdir: Path, accuracy: dict | None, *, library: str = "generic", lanes: int = 4,
              jobs: int = 2, accuracy_source: str = "", only: tuple | None = None,
              areas_from: Path | None = None) -> dict:
    """Synthesize every row of ``code_rows`` (``only``: the rows of these schemes), attach
    the accuracy columns, write ``codes.json``, ``codes.md`` and ``codes.png``; return the data.
    ``areas_from``: take the synthesized areas from that earlier ``codes.json`` instead (to attach
    another accuracy.json without synthesizing again)."""
    outdir = Path(outdir).resolve()           # jobs may run in other processes (Dask workers)
    items = code_rows(lanes)
    if only is not None:
        unknown = sorted(set(only) - {i.scheme for i in items})
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not a row of the code table; allowed: "
                             f"{', '.join(i.scheme for i in items)}")
        items = [i for i in items if i.scheme in only]
    if areas_from is not None:
        rows = _reused_areas(areas_from, library, lanes, items)
    else:
        lib = get_library(library, outdir / "cells")
        rows = run_longest_first([i.config for i in items],
                                 lambda c: _synthesize_row(next(i for i in items if i.config == c),
                                                           lib, outdir), jobs)
    for r in rows:
        r["accuracy"] = (accuracy_columns(r["scheme"], accuracy)
                         if accuracy else {})
    for label, metric in METRICS:
        front = pareto([(r["vector_ge_per_lane"], r["link_bits"], metric(r["accuracy"]))
                        for r in rows])
        for r, on in zip(rows, front):
            r.setdefault("pareto", {})[label] = on
    result = {"library": library, "lanes": lanes,
              "shape": {k: v for k, v in items[0].config.params.as_dict().items()
                        if k in ("br", "bc", "lanes", "link_depth")},
              "accuracy_source": accuracy_source, "rows": rows, "goals": goals(rows)}
    outdir.mkdir(parents=True, exist_ok=True)
    write_text(outdir / "codes.json", json.dumps(result, indent=2) + "\n")
    write_text(outdir / "codes.md", markdown(result))
    _plot(result, outdir / "codes.png")
    return result


def _f(x, fmt):
    return "–" if x is None else format(x, fmt)


def markdown(result: dict) -> str:
    shape = result["shape"]
    head = ["design", "link bits per score", "EXP2 logic GE table / split", "vector GE per lane",
            "matrix-side GE", "1 − cos (model)", "top-10", "attention KL",
            "passages 1 − cos", "sink MSE (Δ 8)", "sink worst / E4M3 S256", "Pareto (of 4)"]
    lines = [f"Every datapath synthesized untimed with the same area script on {result['library']}"
             f" (GE: NAND2 equivalents), Br {shape['br']}, {shape['lanes']} lanes, Bc "
             f"{shape['bc']}, link FIFO depth {shape['link_depth']}, no pipeline stages. Vector "
             "GE per lane: the vector-side block (EXP2 units, P to the row sums' fixed point, "
             "the sums and their output) over the lanes. Accuracy: "
             f"{result['accuracy_source'] or 'none given'}.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(result["rows"], key=lambda r: (not r["family"].startswith("BAPS"),
                                                   r["vector_ge_per_lane"])):
        a = r["accuracy"]
        e = r["exp2_ge"]
        cos = a.get("cos_mean")
        pcos = a.get("passage_cos_mean")
        top = a.get("top10_agreement")
        lines.append("| " + " | ".join([
            r["label"], str(r["link_bits"]),
            f"{e['table']:.0f} / {e['split']:.0f}" if e else "–",
            f"{r['vector_ge_per_lane']:.0f}", f"{r['matrix_ge']:.0f}",
            _f(None if cos is None else 1 - cos, ".2e"),
            _f(None if top is None else 100 * top, ".2f") + ("%" if top is not None else ""),
            _f(a.get("kl_mean"), ".3g"), _f(None if pcos is None else 1 - pcos, ".2e"),
            _f(a.get("sink_mse"), ".3g"), _f(a.get("sink_worst_ratio"), ".3g"),
            str(sum(r["pareto"].values()))]) + " |")
    lines += ["", "Pareto: on how many of the four fronts (vector GE per lane, link bits per "
              "score and one error: 1 − cos, 1 − top-10, KL, sink ratio) the row is not "
              "dominated. Passages: the smallest Bc of the accuracy report. Sink worst: the "
              "largest ratio of the row's MSE of O to E4M3 P-cast's (S = 256) over Δ = 4…12, "
              "every length and both orders (≤ 1: never worse)."]
    for name, g in result.get("goals", {}).items():
        lines += ["", f"**{name} goal** ({'; '.join(g['criteria'])}): "
                  + (f"met by {', '.join(g['met'])}" if g["met"] else "met by no design")
                  + "."]
        close = sorted(((len(v), k, v) for k, v in g["fails"].items()), key=lambda x: x[0])[:6]
        lines += [f"- {k}: fails {', '.join(v)}" for _, k, v in close]
    return "\n".join(lines) + "\n"


COLORS = {"BAPS, float score code": "#4477aa", "BAPS, fixed distance code": "#228833",
          "BAPS, tapered distance code": "#ee6677", "baseline": "#222222",
          "other scheme": "#aa7733"}
MARKERS = {"hif8": "o", "fp16": "s", "e4m3": "^", "q1.15": "D", None: "X"}


def _short(r: dict) -> str:
    if r["score_format"] is None:
        return r["label"].split(" (")[0]
    return f"{r['score_format']}/{r['p_format']}"


def _plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = result["rows"]
    fig, axes = plt.subplots(2, len(METRICS), figsize=(5.2 * len(METRICS), 9.5), squeeze=False)
    for col, (label, metric) in enumerate(METRICS):
        pts = [(r, metric(r["accuracy"])) for r in rows]
        pts = [(r, y) for r, y in pts if y is not None]
        floor = 0.3 * min((y for _, y in pts if y > 0), default=1.0)    # an exact 0 plots here
        pts = [(r, max(y, floor)) for r, y in pts]
        for row_i, (xkey, xlabel) in enumerate((("vector_ge_per_lane", "vector-side GE per lane"),
                                                ("link_bits", "link bits per score"))):
            ax = axes[row_i][col]
            if not pts:
                ax.set_visible(False)
                continue
            for r, y in pts:
                ax.scatter(r[xkey], y, color=COLORS[r["family"]],
                           marker=MARKERS.get(r["p_format"], "X"), s=42 if r["pareto"][label]
                           else 18, edgecolors="black" if r["pareto"][label] else "none")
                if r["pareto"][label] or r["score_format"] in (None, "hif8"):
                    ax.annotate(_short(r), (r[xkey], y), fontsize=6,
                                xytext=(3, 2), textcoords="offset points")
            if row_i == 0:                  # the front in area and this error
                front = sorted((r[xkey], y) for r, y in pts)
                best, step = float("inf"), []
                for x, y in front:
                    if y < best:
                        best = y
                        step.append((x, y))
                ax.step(*zip(*step), where="post", color="grey", lw=0.8, ls="--")
            ax.set_yscale("log")
            if row_i == 0:
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=f)
               for f, c in COLORS.items()]
    handles += [plt.Line2D([], [], color="grey", marker=m, ls="", label=f"P {p or 'own'}")
                for p, m in MARKERS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"Score codes and P formats: area and link bits against accuracy "
                 f"({result['library']}, {result['lanes']} lanes; large marks: Pareto front, "
                 "dashed: the front in area; an error of 0 sits at the panel's floor)")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
