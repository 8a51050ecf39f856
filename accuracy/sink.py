"""The attention-sink P-collapse stress test (``../shared/spec/comparisons.md``).

Logits: N(0, 1) for every key plus a 4-token sink at +Δ (keys 0..3), natural-log units, converted
to base 2 (t = s·log2 e). V ~ N(0, 1). Keys are visited forward (sink block first) or reversed
(sink block last). Metric: MSE of O = softmax·V against float64, averaged over query rows. Methods:
E4M3 P with S = 1 and S = 256 (FlashAttention-3: row sum from the FP32 P), the quantized-sum
ablation with S = 1, BAPS (HiF8 x and P, and ``CODES``: the other score codes and P formats of
``softmax_variants.BAPS_CODES``), the FP16 baseline, Softermax (drop-in, base-2 scores) and HCCS
with one head calibrated (``hccs_calibration``) on 64 sink-free N(0, 1) rows of 512 keys
(seeded): the sweep shows how a calibrated clipped-linear surrogate meets a sink it was not
calibrated for. Seeded: the same logits and V for every method at a given (Δ, length, trial).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..golden.formats import get_format
from .softmax_variants import BAPS_CODES, baps_code_name, softmax_probs

__all__ = ["SinkConfig", "METHODS", "CODES", "SHOWN", "sink_sweep"]

CODES = {baps_code_name(s, p): (s, p) for s, p in BAPS_CODES}
"""The score code and P format of the BAPS methods beyond ``hif8_baps`` (HiF8 x and P): the same
variants as the model's."""
SHOWN = ("e4m3_s1", "e4m3_s256", "e4m3_qsum_s1", "hif8_baps", "fp16_online", "softermax_dropin",
         "hccs", *(baps_code_name(s, p) for s, p in (("u5.4/e2", "fp16"), ("u4.4", "fp16"),
                                                      ("u4.3/e2", "fp16"), ("u5.4/e2", "hif8"))))
"""The methods of the Markdown tables and the plot (every method is in the JSON and CSV, and in
``baps-rtl codes``)."""
METHODS = {  # name → (variant, scale_log2)
    "e4m3_s1": ("e4m3", 0),
    "e4m3_s256": ("e4m3", 8),
    "e4m3_qsum_s1": ("e4m3_qsum", 0),      # ablation: the row sum adds the quantized P
    "hif8_baps": ("baps", 0),
    "fp16_online": ("fp16", 0),
    "softermax_dropin": ("softermax", 0),
    "hccs": ("hccs", 0),                   # one head, calibrated on sink-free N(0, 1) rows
    **{name: ("baps", 0) for name in CODES},
}
SCORE_BITS = {"e4m3_s1": 32, "e4m3_s256": 32, "e4m3_qsum_s1": 32, "hif8_baps": 8,
              "fp16_online": 16, "softermax_dropin": 8, "hccs": 8,
              **{name: get_format(code[0]).width for name, code in CODES.items()}}
"""Link bits per score."""
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
            for name, (variant, scale) in METHODS.items():
                score_format, p_format = CODES.get(name, ("hif8", "hif8"))
                o = softmax_probs(tt, variant, bc=cfg.bc, scale_log2=scale,
                                  heads=heads if variant == "hccs" else None,
                                  score_format=score_format, p_format=p_format) @ vv
                records.append({"delta": delta, "length": n, "order": order, "method": name,
                                "score_bits": SCORE_BITS[name],
                                "mse": float(np.mean((o - o_ref) ** 2))})
        if progress:
            progress(1)
    return records
