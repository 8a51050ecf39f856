"""The attention-sink P-collapse stress test (``docs/spec/comparisons.md``).

Logits: N(0, 1) for every key plus a 4-token sink at +Δ (keys 0..3), natural-log units, converted
to base 2 (t = s·log2 e). V ~ N(0, 1). Keys are visited forward (sink block first) or reversed
(sink block last). Metric: MSE of O = softmax·V against float64, averaged over query rows. Methods:
every scheme of ``golden.schemes`` (E4M3 P with S = 1 and S = 256, FlashAttention-3: row sum from
the FP32 P; the quantized-sum ablation; BAPS with every score code and P format of
``BAPS_CODES``; the FP16 baseline; Softermax, drop-in and as published; HCCS
with one head calibrated (``hccs_calibration``) on 64 sink-free N(0, 1) rows of 512 keys
(seeded): the sweep shows how a calibrated clipped-linear surrogate meets a sink it was not
calibrated for. Seeded: the same logits and V for every method at a given (Δ, length, trial).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..golden.schemes import SCHEMES, baps_scheme_name, softmax_probs

__all__ = ["SinkConfig", "METHODS", "SHOWN", "sink_sweep"]

METHODS = tuple(name for name, s in SCHEMES.items() if s.kind != "reference")
"""The sweep's methods: every scheme of ``golden.schemes`` but the float64 reference."""
SHOWN = (baps_scheme_name("hif8", "hif8"),
         *(m for m in METHODS if not m.startswith("baps_")),
         *(baps_scheme_name(s, p) for s, p in (("u5.4/e2", "fp16"), ("u4.4", "fp16"),
                                               ("u4.3/e2", "fp16"), ("u5.4/e2", "hif8"))))
"""The methods of the Markdown tables and the plot (every method is in the JSON and CSV, and in
``baps-rtl codes``)."""
SINK_TOKENS = 4


@dataclass(frozen=True)
class SinkConfig:
    deltas: tuple = tuple(range(4, 14))
    lengths: tuple = (512, 1024, 2048, 4096, 8192, 16384)
    rows: int = 16            # query rows per (Δ, length)
    dv: int = 64              # value width
    bc: int = 64              # key block size
    seed: int = 2026


def _case(cfg: SinkConfig, delta: float, n: int):
    rng = np.random.default_rng([cfg.seed, int(delta * 100), n])
    logits = rng.standard_normal((cfg.rows, n))
    logits[:, :SINK_TOKENS] += delta
    v = rng.standard_normal((n, cfg.dv))
    return (logits * np.log2(np.e)).astype(np.float32), v


def sink_hccs_head(cfg: SinkConfig):
    """The HCCS head of the sweep: calibrated on 64 sink-free N(0, 1) rows of 512 keys."""
    from .hccs_calibration import SAMPLES, calibrate_head
    rng = np.random.default_rng([cfg.seed, 64])
    t = (rng.standard_normal((SAMPLES, 512)) * np.log2(np.e)).astype(np.float32)
    return calibrate_head(t)[0]


def sink_sweep(cfg: SinkConfig = SinkConfig(), progress=None) -> list[dict]:
    """One record per (Δ, length, order, method): MSE of O against float64."""
    records = []
    heads = [sink_hccs_head(cfg)] * cfg.rows
    cases = list(itertools.product(cfg.deltas, cfg.lengths))
    for delta, n in cases:
        t, v = _case(cfg, delta, n)
        o_ref = softmax_probs(t, "fp64", bc=cfg.bc) @ v
        for order in ("forward", "reverse"):
            tt, vv = (t, v) if order == "forward" else (t[:, ::-1], v[::-1])
            for name in METHODS:
                o = softmax_probs(tt, name, bc=cfg.bc,
                                  heads=heads if SCHEMES[name].needs_heads else None) @ vv
                records.append({"delta": delta, "length": n, "order": order, "method": name,
                                "score_bits": SCHEMES[name].link_bits,
                                "mse": float(np.mean((o - o_ref) ** 2))})
        if progress:
            progress(1)
    return records
