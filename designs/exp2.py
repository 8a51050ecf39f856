"""The EXP2 units: ``exp2_code`` (2^x of any score code into any P format; ``exp2_hif8`` is its
other name with HiF8 in) and ``exp2_fp16`` (the FP16 baseline), verified on every input code."""

from __future__ import annotations

import itertools

import numpy as np
from amaranth import unsigned

from ..golden import exp2_fp16_model
from ..golden.exp2 import exp2_reference
from ..golden.formats import get_format
from ..hdl.exp2_code import IMPL, IN_FORMAT, OUT_FORMAT, Exp2Code
from ..hdl.exp2_fp16 import ACCURACY, Exp2FP16
from .registry import Design, DesignParams, design_params, name_token, register, register_alias

__all__ = ["Exp2CodeParams", "Exp2FP16Params", "HIF8_REGRESS"]


def _every_code(fmt_name: str, seed: int) -> list[int]:
    """Every input code once, in a seeded random order: each input bit rises and falls many
    times (an ascending sweep lowers the top bit never), which toggle coverage counts."""
    codes = np.random.default_rng(seed).permutation(1 << get_format(fmt_name).width)
    return [int(c) for c in codes]


@design_params(*Exp2Code.PARAMS)
class Exp2CodeParams(DesignParams):
    def layouts(self):
        return (unsigned(get_format(self.in_format).width),
                unsigned(get_format(self.out_format).width))


@design_params(*Exp2FP16.PARAMS)
class Exp2FP16Params(DesignParams):
    def layouts(self):
        return unsigned(16), unsigned(16)


def _stages_suffix(p) -> str:
    return f"_stages{p.stages}" if p.stages else ""


HIF8_REGRESS = tuple({"in_format": "hif8", "impl": i, "out_format": o}
                     for i, o in itertools.product(IMPL.choices, ("fp16", "hif8"))) + (
    {"in_format": "hif8", "impl": "split", "out_format": "fp16", "stages": 1},)
"""The HiF8 unit the paper's area claim is about: both implementations into FP16 and HiF8, and
the input cut."""

# The cocotb regression: the HiF8 unit as above, then every other score code once, P formats
# rotating, the implementations alternating (every pair is exhaustively exact in the Amaranth
# tests).
CODE_REGRESS = tuple({"in_format": s, "out_format": OUT_FORMAT.choices[k % len(OUT_FORMAT.choices)],
                      "impl": IMPL.choices[k % 2]}
                     for k, s in enumerate(IN_FORMAT.choices) if s != "hif8")

register(Design(
    name="exp2_code",
    description="2^x of any score code (HiF8, E4M3, E5M2, distance codes uI.F), correctly "
                "rounded to any P format (HiF8 TA, FP16, E4M3, qI.F)",
    params=Exp2CodeParams,
    build=lambda p: Exp2Code(**p.as_dict()),
    stimulus=lambda p, seed: _every_code(p.in_format, seed),
    golden=lambda p, x: [int(v) for v in
                         exp2_reference(p.in_format, p.out_format)[np.asarray(x)]],
    module_name=lambda p: f"exp2_{name_token(p.in_format)}_{p.impl}_"
                          f"{name_token(p.out_format)}{_stages_suffix(p)}",
    role=lambda p: "truth-table floor" if p.impl == "table" else "structured",
    in_format=lambda p: p.in_format,
    out_format=lambda p: p.out_format,
    regress=HIF8_REGRESS + CODE_REGRESS,
    area=tuple({"in_format": "hif8", "impl": i, "out_format": o}
               for i, o in itertools.product(IMPL.choices, ("fp16", "hif8")))
    + tuple({"in_format": s, "out_format": "fp16", "impl": i}
            for s in ("u5.4/e2", "u4.4", "u4.3/e2") for i in IMPL.choices),
    exhaustive=True,
    equivalent="impl",
))

register_alias("exp2_hif8", "exp2_code", {"in_format": "hif8"})

register(Design(
    name="exp2_fp16",
    description="FP16 EXP2 baseline: 2^x correctly rounded (RNE) or faithful (within 1 ulp)",
    params=Exp2FP16Params,
    build=lambda p: Exp2FP16(**p.as_dict()),
    stimulus=lambda p, seed: _every_code("fp16", seed),
    golden=lambda p, x: [int(v) for v in exp2_fp16_model.exp2_fp16(np.asarray(x), p.accuracy)],
    module_name=lambda p: f"exp2_fp16_{p.accuracy}{_stages_suffix(p)}",
    role=lambda p: f"FP16 baseline ({p.accuracy})",
    in_format=lambda p: "fp16",
    out_format=lambda p: "fp16",
    regress=tuple({"accuracy": a} for a in ACCURACY.choices)
    + ({"accuracy": "correct", "stages": 3},),     # every cut; the Amaranth tests run each value
    area=tuple({"accuracy": a} for a in ACCURACY.choices),
    exhaustive=True,
    baseline=True,
))
