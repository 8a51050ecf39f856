"""The EXP2 units: ``exp2_hif8`` (HiF8 in) and ``exp2_fp16`` (the FP16 baseline), verified on
every input code."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..golden import exp2_fp16_model
from ..golden.exp2 import exp2_reference
from ..golden.formats import get_format
from ..golden.baps import P_FORMAT, SCORE_FORMAT
from ..hdl.exp2_fp16 import ACCURACY, Exp2FP16
from ..hdl.exp2_fp16 import STAGES as FP16_STAGES
from ..hdl.exp2_code import IN_FORMAT, Exp2Code
from ..hdl.exp2_code import OUT_FORMAT as CODE_OUT_FORMAT
from ..hdl.exp2_code import STAGES as CODE_STAGES
from ..hdl.exp2_hif8 import IMPL, OUT_FORMAT, Exp2HiF8
from ..hdl.exp2_hif8 import STAGES as HIF8_STAGES
from .registry import Design, DesignParams, name_token, register

__all__ = ["Exp2HiF8Params", "Exp2CodeParams", "Exp2FP16Params", "CODE_REGRESS"]


def _every_code(fmt_name: str, seed: int) -> list[int]:
    """Every input code once, in a seeded random order: each input bit rises and falls many
    times (an ascending sweep lowers the top bit never), which toggle coverage counts."""
    codes = np.random.default_rng(seed).permutation(1 << get_format(fmt_name).width)
    return [int(c) for c in codes]


@dataclass(frozen=True)
class Exp2HiF8Params(DesignParams):
    SPEC: ClassVar = {"impl": IMPL, "out_format": OUT_FORMAT, "stages": HIF8_STAGES}
    impl: str = "table"
    out_format: str = "fp16"
    stages: int = 0


@dataclass(frozen=True)
class Exp2CodeParams(DesignParams):
    SPEC: ClassVar = {"in_format": IN_FORMAT, "out_format": CODE_OUT_FORMAT, "impl": IMPL,
                      "stages": CODE_STAGES}
    in_format: str = "u5.4/e2"
    out_format: str = "fp16"
    impl: str = "table"
    stages: int = 0


@dataclass(frozen=True)
class Exp2FP16Params(DesignParams):
    SPEC: ClassVar = {"accuracy": ACCURACY, "stages": FP16_STAGES}
    accuracy: str = "correct"
    stages: int = 0


def _stages_suffix(p) -> str:
    return f"_stages{p.stages}" if p.stages else ""


register(Design(
    name="exp2_hif8",
    description="2^x of a HiF8 code, correctly rounded to FP16 (RNE) or HiF8 (TA)",
    params=Exp2HiF8Params,
    build=lambda p: Exp2HiF8(impl=p.impl, out_format=p.out_format, stages=p.stages),
    stimulus=lambda p, seed: _every_code("hif8", seed),
    golden=lambda p, x: [int(v) for v in exp2_reference("hif8", p.out_format)[np.asarray(x)]],
    module_name=lambda p: f"exp2_hif8_{p.impl}_{p.out_format}{_stages_suffix(p)}",
    role=lambda p: "truth-table floor" if p.impl == "table" else "structured",
    in_format=lambda p: "hif8",
    out_format=lambda p: p.out_format,
    regress=tuple({"impl": i, "out_format": o} for i, o in itertools.product(IMPL.choices,
                                                                               OUT_FORMAT.choices))
    + ({"impl": "split", "out_format": "fp16", "stages": 1},),
    area=tuple({"impl": i, "out_format": o} for i, o in itertools.product(IMPL.choices,
                                                                            OUT_FORMAT.choices)),
    exhaustive=True,
))

# The cocotb regression of the score-code units: every score code once, P formats rotating, the
# implementations alternating (every pair is exhaustively exact in the Amaranth tests).
CODE_REGRESS = tuple({"in_format": s, "out_format": P_FORMAT.choices[k % len(P_FORMAT.choices)],
                      "impl": IMPL.choices[k % 2]}
                     for k, s in enumerate(SCORE_FORMAT.choices) if s != "hif8")

register(Design(
    name="exp2_code",
    description="2^x of any score code (HiF8, E4M3, E5M2, distance codes uI.F), correctly "
                "rounded to any P format (HiF8, FP16, E4M3, qI.F)",
    params=Exp2CodeParams,
    build=lambda p: Exp2Code(in_format=p.in_format, out_format=p.out_format, impl=p.impl,
                             stages=p.stages),
    stimulus=lambda p, seed: _every_code(p.in_format, seed),
    golden=lambda p, x: [int(v) for v in
                         exp2_reference(p.in_format, p.out_format)[np.asarray(x)]],
    module_name=lambda p: f"exp2_{name_token(p.in_format)}_{p.impl}_"
                          f"{name_token(p.out_format)}{_stages_suffix(p)}",
    role=lambda p: "truth-table floor" if p.impl == "table" else "structured",
    in_format=lambda p: p.in_format,
    out_format=lambda p: p.out_format,
    regress=CODE_REGRESS,
    area=tuple({"in_format": s, "out_format": "fp16", "impl": i}
               for s in ("u5.4/e2", "u4.4", "u4.3/e2") for i in IMPL.choices),
    exhaustive=True,
))

register(Design(
    name="exp2_fp16",
    description="FP16 EXP2 baseline: 2^x correctly rounded (RNE) or faithful (within 1 ulp)",
    params=Exp2FP16Params,
    build=lambda p: Exp2FP16(accuracy=p.accuracy, stages=p.stages),
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
